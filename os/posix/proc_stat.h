// Reading Linux /proc/<id>/stat (state and start time), shared by the process
// and thread identity code. Every read goes through the hook table
// (Op::kProcessInfo).
#ifndef OSPORT_OS_POSIX_PROC_STAT_H_
#define OSPORT_OS_POSIX_PROC_STAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace osport::os::posix {

struct ProcStat {
  char state = '?';        // field 3: R, S, D, Z (zombie), X (dead)...
  std::uint64_t start = 0; // field 22: clock ticks after boot
};

// Parses the stat file of process or thread `id` (/proc/<id>/task/<id>/stat:
// Linux serves any thread id there, not only thread-group leaders, and
// qemu-user does not fake it). An error
// carrying ENOENT means no such process or thread.
[[nodiscard]] absl::StatusOr<ProcStat> ReadProcStat(std::uint32_t id);

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_PROC_STAT_H_
