// A directory handle: a region home opened once, with no symbolic link (no
// Win32 reparse point) in any component of its path, and the file operations
// made relative to it (openat, fstatat, renameat, unlinkat, linkat), so a link
// planted in the path later cannot redirect them.
#ifndef OSPORT_OS_DIR_H_
#define OSPORT_OS_DIR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "os/file.h"

namespace osport::os {

// Owns one open directory (a descriptor on POSIX; on Win32 a handle on the
// directory plus one on each of its ancestors, opened without delete sharing
// so that no component can be renamed or replaced while the Dir lives).
// Move-only; the destructor closes and ignores errors.
class Dir {
 public:
  Dir() = default;
  ~Dir();
  Dir(Dir&& other) noexcept;
  Dir& operator=(Dir&& other) noexcept;
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;

  [[nodiscard]] bool is_open() const { return handle_ != kInvalid; }
  // The path it was opened with (Win32: the full path), for messages.
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::intptr_t native() const { return handle_; }
  // The extra handles Adopt was given, in its order (os/ internal use).
  [[nodiscard]] const std::vector<std::intptr_t>& pins() const { return pins_; }

  // Closes every handle; reports the first close error.
  [[nodiscard]] absl::Status Close();

  // Adopts platform handles (os/ internal use): `pins` are extra handles kept
  // open for the Dir's lifetime (Win32 ancestors).
  static Dir Adopt(std::intptr_t handle, std::string path, std::vector<std::intptr_t> pins = {});

 private:
  static constexpr std::intptr_t kInvalid = -1;
  std::intptr_t handle_ = kInvalid;
  std::string path_;
  std::vector<std::intptr_t> pins_;
};

enum class FileType : std::uint8_t { kRegular, kDirectory, kSymlink, kFifo, kSocket, kDevice, kOther };
// "regular file", "directory", "symbolic link", "FIFO"...
[[nodiscard]] absl::string_view FileTypeName(FileType type);

// What the trust checks need to know about a file, from one fstat/fstatat
// (Win32: the handle's information and its owner SID).
struct FileInfo {
  FileType type = FileType::kOther;
  // The owner: the decimal uid on POSIX ("1000"), the SID string on Win32
  // ("S-1-5-21-..."). Compare with CurrentUser().
  std::string owner;
  // The owner is the system's administrator (uid 0; SYSTEM or Administrators).
  bool owner_is_admin = false;
  // Permission bits (07777). Win32 has only the read-only attribute: 0600,
  // or 0400 when read-only (its ACLs are not summarised here).
  std::uint32_t mode = 0;
  std::uint64_t links = 0;
  std::uint64_t size = 0;
  std::uint64_t device = 0;  // with `inode`, the file's identity
  std::uint64_t inode = 0;
};

// The user this process acts as, in FileInfo::owner's form (the effective uid
// on POSIX, the token user's SID on Win32).
[[nodiscard]] absl::StatusOr<std::string> CurrentUser();

// Opens the directory `path` (UTF-8, absolute or relative to the working
// directory). A symbolic link in any component, the last included, is refused
// with an untrusted error (os/trust.h) carrying ELOOP; on Linux one openat2
// with RESOLVE_NO_SYMLINKS where the kernel has it (OSPORT_HAVE_OPENAT2),
// elsewhere a walk opening one component at a time with O_NOFOLLOW. Not a
// directory is ENOTDIR. The Dir is close-on-exec.
[[nodiscard]] absl::StatusOr<Dir> OpenDir(const std::string& path);

// The directory's own information.
[[nodiscard]] absl::StatusOr<FileInfo> StatDir(Dir& dir);

// One directory above an open Dir: `path` names it for messages (a prefix of
// the Dir's path, or the path with "/.." appended once the path has no
// components left).
struct DirAncestor {
  std::string path;
  FileInfo info;
};
// The directories above `dir`, nearest first, up to the root as this process
// sees it. Whoever may rename entries in one of them can move the directory
// `dir` was opened as and put another in its place before the next open
// (OpenTrustedHome checks them, os/trust.h). POSIX: fstatat of "..",
// "../..", ... relative to the open descriptor, never the path string, until
// a directory is its own parent. Win32: the ancestors OpenDir opened and
// pinned. `self` is StatDir(dir), which the caller has already (POSIX
// compares each ancestor's device and inode with the one below it: `self`
// spares a second fstat of `dir`). Errors: the failed call's errno, naming
// the ancestor.
[[nodiscard]] absl::StatusOr<std::vector<DirAncestor>> StatAncestors(Dir& dir, const FileInfo& self);

// The operations below take `name`, one path component: not empty, not "." or
// "..", no separator (InvalidArgument otherwise). None follows a symbolic
// link at `name`.

// Opens `name` in `dir` like os::Open (same flags; `mode` applied exactly to
// a file this call creates), never following a final symbolic link (ELOOP),
// and without blocking: a FIFO or device opens at once (O_NONBLOCK) so the
// caller can inspect it with StatOpenFile; it never becomes a terminal.
[[nodiscard]] absl::StatusOr<File> OpenAt(Dir& dir, const std::string& name, std::uint32_t flags,
                                          std::uint32_t mode = 0600);
// fstatat(AT_SYMLINK_NOFOLLOW): a link is reported as FileType::kSymlink.
[[nodiscard]] absl::StatusOr<FileInfo> StatAt(Dir& dir, const std::string& name);
// fstat of an open file.
[[nodiscard]] absl::StatusOr<FileInfo> StatOpenFile(File& file);
// Atomically renames `from` to `to` within `dir`, replacing `to`.
[[nodiscard]] absl::Status RenameAt(Dir& dir, const std::string& from, const std::string& to);
// Removes the name (not a directory). NotFound if it does not exist.
[[nodiscard]] absl::Status UnlinkAt(Dir& dir, const std::string& name);
// Makes `new_name` a hard link to `existing` (not following a link at `existing`).
[[nodiscard]] absl::Status LinkAt(Dir& dir, const std::string& existing, const std::string& new_name);

// "dir/name", for messages (and for the Win32 calls that take paths).
[[nodiscard]] std::string JoinPath(const Dir& dir, absl::string_view name);

namespace internal {
// InvalidArgument unless `name` is one path component (shared by platforms).
[[nodiscard]] absl::Status ValidateComponent(const Dir& dir, absl::string_view name);
}  // namespace internal

}  // namespace osport::os

#endif  // OSPORT_OS_DIR_H_
