// Implements os/dir.h on POSIX: one descriptor on the home, opened with
// openat2(RESOLVE_NO_SYMLINKS) or an O_NOFOLLOW walk, and the *at calls.
#include "os/dir.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "os/error.h"
#include "os/posix/error.h"
#include "os/posix/fork_release.h"
#include "os/posix/sys.h"
#include "os/posix/sys_dir.h"
#include "os/trust.h"

namespace osport::os {

namespace sys = posix::sys;
using posix::ErrnoStatus;

namespace {

int Fd(const Dir& d) { return static_cast<int>(d.native()); }

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
// Components on the way only need searching, not reading (a 0711 parent).
#if defined(O_PATH)
constexpr int kWalkFlags = O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
#else
constexpr int kWalkFlags = kDirFlags | O_NOFOLLOW;
#endif

absl::Status SymlinkInPath(const std::string& path, absl::string_view component) {
  return UntrustedError(ELOOP, path,
                        component.empty()
                            ? std::string("has a symbolic link in its path")
                            : absl::StrCat("has a symbolic link in its path (\"", component, "\")"));
}

// Opens `path` one component at a time, each with O_NOFOLLOW, each relative
// to the descriptor of the one before.
absl::StatusOr<int> Walk(const std::string& path) {
  const bool absolute = path[0] == '/';
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  int fd = -1;
  do {
    fd = sys::Open(absolute ? "/" : ".", kWalkFlags, 0);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", absolute ? "/" : ".", errno);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    int next = -1;
    do {
      next = sys::Openat(fd, parts[i].c_str(), last ? kDirFlags | O_NOFOLLOW : kWalkFlags, 0);
    } while (next < 0 && errno == EINTR);
    int err = errno;
    if (next < 0 && err == ENOTDIR) {
      // O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR on Linux: look at it.
      struct stat st;
      if (sys::Fstatat(fd, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        err = ELOOP;
      }
    }
    (void)sys::Close(fd);
    if (next < 0) {
      if (err == ELOOP) return SymlinkInPath(path, parts[i]);
      return ErrnoStatus("openat", absl::StrCat(path, " (at \"", parts[i], "\")"), err);
    }
    fd = next;
  }
  if (parts.empty()) {
    // "/" (or only "/"s): the start was opened with search rights only.
    const int reopened = sys::Openat(fd, ".", kDirFlags, 0);
    const int err = errno;
    (void)sys::Close(fd);
    if (reopened < 0) return ErrnoStatus("openat", path, err);
    fd = reopened;
  }
  return fd;
}

FileInfo FromStat(const struct stat& st) {
  FileInfo info;
  if (S_ISREG(st.st_mode)) info.type = FileType::kRegular;
  else if (S_ISDIR(st.st_mode)) info.type = FileType::kDirectory;
  else if (S_ISLNK(st.st_mode)) info.type = FileType::kSymlink;
  else if (S_ISFIFO(st.st_mode)) info.type = FileType::kFifo;
  else if (S_ISSOCK(st.st_mode)) info.type = FileType::kSocket;
  else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) info.type = FileType::kDevice;
  info.owner = absl::StrCat(st.st_uid);
  info.owner_is_admin = st.st_uid == 0;
  info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  info.links = static_cast<std::uint64_t>(st.st_nlink);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.device = static_cast<std::uint64_t>(st.st_dev);
  info.inode = static_cast<std::uint64_t>(st.st_ino);
  return info;
}

}  // namespace

absl::Status Dir::Close() {
  if (!is_open()) return absl::OkStatus();
  const int fd = static_cast<int>(std::exchange(handle_, kInvalid));
  if (sys::Close(fd) != 0 && errno != EINTR) return ErrnoStatus("close", path_, errno);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CurrentUser() { return absl::StrCat(sys::Geteuid()); }

absl::StatusOr<Dir> OpenDir(const std::string& path) {
  if (path.empty() || path.find('\0') != std::string::npos) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL, "open directory: empty path");
  }
  int fd = -1;
  do {
    fd = sys::Openat2NoSymlinks(AT_FDCWD, path.c_str(), kDirFlags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) return SymlinkInPath(path, "");
    // No openat2 in this build or kernel (ENOSYS), or a seccomp filter that
    // refuses it (EPERM) or a kernel that rejects the struct (E2BIG, EINVAL):
    // walk instead.
    if (err != ENOSYS && err != EPERM && err != E2BIG && err != EINVAL) {
      return ErrnoStatus("openat2", path, err);
    }
    absl::StatusOr<int> walked = Walk(path);
    if (!walked.ok()) return walked.status();
    fd = *walked;
  }
  return Dir::Adopt(fd, path);
}

absl::StatusOr<FileInfo> StatDir(Dir& dir) {
  struct stat st;
  if (sys::Fstat(Fd(dir), &st) != 0) return ErrnoStatus("fstat", dir.path(), errno);
  return FromStat(st);
}

