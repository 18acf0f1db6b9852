// Implements region/trust_checks.h on os/dir.h and os/trust.h.
#include "region/trust_checks.h"

#include <cerrno>

#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/preflight.h"

namespace osport::region {

absl::StatusOr<os::Dir> OpenRegionHome(const RegionOptions& o, const std::string& caller) {
  absl::StatusOr<os::Dir> home = os::OpenTrustedHome(o.home, o.trust, caller);
  if (home.ok()) return home;
  const absl::Status& s = home.status();
  if (!os::IsUntrusted(s) && (os::HasErrno(s, ENOENT) || os::HasErrno(s, ENOTDIR))) {
    return HomeError(o, os::HasErrno(s, ENOTDIR) ? ENOTDIR : ENOENT);
  }
  return os::Annotate(s, "region " + o.name);
}

absl::StatusOr<os::File> OpenRegionFile(os::Dir& home, const RegionOptions& o, const std::string& caller,
                                        bool read_only, std::uint32_t mode, OtherLinks links) {
  // os::OpenTrusted's steps, with one difference: a file that lost its last
  // name between our open and our fstat (0 links: a destroyer removed it) is
  // gone, not untrusted -- NotFound, so an attacher retries.
  const std::string what = os::JoinPath(home, o.name);
  auto not_found = [&](absl::string_view how) {
    return os::PortableError(absl::StatusCode::kNotFound, ENOENT,
                             absl::StrFormat("region %s does not exist (%s%s)", o.name, what, how));
  };
  // Every user of a region file takes byte-range locks on it (liveness,
  // remover): a child forked by another thread must not keep them
  // (region/liveness.h, "Fork").
  absl::StatusOr<os::File> f = os::OpenAt(
      home, o.name, os::kOpenReleaseInForkedChild | (read_only ? std::uint32_t{os::kOpenReadOnly} : 0));
  if (!f.ok()) {
    if (os::HasErrno(f.status(), ENOENT)) return not_found("");
    if (os::HasErrno(f.status(), ELOOP)) {
      return os::Annotate(os::UntrustedError(ELOOP, what, "is a symbolic link, not a regular file"),
                          "region " + o.name);
    }
    // What could not be opened is looked at by its name, which needs no
    // access to it. Not a regular file -- a directory (EISDIR), a socket
    // (ENXIO; EOPNOTSUPP on the BSDs), a device that refused (ENODEV,
    // EBUSY...) -- gets the one verdict every call and the tool give
    // (RefuseSpecialFile). Another user's file closed to us (EACCES) is
    // untrusted and says whose, not a bare "permission denied" (attacker
    // review of 2026-12-02, finding 2).
    if (absl::StatusOr<os::FileInfo> at = os::StatAt(home, o.name); at.ok()) {
      if (at->type != os::FileType::kRegular && at->type != os::FileType::kSymlink) {
        return RefuseSpecialFile(*at, caller, o, what);
      }
      // Only what it is and whose: the caller's own file made read-only
      // (0400, or with a second name) stays "permission denied", which is
      // what stops a writer there, and a forced removal's read-only retry
      // still runs (review of 69f6113).
      if (os::HasErrno(f.status(), EACCES)) {
        at->links = 1;
        if (absl::Status s = os::CheckTrustedFile(*at, caller, 0777, o.trust, what); os::IsUntrusted(s)) {
          return os::Annotate(s, "region " + o.name);
        }
      }
    }
    return os::Annotate(f.status(), "region " + o.name);
  }
  absl::StatusOr<os::FileInfo> info = os::StatOpenFile(*f);
  if (!info.ok()) return info.status();
  if (info->type == os::FileType::kRegular && info->links == 0) return not_found(": removed meanwhile");
  // A directory (opened read-only), FIFO or device: never osport's.
  if (info->type != os::FileType::kRegular && info->type != os::FileType::kSymlink) {
    return RefuseSpecialFile(*info, caller, o, what);
  }
  if (links == OtherLinks::kAllow && info->links > 1) info->links = 1;  // only our name is removed
  if (absl::Status s = os::CheckTrustedFile(*info, caller, mode, o.trust, what); !s.ok()) {
    // Too open only to readers (a user's notes, 0644 under the usual umask):
    // a file nobody else can write is safe to read, so what it is comes
    // first -- one that cannot be osport's is not_a_region, as it is with
    // mode 0600, not "untrusted: read bits beyond 0600" (newcomer review of
    // 2026-12-02). A region or remnant with those bits stays untrusted.
    if (os::CheckTrustedFile(*info, caller, mode | 0444, o.trust, what).ok()) {
      absl::StatusOr<bool> ours = IsOsportFile(*f, info->size);
      if (ours.ok() && !*ours) {
        return RegionError(RegionErrc::kNotARegion,
                           absl::StrFormat("region %s: %s is not an osport region (%u bytes, no osport "
                                           "header)",
                                           o.name, what, info->size));
      }
    }
    return os::Annotate(s, "region " + o.name);
  }
  return f;
}

absl::Status CheckRegionMemory(os::Backend backend, std::uint64_t id, const RegionOptions& o,
                               std::uint32_t mode) {
  if (backend != os::Backend::kSysV && backend != os::Backend::kPosixShm) return absl::OkStatus();
  return os::Annotate(os::CheckTrustedSystemMemory(backend, id, mode, o.trust), "region " + o.name);
}

absl::StatusOr<os::Mapping> AttachRegionMemory(os::Backend backend, os::File& stub, std::uint64_t id,
                                               std::uint64_t size, const RegionOptions& o,
                                               std::uint32_t mode, os::MapAccess access) {
  if (absl::Status s = CheckRegionMemory(backend, id, o, mode); !s.ok()) return s;
  return os::AttachSystemMemory(backend, stub, id, size, access);
}

absl::Status RemoveRegionMemory(os::Backend backend, std::uint64_t id, const RegionOptions& o) {
  // Any mode: removing is about whose memory it is, not how open it is.
  absl::Status s = CheckRegionMemory(backend, id, o, 0777);
  if (os::IsMemoryGone(s)) return absl::OkStatus();  // gone already
  if (!s.ok()) return s;
  return os::RemoveSystemMemory(backend, id);
}

absl::StatusOr<bool> SameFileAt(os::Dir& home, const std::string& name, os::File& file) {
  absl::StatusOr<os::FileInfo> at = os::StatAt(home, name);
  if (!at.ok()) {
    if (os::HasErrno(at.status(), ENOENT)) return false;
    return at.status();
  }
  absl::StatusOr<os::FileInfo> open = os::StatOpenFile(file);
  if (!open.ok()) return open.status();
  return at->device == open->device && at->inode == open->inode;
}

absl::Status UnlinkIfSameAt(os::Dir& home, const std::string& name, os::File& file) {
  absl::StatusOr<bool> same = SameFileAt(home, name, file);
  if (!same.ok()) return same.status();
  if (!*same) return absl::OkStatus();
  absl::Status s = os::UnlinkAt(home, name);
  if (os::HasErrno(s, ENOENT)) return absl::OkStatus();
  return s;
}

}  // namespace osport::region
