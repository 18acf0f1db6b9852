// The neutral half of os/trust.h: the untrusted error and the rules, written
// once; the platforms only report owners and modes.
#include "os/trust.h"

#include <algorithm>
#include <cstddef>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/error.h"

namespace osport::os {

namespace {

constexpr char kUntrustedPayload[] = "type.osport/untrusted";

bool Trusted(const std::string& owner, const std::string& caller, const TrustPolicy& policy) {
  return owner == caller ||
         std::find(policy.trusted_owners.begin(), policy.trusted_owners.end(), owner) !=
             policy.trusted_owners.end();
}

// "uid 65534" on POSIX (a number), the SID itself on Win32.
std::string OwnerText(const std::string& owner) {
  return absl::StartsWith(owner, "S-") ? owner : absl::StrCat("uid ", owner);
}

absl::Status ForeignOwner(absl::string_view what, absl::string_view role, const std::string& owner,
                          const std::string& caller) {
  return UntrustedError(EACCES, what,
                        absl::StrCat(role, " ", OwnerText(owner), ", not you (",
                                     OwnerText(caller), ") nor an owner you trust"));
}

}  // namespace

absl::Status UntrustedError(int portable_errno, absl::string_view what, absl::string_view reason) {
  absl::Status s = PortableError(absl::StatusCode::kPermissionDenied, portable_errno,
                                 absl::StrCat("untrusted: \"", what, "\" ", reason));
  s.SetPayload(kUntrustedPayload, absl::Cord(reason));
  return s;
}

bool IsUntrusted(const absl::Status& status) {
  return status.GetPayload(kUntrustedPayload).has_value();
}

std::string UntrustedReason(const absl::Status& status) {
  absl::optional<absl::Cord> p = status.GetPayload(kUntrustedPayload);
  return p.has_value() ? std::string(*p) : std::string();
}

absl::Status CheckTrustedFile(const FileInfo& info, const std::string& caller, std::uint32_t mode,
                              const TrustPolicy& policy, absl::string_view what) {
  if (info.type != FileType::kRegular) {
    // Another user's FIFO, directory or socket says whose it is: someone
    // else put it at the name (a symbolic link's owner says nothing).
    if (info.type != FileType::kSymlink && !Trusted(info.owner, caller, policy)) {
      return ForeignOwner(what, absl::StrCat("is a ", FileTypeName(info.type), " owned by"), info.owner,
                          caller);
    }
    return UntrustedError(info.type == FileType::kSymlink ? ELOOP : EACCES, what,
                          absl::StrCat("is a ", FileTypeName(info.type), ", not a regular file"));
  }
  if (!Trusted(info.owner, caller, policy)) return ForeignOwner(what, "is owned by", info.owner, caller);
  if (info.links != 1) {
    return UntrustedError(EACCES, what,
                          absl::StrCat("has ", info.links,
                                       " links (a hard link to it exists elsewhere)"));
  }
  if (const std::uint32_t extra = info.mode & 0222 & ~mode; extra != 0) {
    return UntrustedError(EACCES, what,
                          absl::StrFormat("has mode %04o: write bits %04o beyond the %04o asked for",
                                          info.mode & 07777, extra, mode & 07777));
  }
  // Read bits count too (review 10): whoever can read the file can take
  // shared byte-range locks on it (POSIX asks only for a descriptor open
  // for reading), and so hold the liveness and remover locks that attach and
  // remove wait for -- a reader can keep a region from being removed. Such
  // readers must be ones the caller chose, by asking for that mode.
  if (const std::uint32_t extra = info.mode & 0444 & ~mode; extra != 0) {
    return UntrustedError(EACCES, what,
                          absl::StrFormat("has mode %04o: read bits %04o beyond the %04o asked for "
                                          "(those readers could also hold its locks)",
                                          info.mode & 07777, extra, mode & 07777));
  }
  return absl::OkStatus();
}

absl::Status CheckTrustedHome(const FileInfo& info, const std::string& caller,
                              const TrustPolicy& policy, absl::string_view what) {
  if (info.type != FileType::kDirectory) {
    return UntrustedError(info.type == FileType::kSymlink ? ELOOP : ENOTDIR, what,
                          absl::StrCat("is a ", FileTypeName(info.type), ", not a directory"));
  }
  const bool foreign = !info.owner_is_admin && !Trusted(info.owner, caller, policy);
  const bool others_write = (info.mode & 0022) != 0;
  if (!foreign && !others_write) return absl::OkStatus();
  // The sticky bit keeps other users from removing or renaming what the
  // caller puts there -- but not the directory's owner, who can rename and
  // replace any entry: a sticky home is accepted only from a trusted owner.
  const bool sticky = (info.mode & 01000) != 0;
  if (sticky && !foreign && policy.allow_sticky_shared_home) return absl::OkStatus();
  if (foreign) {
    return UntrustedError(EACCES, what,
                          absl::StrCat("is a home owned by ", OwnerText(info.owner), ", not you (",
                                       OwnerText(caller), ") nor an owner you trust",
                                       sticky ? " (sticky or not: its owner can replace any file in it)"
                                              : ""));
  }
  const std::string hint = sticky ? " (a sticky directory: allow_sticky_shared_home accepts it)" : "";
  return UntrustedError(EACCES, what,
                        absl::StrFormat("is a home other users can write (mode %04o)%s",
                                        info.mode & 07777, hint));
}

absl::Status CheckTrustedAncestor(const FileInfo& info, const std::string& caller,
                                  const TrustPolicy& policy, absl::string_view home,
                                  absl::string_view what) {
  const std::string where = absl::StrCat("is inside \"", what, "\", ");
  if (!info.owner_is_admin && !Trusted(info.owner, caller, policy)) {
    return UntrustedError(EACCES, home,
                          absl::StrCat(where, "a directory owned by ", OwnerText(info.owner), ", not you (",
                                       OwnerText(caller), ") nor an owner you trust: its owner can rename "
                                       "the home and put another directory in its place"));
  }
  if ((info.mode & 0022) != 0 && (info.mode & 01000) == 0) {
    return UntrustedError(EACCES, home,
                          absl::StrFormat("%sa directory other users can write (mode %04o, not sticky): they "
                                          "can rename the home and put another directory in its place",
                                          where, info.mode & 07777));
  }
  return absl::OkStatus();
}

namespace {

// The untrusted error for a home another user owns that we could not open,
// else OK (its parent could not be opened either, or the owner is trusted).
absl::Status ExplainClosedHome(const std::string& path, const std::string& caller, const TrustPolicy& policy) {
  // Split by hand: std::filesystem converts through the locale on Win32 and
  // throws where this layer returns statuses.
  const std::size_t cut = path.find_last_of(config::kWin32 ? "/\\" : "/");
  const std::string leaf = cut == std::string::npos ? path : path.substr(cut + 1);
  if (leaf.empty() || leaf == "." || leaf == "..") return absl::OkStatus();
  // The root ("/x": "/"; Win32 "C:\\x": "C:\\") keeps its separator.
  const bool root = cut == 0 || (config::kWin32 && cut == 2 && path[1] == ':');
  const std::string parent = cut == std::string::npos ? std::string(".")
                             : root                   ? path.substr(0, cut + 1)
                                                      : path.substr(0, cut);
  absl::StatusOr<Dir> up = OpenDir(parent);
  if (!up.ok()) return absl::OkStatus();
  absl::StatusOr<FileInfo> info = StatAt(*up, leaf);
  if (!info.ok()) return absl::OkStatus();
  return CheckTrustedHome(*info, caller, policy, path);
}

}  // namespace

absl::StatusOr<Dir> OpenTrustedHome(const std::string& path, const TrustPolicy& policy) {
  absl::StatusOr<std::string> caller = CurrentUser();
  if (!caller.ok()) return caller.status();
  return OpenTrustedHome(path, policy, *caller);
}

absl::StatusOr<Dir> OpenTrustedHome(const std::string& path, const TrustPolicy& policy,
                                    const std::string& caller) {
  absl::StatusOr<Dir> dir = OpenDir(path);
  if (!dir.ok()) {
    // A home closed to us (EACCES) is looked at by its name in its parent,
    // which needs no access to it: another user's is untrusted and says
    // whose, as it would if we could open it (attacker review of
    // 2026-12-02, finding 2). Otherwise the open's own error stands.
    if (HasErrno(dir.status(), EACCES)) {
      if (absl::Status s = ExplainClosedHome(path, caller, policy); IsUntrusted(s)) return s;
    }
    return dir.status();
  }
  absl::StatusOr<FileInfo> info = StatDir(*dir);
  if (!info.ok()) return info.status();
  if (absl::Status s = CheckTrustedHome(*info, caller, policy, path); !s.ok()) return s;
  absl::StatusOr<std::vector<DirAncestor>> above = StatAncestors(*dir, *info);
  if (!above.ok()) return above.status();
  for (const DirAncestor& a : *above) {
    if (absl::Status s = CheckTrustedAncestor(a.info, caller, policy, path, a.path); !s.ok()) return s;
  }
  return dir;
}

absl::StatusOr<File> OpenTrusted(Dir& dir, const std::string& name, std::uint32_t flags,
                                 std::uint32_t mode, const TrustPolicy& policy) {
  const std::string what = JoinPath(dir, name);
  if ((flags & ~std::uint32_t{kOpenReadOnly}) != 0) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("open trusted \"%s\": flags 0x%x: only kOpenReadOnly is allowed",
                                         what, flags));
  }
  absl::StatusOr<std::string> caller = CurrentUser();
  if (!caller.ok()) return caller.status();
  absl::StatusOr<File> file = OpenAt(dir, name, flags);
  if (!file.ok()) {
    if (HasErrno(file.status(), ELOOP)) {
      return UntrustedError(ELOOP, what, "is a symbolic link, not a regular file");
    }
    return file.status();
  }
  absl::StatusOr<FileInfo> info = StatOpenFile(*file);
  if (!info.ok()) return info.status();
  if (absl::Status s = CheckTrustedFile(*info, *caller, mode, policy, what); !s.ok()) return s;
  return file;
}

absl::Status CheckTrustedSystemMemory(Backend backend, std::uint64_t id, std::uint32_t mode,
                                      const TrustPolicy& policy) {
  absl::StatusOr<std::string> caller = CurrentUser();
  if (!caller.ok()) return caller.status();
  absl::StatusOr<SystemMemoryInfo> info = StatSystemMemory(backend, id);
  if (!info.ok()) return info.status();
  const std::string what = absl::StrCat(BackendName(backend), " memory ", id);
  if (!Trusted(info->creator, *caller, policy)) {
    return ForeignOwner(what, "was created by", info->creator, *caller);
  }
  FileInfo as_file;
  as_file.type = info->type;
  as_file.owner = info->owner;
  as_file.mode = info->mode;
  as_file.links = info->links;
  as_file.size = info->size;
  return CheckTrustedFile(as_file, *caller, mode, policy, what);
}

}  // namespace osport::os
