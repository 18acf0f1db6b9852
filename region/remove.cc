// Removing regions by name: the seed's __db_runlink, force and non-force.
#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/file.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"

namespace osport::region {
namespace {

// Force: never attach. Read the stub (if the file is one) to find system
// memory, remove that, then the file. A corrupt stub still loses its file:
// force exists for regions nothing else can remove.
absl::Status ForceRemove(const RegionOptions& o, const std::string& path) {
  absl::StatusOr<os::File> file = os::Open(path, os::kOpenReadOnly | os::kOpenNoFollow);
  if (!file.ok()) {
    if (os::HasErrno(file.status(), ENOENT)) return absl::OkStatus();
    if (os::HasErrno(file.status(), ELOOP)) {
      return os::PortableError(absl::StatusCode::kInvalidArgument, ELOOP,
                               absl::StrFormat("region %s: %s is a symbolic link; refusing to remove "
                                               "through it",
                                               o.name, path));
    }
    return os::Annotate(file.status(), "remove region " + o.name);
  }
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(*file);
  if (!info.ok()) return info.status();
  absl::Status memory = absl::OkStatus();
  if (info->size() == kHeaderSize) {
    alignas(8) std::byte buf[kHeaderSize];
    absl::StatusOr<std::size_t> n = os::Read(*file, buf);
    if (!n.ok()) return n.status();
    const auto* h = reinterpret_cast<const RegionHeader*>(buf);
    const auto backend = static_cast<os::Backend>(h->backend);
    // The magic may still be 0: the creator records the id before it
    // initialises the memory.
    const std::uint32_t magic = h->magic.load(std::memory_order_relaxed);
    if (*n == kHeaderSize && (magic == kRegionMagic || magic == 0) && (h->flags & kFlagNamed) != 0 && os::BackendNamed(backend) && os::BackendSupported(backend)) {
      memory = os::RemoveSystemMemory(backend, h->system_id);
    }
  }
  // Memory whose creator died before the stub recorded it: its name is
  // derived from the stub (only unattached, never-written memory goes).
  for (os::Backend b : {os::Backend::kSysV, os::Backend::kPosixShm}) {
    if (os::BackendSupported(b)) {
      if (absl::Status s = os::RemoveSystemMemoryOf(b, *file); !s.ok() && memory.ok()) memory = s;
    }
  }
  // Close before unlinking: Win32 will not remove an open file's name.
  (void)file->Close();
  if (absl::Status s = os::Unlink(path); !s.ok() && !os::HasErrno(s, ENOENT)) {
    return os::Annotate(s, "remove region " + o.name);
  }
  return os::Annotate(memory, "remove region " + o.name);
}

}  // namespace

absl::StatusOr<RemoveOutcome> Remove(const RegionOptions& options, bool force) {
  RegionOptions o = options;
  o.create = false;
  o.size_is_default = true;
  absl::StatusOr<std::string> path = RegionPath(o);
  if (!path.ok()) return path.status();
  if (force) {
    if (absl::Status s = ForceRemove(o, *path); !s.ok()) return s;
    return RemoveOutcome::kRemoved;
  }
  absl::StatusOr<bool> existed = os::Exists(*path);
  // Attach takes the region lock within o.attach_timeout or fails with
  // kTimedOut before anything is marked.
  absl::StatusOr<Region> r = Region::Attach(o);
  if (!r.ok()) {
    // A stub whose memory is gone (a reboot; a Win32 section or, under the
    // Win95 rule, memory released by its last user) is removed by the join's
    // retry path: then there is nothing left to remove, which is success.
    if (r.status().code() == absl::StatusCode::kNotFound && existed.ok() && *existed) {
      return RemoveOutcome::kRemoved;
    }
    if (IsTimedOut(r.status())) {
      return os::Annotate(r.status(), absl::StrFormat("remove region %s: gave up after %s; nothing was marked",
                                                      o.name, absl::FormatDuration(o.attach_timeout)));
    }
    return r.status();
  }
  absl::Status s = r->MarkForRemoval();
  if (absl::Status u = r->Unlock(); s.ok()) s = u;
  bool destroyed = false;
  if (absl::Status d = r->DetachAndReport(&destroyed); s.ok()) s = d;
  if (!s.ok()) return os::Annotate(s, "remove region " + o.name);
  return destroyed ? RemoveOutcome::kRemoved : RemoveOutcome::kMarked;
}

}  // namespace osport::region
