// Files: a move-only handle and the seed's os_ calls on it (open, seek,
// read, write, ioinfo, exists, unlink, close, allocate).
#ifndef OSPORT_OS_FILE_H_
#define OSPORT_OS_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gsl/span"

namespace osport::os {

// Owns one open file (a descriptor on POSIX, a HANDLE on Win32, stored
// opaquely). Move-only; the destructor closes and ignores the error, so call
// Close() where the error matters. Never inherited by child processes.
class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept : handle_(other.release()), path_(std::move(other.path_)) {}
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  [[nodiscard]] bool is_open() const { return handle_ != kInvalid; }
  // The path it was opened with, for error messages.
  [[nodiscard]] const std::string& path() const { return path_; }
  // The platform handle (fd or HANDLE as an integer), for other os/ code.
  [[nodiscard]] std::intptr_t native() const { return handle_; }

  // Closes the file and reports the OS's close error. Closing a closed File
  // is OK. The handle is released even when an error is reported.
  [[nodiscard]] absl::Status Close();

  // Adopts a platform handle (os/ internal use).
  static File Adopt(std::intptr_t handle, std::string path);

 private:
  static constexpr std::intptr_t kInvalid = -1;
  std::intptr_t release() {
    std::intptr_t h = handle_;
    handle_ = kInvalid;
    return h;
  }
  std::intptr_t handle_ = kInvalid;
  std::string path_;
};

// Fork and byte-range locks. An OFD lock (Linux F_OFD_SETLK) belongs to the
// open file description, which fork() shares with the child: a child that
// kept the descriptor would keep the parent's locks on it after the parent
// is gone (a region's liveness lock: region/liveness.h). Marks `file` so
// that in every child of fork() its descriptor is pointed at /dev/null
// (dup2: the number stays valid for the child's own Close); the locks then
// live and die with the parent's descriptor. Undone by Close, which closes a
// marked descriptor with no fork() in between either. A file opened
// elsewhere may be marked any time; OpenAt/Open's kOpenReleaseInForkedChild
// marks it as it opens it. Nothing to do where locks belong to the process
// (classic fcntl locks are not inherited) or there is no fork (Win32).
void ReleaseInForkedChild(File& file);

// Portable open flags, or-ed together.
enum OpenFlags : std::uint32_t {
  kOpenReadOnly = 1u << 0,   // else read-write
  kOpenCreate = 1u << 1,     // create if missing, with `mode`
  kOpenExclusive = 1u << 2,  // with kOpenCreate: fail with EEXIST if it exists
  kOpenTruncate = 1u << 3,   // truncate to 0 bytes
  kOpenNoFollow = 1u << 4,   // refuse a final symbolic link (ELOOP)
  // ReleaseInForkedChild from the open on, with no fork() between the two
  // (a child forked in between would keep the description unregistered).
  kOpenReleaseInForkedChild = 1u << 5,
};

// Opens `path` (UTF-8). `mode` is the permission set (0600...) given to a
// file this call creates, applied exactly: the process umask does not narrow
// it. Of N processes racing with kOpenCreate|kOpenExclusive exactly one
// succeeds; the others get AlreadyExists with errno EEXIST. Unknown flag bits,
// kOpenExclusive without kOpenCreate, or kOpenTruncate with kOpenReadOnly are
// InvalidArgument. The file is close-on-exec.
[[nodiscard]] absl::StatusOr<File> Open(const std::string& path, std::uint32_t flags,
                                        std::uint32_t mode = 0600);

enum class Whence : std::uint8_t { kSet, kCur, kEnd };

// The seed's seek: offset = pgsize * pageno + relative, negated when
// `rewind`, applied from `whence`. Computed in 64 bits so that 32-bit callers
// can reach offsets past 4 GiB (the seed passes 1 MiB as pgsize). An offset
// that overflows a signed 64-bit value, or a resulting position below 0, is
// InvalidArgument; nothing wraps. Returns the new position.
[[nodiscard]] absl::StatusOr<std::uint64_t> Seek(File& file, std::uint64_t pgsize,
                                                 std::uint64_t pageno, std::uint64_t relative,
                                                 bool rewind, Whence whence);

// The checked arithmetic of Seek, shared by every platform: the signed offset
// to apply, or InvalidArgument.
[[nodiscard]] absl::StatusOr<std::int64_t> SeekOffset(std::uint64_t pgsize, std::uint64_t pageno,
                                                      std::uint64_t relative, bool rewind);

// Reads until `buf` is full or end of file; retries interrupted and short
// reads. Returns the bytes read: less than buf.size() only at end of file.
[[nodiscard]] absl::StatusOr<std::size_t> Read(File& file, gsl::span<std::byte> buf);

// Writes all of `buf`, retrying interrupted and short writes. A write that
// makes no progress is an error (EIO), never a silent truncation.
[[nodiscard]] absl::Status Write(File& file, gsl::span<const std::byte> buf);

