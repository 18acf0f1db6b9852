// The trust boundary: a home directory, region file, stub or piece of system
// memory that another user (or a damaged file) controls is refused with a
// distinct "untrusted" error naming the owner and the reason -- never followed,
// joined, mapped or acted on. The checks are written once here; the platform
// halves only report owners and modes (os/dir.h, StatSystemMemory).
//
// The rules (docs/PORTING.md, "Security model"):
//  - a file (region file, stub, POSIX shm object) is trusted when it is a
//    regular file, owned by the caller or by an owner the caller names in
//    TrustPolicy::trusted_owners, has exactly one link, and has no write or
//    read bit beyond the mode the caller asked for (a reader can hold its
//    byte-range locks, so readers too must be ones the caller chose);
//  - a SysV segment: the same for both its owner and its creator, and its mode;
//  - a home directory: a directory owned by the caller, the administrator or a
//    trusted owner that no other user can write -- or that others can write
//    if it is sticky (like /tmp) and the caller set allow_sticky_shared_home
//    (never a home another user owns, sticky or not: its owner can rename
//    and replace any entry in it);
//  - no symbolic link in any component of the home's path (OpenDir);
//  - every directory above the home owned by the caller, the administrator
//    or a trusted owner, and writable by no one else unless sticky: whoever
//    may rename entries in one of them can swap the home for another
//    directory (OpenSSH's StrictModes walks the same way up to "/").
#ifndef OSPORT_OS_TRUST_H_
#define OSPORT_OS_TRUST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "os/dir.h"
#include "os/file.h"
#include "os/map.h"

namespace osport::os {

struct TrustPolicy {
  // Owners (FileInfo::owner form: "1000", "S-1-5-...") trusted besides the caller.
  std::vector<std::string> trusted_owners;
  // Accept a home that others can write when it is a sticky directory owned
  // by the caller, the administrator or a trusted owner.
  bool allow_sticky_shared_home = false;
};

// The untrusted error: PermissionDenied carrying `portable_errno` (EACCES;
// ELOOP for a symbolic link) and a payload with `reason`. The message reads
// `untrusted: "/h/app" is owned by uid 65534 (you are uid 0)`.
[[nodiscard]] absl::Status UntrustedError(int portable_errno, absl::string_view what,
                                          absl::string_view reason);
[[nodiscard]] bool IsUntrusted(const absl::Status& status);
// The reason given to UntrustedError ("" for other statuses).
[[nodiscard]] std::string UntrustedReason(const absl::Status& status);

// The pure checks, on information already gathered; `what` names the object.
[[nodiscard]] absl::Status CheckTrustedFile(const FileInfo& info, const std::string& caller,
                                            std::uint32_t mode, const TrustPolicy& policy,
                                            absl::string_view what);
[[nodiscard]] absl::Status CheckTrustedHome(const FileInfo& info, const std::string& caller,
                                            const TrustPolicy& policy, absl::string_view what);

// A directory above a home (`home` names the home): what CheckTrustedHome
// asks of its owner, and no write access for others unless it is sticky
// (like /tmp: only an entry's owner, the directory's owner and root may
// rename it; the owner is checked). allow_sticky_shared_home is not needed.
[[nodiscard]] absl::Status CheckTrustedAncestor(const FileInfo& info, const std::string& caller,
                                                const TrustPolicy& policy, absl::string_view home,
                                                absl::string_view what);

// OpenDir, then CheckTrustedHome, then CheckTrustedAncestor on each of
// StatAncestors (os/dir.h), for CurrentUser().
[[nodiscard]] absl::StatusOr<Dir> OpenTrustedHome(const std::string& path, const TrustPolicy& policy);
// The same for `caller`, CurrentUser() as the caller read it just before:
// an operation that goes on to check files in the home asks once (a system
// call on POSIX, a token query on Win32).
[[nodiscard]] absl::StatusOr<Dir> OpenTrustedHome(const std::string& path, const TrustPolicy& policy,
                                                  const std::string& caller);

// Opens the existing `name` in `dir` without blocking (a FIFO never hangs)
// and checks it with fstat before anything reads it: CheckTrustedFile with
// `mode`, the mode the caller asked for. `flags` is 0 (read-write) or
// kOpenReadOnly; anything else is InvalidArgument. A symbolic link is
// untrusted (ELOOP).
[[nodiscard]] absl::StatusOr<File> OpenTrusted(Dir& dir, const std::string& name, std::uint32_t flags,
                                               std::uint32_t mode, const TrustPolicy& policy);

// What the system says about named system memory (SysV: shmctl IPC_STAT;
// POSIX: fstat of the shm object). Memory that is gone is Unavailable+EAGAIN
// as in AttachSystemMemory. Win32: Unimplemented (a paging-file section is
// named from the stub's identity and created owner-only; check the stub).
struct SystemMemoryInfo {
  FileType type = FileType::kRegular;  // POSIX shm: the object's type
  std::string owner;                   // current owner
  std::string creator;                 // SysV creator (cuid); POSIX: = owner
  std::uint32_t mode = 0;
  std::uint64_t links = 1;
  std::uint64_t size = 0;
};
[[nodiscard]] absl::StatusOr<SystemMemoryInfo> StatSystemMemory(Backend backend, std::uint64_t id);

// StatSystemMemory, then the file rules on owner, creator, links and mode.
[[nodiscard]] absl::Status CheckTrustedSystemMemory(Backend backend, std::uint64_t id,
                                                    std::uint32_t mode, const TrustPolicy& policy);

}  // namespace osport::os

#endif  // OSPORT_OS_TRUST_H_
