// Stat: a region's header read through its file (and its system memory, for
// stubs), without attaching or locking.
#include "region/stat.h"

#include <cstring>

#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/file.h"
#include "os/process.h"
#include "os/thread.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/preflight.h"
#include "region/token.h"
#include "region/trust_checks.h"

namespace osport::region {

absl::StatusOr<RegionStat> Stat(const RegionOptions& options) {
  RegionOptions o = options;
  o.create = false;
  o.exclusive = false;  // create only: a stat of the options a region was made with is fine
  absl::StatusOr<std::string> path = RegionPathUnchecked(o);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> caller = os::CurrentUser();
  if (!caller.ok()) return caller.status();
  absl::StatusOr<os::Dir> home = OpenRegionHome(o, *caller);
  if (!home.ok()) return home.status();
  // Opened without blocking and checked before it is read (a link, another
  // user's file or one with other links is untrusted; a FIFO or directory
  // is not_a_region, or untrusted when another user's).
  absl::StatusOr<os::File> file = OpenRegionFile(*home, o, *caller, /*read_only=*/true, o.mode);
  if (!file.ok()) return file.status();
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(*file);
  if (!info.ok()) return info.status();

  RegionStat st;
  st.path = *path;
  st.file_size = info->size();
  st.stub = st.file_size == kHeaderSize;
  alignas(8) std::byte buf[kHeaderSize] = {};
  absl::StatusOr<std::size_t> n = os::ReadAt(*file, 0, buf);
  if (!n.ok()) return n.status();
  const auto* h = reinterpret_cast<const RegionHeader*>(buf);
  st.magic = *n < kHeaderSize ? 0 : h->magic.load(std::memory_order_relaxed);
  if (st.magic == 0) {
    // Not initialised -- if a creator can have left it at all; else it is
    // someone's file (a pidfile, notes), as every other command says.
    absl::StatusOr<bool> ours = MayBeOsportFile(*file, st.file_size);
    if (!ours.ok()) return ours.status();
    if (!*ours) {
      return RegionError(RegionErrc::kNotARegion,
                         absl::StrFormat("region %s: %s is not an osport region (%u bytes, no osport "
                                         "header)",
                                         o.name, *path, st.file_size));
    }
    return st;
  }
  if (absl::Status s = CheckMagicAndFormat(st.magic, h->format, o.name); !s.ok()) return s;

  // What the stub (or the file) says of where the memory is, kept even when
  // the live header turns out zeroed or gone.
  st.backend = static_cast<os::Backend>(h->backend);
  st.system_id = h->system_id;
  st.size = h->size.load(std::memory_order_relaxed);
  os::Mapping live;
  if (absl::Status s = CheckFlags(*h, o.name); !s.ok()) return s;
  if (!st.stub && ((h->flags & kFlagNamed) != 0 || os::BackendNamed(st.backend))) {
    return RegionError(RegionErrc::kCorrupt,
                       absl::StrFormat("region %s: corrupt: a %u-byte file claims to be a stub of '%s' "
                                       "memory",
                                       o.name, st.file_size, os::BackendName(st.backend)));
  }
  if (st.stub) {
    // The stub's copy is as of creation; the live header is in system memory.
    const auto backend = static_cast<os::Backend>(h->backend);
    const std::uint64_t size = h->size.load(std::memory_order_relaxed);
    if (!os::BackendNamed(backend) || size < 2 * kHeaderSize) {
      return RegionError(RegionErrc::kCorrupt, absl::StrFormat("region %s: corrupt stub (backend %u, size %u)",
                                                               o.name, h->backend, size));
    }
    // Read-only: stat needs no write access to the memory (region/token.h).
    absl::StatusOr<os::Mapping> m = AttachBoundMemory(*file, *h, size, o, o.mode, os::MapAccess::kReadOnly);
    if (m.ok()) {
      live = std::move(*m);
      std::memcpy(buf, live.data(), kHeaderSize);
      // As the join checks it (Attacher::CheckSize): the memory's header
      // must say the size the stub mapped it at.
      const std::uint64_t claimed = h->size.load(std::memory_order_relaxed);
      if (h->magic.load(std::memory_order_relaxed) != 0 && claimed != size) {
        return RegionError(RegionErrc::kCorrupt, absl::StrFormat("region %s: its stub says %u bytes, its memory %u",
                                                                 o.name, size, claimed));
      }
    } else if (os::IsMemoryGone(m.status())) {
      // Gone -- unless memory bound to this stub is elsewhere (a damaged stub).
      if (absl::Status s = CheckMemoryGone(*file, *h, o); !s.ok()) return s;
      st.memory_present = false;
    } else {
      return m.status();
    }
  }
  const std::uint64_t available = st.stub ? h->size.load(std::memory_order_relaxed) : st.file_size;
  st.magic = h->magic.load(std::memory_order_relaxed);
  if (st.magic == 0) return st;  // zeroed or being removed
  if (absl::Status s = CheckFields(*h, available, o.name); !s.ok()) return s;

  st.format = h->format;
  st.layout_version = h->format >> 24;
  st.mutex_kind = static_cast<os::MutexKind>((h->format >> 16) & 0xFF);
  st.size = h->size.load(std::memory_order_relaxed);
  st.version = h->version;
  st.flags = h->flags;
  st.backend = static_cast<os::Backend>(h->backend);
  st.mode = h->mode;
  st.system_id = h->system_id;
  st.creator_pid = h->creator_pid;
  st.creator_start = h->creator_start;
  st.create_time = h->create_time;
  st.pid_namespace = h->pid_namespace.load(std::memory_order_relaxed);
  absl::StatusOr<std::uint64_t> ours = os::CurrentPidNamespace();
  st.other_namespace = !ours.ok() || *ours != st.pid_namespace;
  // A pid of another namespace names another process here, or none: not
  // asked about. Unknown counts as alive, as in reconciling.
  auto judge = [&st](auto ask) {
    if (st.other_namespace) return true;
    const absl::StatusOr<bool> alive = ask();
    return !alive.ok() || *alive;
  };
  // With the memory gone, the attachments are the stub's slots, which every
  // joiner keeps current (region/stub_slots.h); the lock, the count and the
  // panic flag lived in the memory only (the stub's copy is as of creation):
  // left unset.
  for (const Attachment& a : h->attachments) {
    if (a.pid == 0) continue;
    AttachmentStat as{a.pid, a.start, a.count, false};
    as.alive = judge([&a] { return os::IsAlive(os::ProcessIdentity{a.pid, a.start}); });
    if (as.alive) st.live_refcount += a.count;
    st.attachments.push_back(as);
  }
  if (!st.memory_present) return st;
  st.refcount = h->refcount;
  st.panic = h->panic.load(std::memory_order_relaxed) != 0;
  st.owner = h->mutex.owner();
  st.mutex_stats = h->mutex.stats();
  if (st.owner.held && st.owner.tid > os::config::kThreadIdMax) {
    // As Lock says: a word naming a thread no system thread can be is
    // damage, not a dead holder to recover from.
    return RegionError(RegionErrc::kCorrupt,
                       absl::StrFormat("region %s: corrupt lock word: owner thread id %u is beyond "
                                       "the system's thread id range (%u)",
                                       o.name, st.owner.tid, os::config::kThreadIdMax));
  }
  if (st.owner.held) {
    // With the recorded pid (0 while unrecorded): FreeBSD's thr_kill2 can
    // judge another process's thread only by its pid.
    st.owner_alive =
        judge([&st] { return os::IsThreadAlive(os::ThreadIdentity{st.owner.pid, st.owner.tid, st.owner.start}); });
  }
  return st;
}

}  // namespace osport::region