// Positional I/O: Read and Write at byte `offset` of the file, in one call
// each where the transfer fits (POSIX pread(2)/pwrite(2); Win32 ReadFile/
// WriteFile with an OVERLAPPED offset), with the same retries and results as
// Read and Write. No seek: two threads sharing a File cannot move each
// other's offset between a seek and a transfer, and a caller saves the
// lseek call. The file position afterwards is unspecified (POSIX leaves it
// alone; Win32 moves it past the transfer). An `offset` (or offset + size)
// past the largest signed 64-bit file offset is InvalidArgument (EINVAL).
[[nodiscard]] absl::StatusOr<std::size_t> ReadAt(File& file, std::uint64_t offset,
                                                 gsl::span<std::byte> buf);
[[nodiscard]] absl::Status WriteAt(File& file, std::uint64_t offset, gsl::span<const std::byte> buf);

// The size of an open file split as the seed did (so 32-bit callers see sizes
// past 4 GiB), and the preferred I/O size.
struct IoInfo {
  std::uint32_t mbytes = 0;  // size / 1 MiB
  std::uint32_t bytes = 0;   // size % 1 MiB
  std::uint32_t iosize = 0;  // preferred I/O size; 8 KiB when the OS gives none

  [[nodiscard]] std::uint64_t size() const {
    return std::uint64_t{mbytes} * kMegabyte + bytes;
  }
  static constexpr std::uint64_t kMegabyte = std::uint64_t{1} << 20;
  static constexpr std::uint32_t kDefaultIoSize = 8 * 1024;
};
[[nodiscard]] absl::StatusOr<IoInfo> GetIoInfo(File& file);

// Whether `path` exists (false for "no such file", an error for anything else
// such as permission denied). If it exists and `is_dir` is set, *is_dir says
// whether it is a directory.
[[nodiscard]] absl::StatusOr<bool> Exists(const std::string& path, bool* is_dir = nullptr);

// Whether `path` (not following a final symlink) names the same file as the
// open `file` -- so a stale file can be unlinked without removing a new one
// that took its name meanwhile. false if `path` does not exist.
[[nodiscard]] absl::StatusOr<bool> IsSameFile(File& file, const std::string& path);

// Removes the name `path`. NotFound (ENOENT) if it does not exist.
[[nodiscard]] absl::Status Unlink(const std::string& path);

// Sets the file's size (extending sparsely or cutting).
[[nodiscard]] absl::Status Truncate(File& file, std::uint64_t size);

// Sets the open file's permission bits to exactly `mode` (0..0777; no
// set-id or sticky bits), whatever the umask: POSIX fchmod. Win32 files
// have no permission bits (access comes from the directory's ACL; Open sets
// the read-only attribute only when it creates a file): `mode` is
// validated and nothing is changed.
[[nodiscard]] absl::Status SetMode(File& file, std::uint32_t mode);

// Guarantees disk blocks for [offset, offset + len), extending the file if
// needed, so a full disk is ENOSPC now rather than SIGBUS later through a
// mapping. Uses the filesystem's allocation call; where the filesystem does not
// support one, writes zeros in 1 MiB chunks -- but only past the current end of
// file, never over existing data (holes below the end stay holes there).
[[nodiscard]] absl::Status Allocate(File& file, std::uint64_t offset, std::uint64_t len);

// Byte-range locks that the kernel releases when their holder dies: the
// region's liveness locks (region/lifecycle.h). A lock belongs to the open
// file -- the descriptor or handle -- where the platform allows it (Linux
// open-file-description locks, F_OFD_SETLK; Win32 LockFileEx), so two Files
// of one file in one process conflict like two processes, and closing one
// File never drops the locks of another. Where only classic fcntl locks
// exist, locks belong to the process: they never conflict within it, and
// closing ANY descriptor of the file drops all of them (keep one File per
// file per process there); RangeLocksPerOpenFile() says which holds.
// Win32 locks are mandatory (a locked byte cannot be read or written through
// another handle): lock bytes past any data, as the region does.
enum class RangeLock : std::uint8_t { kShared, kExclusive };

// Takes a lock of `kind` on [offset, offset + len) without waiting. true:
// taken; false: another holder's lock conflicts (EAGAIN/EACCES,
// ERROR_LOCK_VIOLATION); an error otherwise. Where RangeLockConvertsInPlace()
// a lock this File already holds on the range is converted atomically
// (shared <-> exclusive); elsewhere unlock first. len must be > 0.
[[nodiscard]] absl::StatusOr<bool> TryLockRange(File& file, std::uint64_t offset, std::uint64_t len,
                                                RangeLock kind);

// Releases this File's lock on [offset, offset + len) (nothing held is OK).
[[nodiscard]] absl::Status UnlockRange(File& file, std::uint64_t offset, std::uint64_t len);

// Whether range locks belong to the open file (OFD / handle) rather than to
// the process; whether TryLockRange converts a held lock in place.
[[nodiscard]] bool RangeLocksPerOpenFile();
[[nodiscard]] bool RangeLockConvertsInPlace();

// Flushes the file's data to stable storage.
[[nodiscard]] absl::Status Sync(File& file);

}  // namespace osport::os

#endif  // OSPORT_OS_FILE_H_
