// Removing regions by name: the seed's __db_runlink, force and non-force.
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/file.h"
#include "os/map.h"
#include "os/time.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/liveness.h"
#include "region/preflight.h"
#include "region/region.h"
#include "region/token.h"
#include "region/trust_checks.h"

namespace osport::region {
namespace {

// Force: never attach. Read the stub (if the file is one) to find system
// memory, remove that, then the file. A corrupt stub still loses its file:
// force exists for regions nothing else can remove.
absl::Status ForceRemove(const RegionOptions& o) {
  absl::StatusOr<std::string> caller = os::CurrentUser();
  if (!caller.ok()) return caller.status();
  absl::StatusOr<os::Dir> home = OpenRegionHome(o, *caller);
  if (!home.ok()) return home.status();
  // Any mode: removing is about whose file it is. Another user's file, a
  // symbolic link or a FIFO is refused, never removed. A file with other
  // names elsewhere is removed under this one only (OtherLinks::kAllow:
  // else a planted hard link would keep its owner from removing it), and
  // only if it is osport's (below).
  // Read-write where the owner still may (the remover byte's exclusive
  // lock needs it), else read-only (region/liveness.h, "Remove (force)").
  absl::StatusOr<os::File> file = OpenRegionFile(*home, o, *caller, /*read_only=*/false, 0777, OtherLinks::kAllow);
  const bool writable = file.ok() || !os::HasErrno(file.status(), EACCES) || os::IsUntrusted(file.status());
  if (!writable) file = OpenRegionFile(*home, o, *caller, /*read_only=*/true, 0777, OtherLinks::kAllow);
  if (!file.ok()) {
    if (os::HasErrno(file.status(), ENOENT) && !os::IsUntrusted(file.status())) return absl::OkStatus();
    return os::Annotate(file.status(), "remove");
  }
  // Never from under an initialiser or destroyer (they hold exclusive),
  // one forced removal of this file at a time; both held until the name
  // is gone, dropped when the file is closed.
  const absl::Time deadline = os::MonotonicNow() + o.attach_timeout;  // monotonic (os/time.h)
  Liveness remover(kForceRemoverOffset);
  Liveness live;
  auto busy = [&](const char* who) {
    return RegionError(RegionErrc::kNotReady,
                       absl::StrFormat("remove region %s: not removed: %s holds it past the attach "
                                       "timeout (%s); nothing was removed",
                                       o.name, who, absl::FormatDuration(o.attach_timeout)));
  };
  if (writable) {
    absl::StatusOr<bool> got = remover.Wait(*file, os::RangeLock::kExclusive, deadline);
    if (!got.ok()) return os::Annotate(got.status(), "remove region " + o.name);
    if (!*got) return busy("another forced removal");
  }
  absl::StatusOr<bool> got = live.Wait(*file, os::RangeLock::kShared, deadline);
  if (!got.ok()) return os::Annotate(got.status(), "remove region " + o.name);
  if (!*got) return busy("another process creating, replacing or destroying it (its exclusive liveness lock)");
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(*file);
  if (!info.ok()) return info.status();
  // Only osport's files: force removes damaged regions, never someone
  // else's file that carries a few of osport's bytes (review 5).
  absl::StatusOr<bool> ours = IsOsportFile(*file, info->size());
  if (!ours.ok()) return ours.status();
  if (!*ours) {
    return RegionError(RegionErrc::kNotARegion,
                       absl::StrFormat("region %s: %s is not an osport region (%u bytes, no osport "
                                       "header) and was left as it is",
                                       o.name, file->path(), info->size()));
  }
  // A file with other names (OtherLinks::kAllow above): which name is the
  // region's own cannot be told from here -- a name planted in a shared home
  // as a link to somebody's live stub looks the same as the stub's own name
  // with a link planted elsewhere. So through such a name only the name is
  // removed, never memory: else a planted link would let its planter have
  // the victim's forced removal destroy another region's memory.
  absl::StatusOr<os::FileInfo> self = os::StatOpenFile(*file);
  if (!self.ok()) return self.status();
  const std::uint64_t other_names = self->links > 1 ? self->links - 1 : 0;
  std::string memory_left;  // what other_names kept us from removing
  absl::Status memory = absl::OkStatus();
  // A stub, or a file whose header says it is one (a stub grown by hand
  // past its one page is still the way to its memory).
  if (info->size() >= kHeaderSize) {
    alignas(8) std::byte buf[kHeaderSize];
    absl::StatusOr<std::size_t> n = os::ReadAt(*file, 0, buf);
    if (!n.ok()) return n.status();
    const auto* h = reinterpret_cast<const RegionHeader*>(buf);
    const auto backend = static_cast<os::Backend>(h->backend);
    // The magic may still be 0: the creator records the id before it
    // initialises the memory.
    const std::uint32_t magic = h->magic.load(std::memory_order_relaxed);
    // A file region (more than a page, naming no system memory) has none
    // to look for: an old stub's memory under names derived from a reused
    // inode is not its business.
    const bool stub = info->size() == kHeaderSize || (h->flags & kFlagNamed) != 0 || os::BackendNamed(backend);
    if (other_names > 0 && stub) {
      memory_left = (h->flags & kFlagNamed) != 0 && os::BackendNamed(backend)
                        ? os::SystemMemoryName(backend, h->system_id)
                        : std::string("any system memory it names");
    } else if (*n == kHeaderSize && (magic == kRegionMagic || magic == 0) && stub) {
      const bool records = (h->flags & kFlagNamed) != 0 && os::BackendNamed(backend) &&
                           os::BackendSupported(backend);
      if (records) memory = RemoveBoundMemory(*file, *h, o);  // only memory verified as this stub's
      // Memory bound to this stub that it does not record right (its
      // backend, id or size damaged): the stub's all the same, and removed.
      std::vector<std::string> unproven;
      for (const BoundMemory& m : FindBoundMemory(*file, *h, o, /*identity_only=*/true)) {
        if (!m.token_matches) {
          // Made for this stub's creation but under another token: not
          // provably its own.
          unproven.push_back(os::SystemMemoryName(m.backend, m.id));
          continue;
        }
        absl::Status s = RemoveRegionMemory(m.backend, m.id, o);
        if (s.ok() && records && m.backend == backend && m.id == h->system_id && !memory.ok() &&
            NotProvablyTheStubs(memory)) {
          // The memory the stub records, which RemoveBoundMemory left
          // (its size damaged, say), proven by the token after all: removed.
          memory = absl::OkStatus();
        }
        if (!s.ok() && memory.ok()) memory = s;
      }
      if (!unproven.empty() && memory.ok()) {
        memory = RegionError(RegionErrc::kCorrupt,
                             absl::StrFormat("left %s in place: it records this stub's identity and "
                                             "creation (time and creator) but another token",
                                             absl::StrJoin(unproven, " and ")));
      }
    }
  }
  // Memory whose creator died before the stub recorded it: its name is
  // derived from the stub (only unattached, never-written memory goes).
  for (os::Backend b : {os::Backend::kSysV, os::Backend::kPosixShm}) {
    if (other_names == 0 && os::BackendSupported(b)) {
      if (absl::Status s = os::RemoveSystemMemoryOf(b, *file); !s.ok() && memory.ok()) memory = s;
    }
  }
  if (!memory.ok() && !NotProvablyTheStubs(memory)) {
    return os::Annotate(memory, "remove region " + o.name +
                                    ": removing its memory failed; kept the stub, so that remove "
                                    "--force can find the memory again");
  }
  // Still holding both locks: the name goes only if it still names this
  // file (another forced removal may have removed it and a creator made
  // a new one). Win32 removes an open file's name when its last handle
  // closes, just below.
  if (absl::Status s = UnlinkIfSameAt(*home, o.name, *file); !s.ok()) {
    return os::Annotate(s, "remove region " + o.name);
  }
  live.Forget();  // closing the file drops both locks
  remover.Forget();
  (void)file->Close();
  if (!memory_left.empty()) {
    return os::PortableError(
        absl::StatusCode::kFailedPrecondition, EMLINK,
        absl::StrFormat("remove region %s: removed the name %s only: the stub has %u other hard "
                        "link(s), one of which may be the region's own name (or this one a link "
                        "planted to it), so its memory (%s) was left in place; remove the region "
                        "under its own name, or the memory by hand",
                        o.name, o.name, other_names, memory_left));
  }
  if (!memory.ok()) {
    // The stub was ours, and so was any memory proven by its token; what
    // could not be proven (another owner, another token, not shared memory)
    // stayed, and the error names it.
    return os::Annotate(memory, "remove region " + o.name +
                                    ": removed its stub (and any memory proven its own)");
  }
  return os::Annotate(memory, "remove region " + o.name);
}

}  // namespace

absl::StatusOr<RemoveOutcome> Remove(const RegionOptions& options, bool force) {
  RegionOptions o = options;
  // What only a create or a join asks (the options a caller made the region
  // with, reused here): a removal takes the region under the name whatever
  // it is made of.
  o.create = false;
  o.exclusive = false;
  o.backend.reset();
  o.size_is_default = true;
  if (absl::Status s = ValidateOptions(o); !s.ok()) return s;
  if (force) {
    if (absl::Status s = ForceRemove(o); !s.ok()) return s;
    return RemoveOutcome::kRemoved;
  }
  bool existed = false;
  if (absl::StatusOr<std::string> caller = os::CurrentUser(); caller.ok()) {
    if (absl::StatusOr<os::Dir> home = OpenRegionHome(o, *caller); home.ok()) {
      existed = os::StatAt(*home, o.name).ok();
    }
  }
  // Attach takes the region lock within o.attach_timeout or fails with
  // kTimedOut before anything is marked.
  absl::StatusOr<Region> r = Region::Attach(o);
  if (!r.ok()) {
    // A stub whose memory is gone (a reboot; a Win32 section or, under the
    // Win95 rule, memory released by its last user) is removed by the join's
    // retry path: then there is nothing left to remove, which is success.
    if (r.status().code() == absl::StatusCode::kNotFound && existed) {
      return RemoveOutcome::kRemoved;
    }
    if (IsTimedOut(r.status())) {
      return os::Annotate(r.status(), absl::StrFormat("remove region %s: gave up after %s; nothing was marked",
                                                      o.name, absl::FormatDuration(o.attach_timeout)));
    }
    return r.status();
  }
  // Alone? Ask the kernel before marking: a remove that cannot tell (the
  // lock call failed) marks nothing -- a region marked with nobody attached
  // would be destroyed by whoever joins it next -- and says why. Holding
  // the exclusive lock, the detach below destroys the region; refused,
  // others hold it (perhaps a joiner not yet in the table, waiting for the
  // mutex we hold), and the last of them to detach removes it.
  absl::StatusOr<bool> alone = r->live_.Try(r->file_, os::RangeLock::kExclusive);
  if (!alone.ok()) {
    (void)r->Unlock();
    (void)r->Detach();
    return os::Annotate(alone.status(),
                        absl::StrFormat("remove region %s: could not tell whether others are attached; "
                                        "nothing was marked",
                                        o.name));
  }
  absl::Status s = r->MarkForRemoval();
  if (absl::Status u = r->Unlock(); s.ok()) s = u;
  bool destroyed = false;
  absl::Status d = r->DetachAndReport(&destroyed);
  // A detach that could not take the region lock changed nothing and left
  // the region attached (Region::Detach): one more try here, so that what
  // this returns is what happened (else the destructor's retry would
  // destroy the region after an error was returned).
  if (!d.ok() && r->attached()) d = r->DetachAndReport(&destroyed);
  if (s.ok()) s = d;
  if (!s.ok()) return os::Annotate(s, "remove region " + o.name);
  return destroyed ? RemoveOutcome::kRemoved : RemoveOutcome::kMarked;
}

}  // namespace osport::region
