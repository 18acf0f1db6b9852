// Everything a region's header says, plus what only the OS can tell
// (whether its attached processes and lock owner are alive): for the osport
// tool and for tests. Reading it never attaches and never takes the lock.
#ifndef OSPORT_REGION_STAT_H_
#define OSPORT_REGION_STAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "os/map.h"
#include "os/mutex.h"
#include "region/options.h"

namespace osport::region {

struct AttachmentStat {
  std::uint32_t pid = 0;
  std::uint64_t start = 0;
  std::uint32_t count = 0;
  bool alive = false;
};

struct RegionStat {
  std::string path;
  std::uint64_t file_size = 0;     // of the backing file (a stub for system memory)
  bool stub = false;               // the file is a stub naming system memory
  // false: the system memory is gone, and with it the lock, the count and
  // the panic flag: refcount, panic, owner and mutex_stats are then unset
  // (the stub's copy of them is as of creation, not now). attachments and
  // live_refcount come from the stub's slots, which joiners keep current
  // (region/stub_slots.h): who still holds the region attached.
  bool memory_present = true;
  std::uint32_t magic = 0;
  std::uint32_t format = 0;
  std::uint32_t layout_version = 0;
  os::MutexKind mutex_kind = os::MutexKind::kSpin;
  std::uint32_t refcount = 0;      // as recorded (dead attachments included)
  std::uint32_t live_refcount = 0; // attachments of processes still alive
  bool panic = false;
  std::uint64_t size = 0;
  std::uint32_t version = 0;
  std::uint32_t flags = 0;
  os::Backend backend = os::Backend::kFile;
  std::uint32_t mode = 0;
  std::uint64_t system_id = 0;
  std::uint32_t creator_pid = 0;
  std::uint64_t creator_start = 0;
  std::uint64_t create_time = 0;
  // The pid namespace recorded for the attached processes (header
  // pid_namespace; 0 on a system with one). other_namespace: it is not the
  // caller's (or the caller's cannot be read: os::CurrentPidNamespace), so
  // the pids below are not judged: every `alive` and owner_alive is true
  // ("unknown counts as alive"), live_refcount counts them all.
  std::uint64_t pid_namespace = 0;
  bool other_namespace = false;
  std::vector<AttachmentStat> attachments;
  os::MutexOwner owner;
  bool owner_alive = false;        // meaningful when owner.held
  os::MutexStats mutex_stats;
};

// Reads the region named by options (home + name; size and create are
// ignored). Errors: NotFound, a symbolic link (untrusted, ELOOP), kNotARegion
// for a file whose magic is not osport's or the caller's own directory,
// FIFO, socket or device (RefuseSpecialFile), and kCorrupt / kIncompatible /
// kTruncated for a header that cannot be trusted.
// A header that is not initialised yet (magic 0) is reported, not an error.
[[nodiscard]] absl::StatusOr<RegionStat> Stat(const RegionOptions& options);

}  // namespace osport::region

#endif  // OSPORT_REGION_STAT_H_
