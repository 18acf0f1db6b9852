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

// Parses the stat file of process or thread `id` (Linux serves any thread id
// under /proc, not only thread-group leaders). An error carrying ENOENT means
// no such process or thread.
[[nodiscard]] absl::StatusOr<ProcStat> ReadProcStat(std::uint32_t id);

// Parses /proc/<pid>/task/<tid>/stat: thread `tid` of process `pid` (ENOENT
// if there is none). Prefer it for threads: it also checks that the thread
// belongs to `pid`, and qemu-user rewrites /proc/<own pid>/stat with values of
// the *calling* thread (its start time), but passes this path through.
[[nodiscard]] absl::StatusOr<ProcStat> ReadTaskStat(std::uint32_t pid, std::uint32_t tid);

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_PROC_STAT_H_