absl::StatusOr<std::vector<DirAncestor>> StatAncestors(Dir& dir, const FileInfo& self) {
  std::vector<DirAncestor> out;
  // The path's own components name the nearer ancestors; "/.." past them.
  std::vector<std::string> parts = absl::StrSplit(dir.path(), '/', absl::SkipEmpty());
  const bool absolute = !dir.path().empty() && dir.path()[0] == '/';
  // A path with "." or ".." in it: its prefixes are not its ancestors.
  if (std::find_if(parts.begin(), parts.end(), [](const std::string& p) { return p == "." || p == ".."; }) !=
      parts.end()) {
    parts.clear();
  }
  std::string up;     // "..", "../..", ...
  std::string shown;  // the ancestor's name in messages
  std::uint64_t below_dev = self.device;
  std::uint64_t below_ino = self.inode;
  // PATH_MAX bounds the depth of any directory a path can name.
  for (int level = 1; level <= PATH_MAX / 2; ++level) {
    up = level == 1 ? std::string("..") : absl::StrCat(up, "/..");
    if (!parts.empty()) {
      parts.pop_back();
      shown = parts.empty() ? (absolute ? std::string("/") : std::string("."))
                            : absl::StrCat(absolute ? "/" : "", absl::StrJoin(parts, "/"));
    } else {
      shown = absl::StrCat(shown.empty() ? dir.path() : shown, shown == "/" ? ".." : "/..");
    }
    struct stat st;
    if (sys::Fstatat(Fd(dir), up.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus("fstatat", absl::StrCat(shown, " (\"", up, "\" from ", dir.path(), ")"), errno);
    }
    const FileInfo info = FromStat(st);
    if (info.device == below_dev && info.inode == below_ino) return out;  // the root
    out.push_back(DirAncestor{shown, info});
    below_dev = info.device;
    below_ino = info.inode;
  }
  return PortableError(absl::StatusCode::kFailedPrecondition, ELOOP,
                       absl::StrCat("stat the directories above \"", dir.path(), "\": more than ",
                                    PATH_MAX / 2, " levels"));
}

absl::StatusOr<File> OpenAt(Dir& dir, const std::string& name, std::uint32_t flags,
                            std::uint32_t mode) {
  const std::string path = JoinPath(dir, name);
  if (absl::Status s = internal::ValidateComponent(dir, name); !s.ok()) return s;
  if (flags & ~std::uint32_t{kOpenReadOnly | kOpenCreate | kOpenExclusive | kOpenTruncate |
                             kOpenNoFollow | kOpenReleaseInForkedChild}) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("open \"", path, "\": unknown flags"));
  }
  if (((flags & kOpenExclusive) && !(flags & kOpenCreate)) ||
      ((flags & kOpenTruncate) && (flags & kOpenReadOnly)) || mode > 07777) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("open \"", path, "\": invalid flags or mode"));
  }
  int base = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
             ((flags & kOpenReadOnly) ? O_RDONLY : O_RDWR);
  if (flags & kOpenTruncate) base |= O_TRUNC;
  bool created = false;
  int fd = -1;
  posix::ForkReleaseScope fork_release((flags & kOpenReleaseInForkedChild) != 0);
  for (;;) {
    if (flags & kOpenCreate) {
      fd = sys::Openat(Fd(dir), name.c_str(), base | O_CREAT | O_EXCL, static_cast<mode_t>(mode));
      if (fd >= 0) {
        created = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno != EEXIST || (flags & kOpenExclusive)) return ErrnoStatus("openat", path, errno);
    }
    fd = sys::Openat(Fd(dir), name.c_str(), base, 0);
    if (fd >= 0) break;
    if (errno == EINTR || ((flags & kOpenCreate) && errno == ENOENT)) continue;
    return ErrnoStatus("openat", path, errno);
  }
  fork_release.Register(fd);
  File file = File::Adopt(fd, path);
  // The exact mode whatever the umask, as os::Open does.
  if (created && sys::Fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    absl::Status s = ErrnoStatus("fchmod", path, errno);
    // We created it: leave nothing behind -- but only if the name is still
    // our file; another process may have replaced it since the open (a
    // window stays between the check and the unlink: POSIX unlinks names).
    struct stat mine;
    struct stat named;
    if (sys::Fstat(fd, &mine) == 0 &&
        sys::Fstatat(Fd(dir), name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
        mine.st_dev == named.st_dev && mine.st_ino == named.st_ino) {
      (void)sys::Unlinkat(Fd(dir), name.c_str(), 0);
    }
    (void)file.Close();
    return s;
  }
  return file;
}

absl::StatusOr<FileInfo> StatAt(Dir& dir, const std::string& name) {
  if (absl::Status s = internal::ValidateComponent(dir, name); !s.ok()) return s;
  struct stat st;
  if (sys::Fstatat(Fd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("fstatat", JoinPath(dir, name), errno);
  }
  return FromStat(st);
}

absl::StatusOr<FileInfo> StatOpenFile(File& file) {
  struct stat st;
  if (sys::FstatIdentity(static_cast<int>(file.native()), &st) != 0) {
    return ErrnoStatus("fstat", file.path(), errno);
  }
  return FromStat(st);
}

absl::Status RenameAt(Dir& dir, const std::string& from, const std::string& to) {
  if (absl::Status s = internal::ValidateComponent(dir, from); !s.ok()) return s;
  if (absl::Status s = internal::ValidateComponent(dir, to); !s.ok()) return s;
  if (sys::Renameat(Fd(dir), from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus("renameat", absl::StrCat(JoinPath(dir, from), " -> ", to), errno);
  }
  return absl::OkStatus();
}

absl::Status UnlinkAt(Dir& dir, const std::string& name) {
  if (absl::Status s = internal::ValidateComponent(dir, name); !s.ok()) return s;
  if (sys::Unlinkat(Fd(dir), name.c_str(), 0) != 0) {
    return ErrnoStatus("unlinkat", JoinPath(dir, name), errno);
  }
  return absl::OkStatus();
}

absl::Status LinkAt(Dir& dir, const std::string& existing, const std::string& new_name) {
  if (absl::Status s = internal::ValidateComponent(dir, existing); !s.ok()) return s;
  if (absl::Status s = internal::ValidateComponent(dir, new_name); !s.ok()) return s;
  if (sys::Linkat(Fd(dir), existing.c_str(), new_name.c_str()) != 0) {
    return ErrnoStatus("linkat", absl::StrCat(JoinPath(dir, existing), " -> ", new_name), errno);
  }
  return absl::OkStatus();
}

}  // namespace osport::os
