// Implements os/file.h on POSIX: descriptors, open(2) flags, read/write loops.
#include "os/file.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/internal/file_platform.h"
#include "os/posix/error.h"
#include "os/posix/fork_release.h"
#include "os/posix/sys.h"

namespace osport::os {

namespace sys = posix::sys;

static_assert(sizeof(std::intptr_t) >= sizeof(int), "a descriptor must fit the File handle");
static_assert(sizeof(off_t) == 8, "build with _FILE_OFFSET_BITS=64: offsets past 2 GiB are required");

using posix::ErrnoStatus;

namespace {

int Fd(const File& f) { return static_cast<int>(f.native()); }

// Opens with O_CREAT|O_EXCL first so we know whether this call created the
// file (and so must apply `mode` exactly, whatever the umask); falls back to a
// plain open when it exists. Loops if the file vanishes in between.
absl::StatusOr<int> OpenCreating(const std::string& path, int base, bool exclusive, mode_t mode,
                                 bool* created) {
  for (;;) {
    int fd = sys::Open(path.c_str(), base | O_CREAT | O_EXCL, mode);
    if (fd >= 0) {
      *created = true;
      return fd;
    }
    int err = errno;
    if (err == EINTR) continue;
    if (err != EEXIST || exclusive) return ErrnoStatus("open", path, err);
    fd = sys::Open(path.c_str(), base, 0);
    if (fd >= 0) return fd;
    err = errno;
    if (err != ENOENT && err != EINTR) return ErrnoStatus("open", path, err);
  }
}

}  // namespace

absl::Status File::Close() {
  if (!is_open()) return absl::OkStatus();
  const int fd = static_cast<int>(release());
  // Forgotten and closed with no fork() in between (a child forked between
  // the two would keep the description, and its locks, unregistered).
  if (posix::CloseForkReleased(fd) != 0) {
    const int err = errno;
    // EINTR from close(2) on Linux still frees the descriptor: nothing to retry.
    if (err != EINTR) return ErrnoStatus("close", path_, err);
  }
  return absl::OkStatus();
}

absl::StatusOr<File> Open(const std::string& path, std::uint32_t flags, std::uint32_t mode) {
  if (absl::Status s = internal::ValidateOpenFlags(path, flags); !s.ok()) return s;
  if (absl::Status s = internal::ValidateOpenMode(path, mode); !s.ok()) return s;
  int base = O_CLOEXEC | ((flags & kOpenReadOnly) ? O_RDONLY : O_RDWR);
  if (flags & kOpenTruncate) base |= O_TRUNC;
  if (flags & kOpenNoFollow) base |= O_NOFOLLOW;

  int fd = -1;
  bool created = false;
  posix::ForkReleaseScope fork_release((flags & kOpenReleaseInForkedChild) != 0);
  if (flags & kOpenCreate) {
    absl::StatusOr<int> r =
        OpenCreating(path, base, (flags & kOpenExclusive) != 0, static_cast<mode_t>(mode), &created);
    if (!r.ok()) return r.status();
    fd = *r;
  } else {
    do {
      fd = sys::Open(path.c_str(), base, 0);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus("open", path, errno);
  }
  fork_release.Register(fd);
  File file = File::Adopt(fd, path);
  if (created && sys::Fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    absl::Status s = ErrnoStatus("fchmod", path, errno);
    // We created it: leave nothing behind -- but only if the name is still
    // our file; another process may have replaced it since the open (a
    // window stays between the check and the unlink: POSIX unlinks names).
    if (IsSameFile(file, path).value_or(false)) (void)sys::Unlink(path.c_str());
    (void)file.Close();
    return s;
  }
  return file;
}

namespace internal {

absl::StatusOr<std::uint64_t> SeekTo(File& file, std::int64_t offset, Whence whence) {
  const int w = whence == Whence::kSet ? SEEK_SET : whence == Whence::kCur ? SEEK_CUR : SEEK_END;
  const off_t pos = sys::Lseek(Fd(file), static_cast<off_t>(offset), w);
  if (pos < 0) {
    const int err = errno;
    // A position past the largest offset is the same mistake as an
    // overflowing pgsize * pageno: report it the same way.
    return ErrnoStatus("lseek", file.path(), err == EOVERFLOW ? EINVAL : err);
  }
  return static_cast<std::uint64_t>(pos);
}

}  // namespace internal

absl::StatusOr<std::size_t> Read(File& file, gsl::span<std::byte> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = sys::Read(Fd(file), buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", file.path(), errno);
    }
    if (n == 0) break;  // end of file
    done += static_cast<std::size_t>(n);
  }
  return done;
}

absl::Status Write(File& file, gsl::span<const std::byte> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = sys::Write(Fd(file), buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", file.path(), errno);
    }
    if (n == 0) return ErrnoStatus("write", file.path(), EIO);
    done += static_cast<std::size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::size_t> ReadAt(File& file, std::uint64_t offset, gsl::span<std::byte> buf) {
  if (absl::Status s = internal::ValidateRange(file, "pread", offset, buf.size()); !s.ok()) return s;
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = sys::Pread(Fd(file), buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pread", file.path(), errno);
    }
    if (n == 0) break;  // end of file
    done += static_cast<std::size_t>(n);
  }
  return done;
}

absl::Status WriteAt(File& file, std::uint64_t offset, gsl::span<const std::byte> buf) {
  if (absl::Status s = internal::ValidateRange(file, "pwrite", offset, buf.size()); !s.ok()) return s;
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n =
        sys::Pwrite(Fd(file), buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pwrite", file.path(), errno);
    }
    if (n == 0) return ErrnoStatus("pwrite", file.path(), EIO);
    done += static_cast<std::size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<IoInfo> GetIoInfo(File& file) {
  std::uint64_t size = 0;
  std::uint32_t blksize = 0;
  if (sys::FstatSize(Fd(file), &size, &blksize) != 0) return ErrnoStatus("fstat", file.path(), errno);
  IoInfo info;
  info.mbytes = static_cast<std::uint32_t>(size / IoInfo::kMegabyte);
  info.bytes = static_cast<std::uint32_t>(size % IoInfo::kMegabyte);
  info.iosize = blksize > 0 ? blksize : IoInfo::kDefaultIoSize;
  return info;
}

absl::StatusOr<bool> Exists(const std::string& path, bool* is_dir) {
  struct stat st;
  if (sys::Stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return false;
    return ErrnoStatus("stat", path, err);
  }
  if (is_dir != nullptr) *is_dir = S_ISDIR(st.st_mode);
  return true;
}

absl::StatusOr<bool> IsSameFile(File& file, const std::string& path) {
  struct stat mine;
  if (sys::Fstat(Fd(file), &mine) != 0) return ErrnoStatus("fstat", file.path(), errno);
  struct stat named;
  if (sys::Lstat(path.c_str(), &named) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return false;
    return ErrnoStatus("lstat", path, err);
  }
  return mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

absl::Status Unlink(const std::string& path) {
  if (sys::Unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
  return absl::OkStatus();
}

absl::Status Truncate(File& file, std::uint64_t size) {
  if (absl::Status s = internal::ValidateRange(file, "truncate", size, 0); !s.ok()) return s;
  for (;;) {
    if (sys::Ftruncate(Fd(file), static_cast<off_t>(size)) == 0) return absl::OkStatus();
    if (errno != EINTR) return ErrnoStatus("ftruncate", file.path(), errno);
  }
}

absl::Status SetMode(File& file, std::uint32_t mode) {
  if (absl::Status s = internal::ValidateOpenMode(file.path(), mode); !s.ok()) return s;
  if (sys::Fchmod(Fd(file), static_cast<mode_t>(mode)) != 0) return ErrnoStatus("fchmod", file.path(), errno);
  return absl::OkStatus();
}

absl::Status Allocate(File& file, std::uint64_t offset, std::uint64_t len) {
  if (absl::Status s = internal::ValidateRange(file, "allocate", offset, len); !s.ok()) return s;
  if (len == 0) return absl::OkStatus();
  int err;
  do {
    err = sys::Fallocate(Fd(file), static_cast<off_t>(offset), static_cast<off_t>(len));
  } while (err == EINTR);
  if (err == 0) return absl::OkStatus();
  if (err != EOPNOTSUPP && err != ENOTSUP) return ErrnoStatus("fallocate", file.path(), err);

  // The filesystem cannot allocate: write zeros past the current end only.
  struct stat st;
  if (sys::Fstat(Fd(file), &st) != 0) return ErrnoStatus("fstat", file.path(), errno);
  std::uint64_t pos = std::max(offset, static_cast<std::uint64_t>(st.st_size));
  const std::uint64_t end = offset + len;
  if (pos >= end) return absl::OkStatus();
  const std::vector<std::byte> zeros(
      static_cast<std::size_t>(std::min(internal::kZeroChunk, end - pos)));
  while (pos < end) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), end - pos));
    if (absl::Status s = WriteAt(file, pos, gsl::span<const std::byte>(zeros.data(), want)); !s.ok()) return s;
    pos += want;
  }
  return absl::OkStatus();
}

absl::Status Sync(File& file) {
  for (;;) {
    if (sys::Fsync(Fd(file)) == 0) return absl::OkStatus();
    if (errno != EINTR) return ErrnoStatus("fsync", file.path(), errno);
  }
}

// Liveness locks: open-file-description locks where the system has them
// (Linux 3.15+, POSIX 2024): they belong to the descriptor, conflict between
// descriptors of one process, and survive closing other descriptors of the
// file. Classic fcntl locks elsewhere (see os/file.h for what that costs).
namespace {
#if defined(F_OFD_SETLK)
constexpr int kSetLock = F_OFD_SETLK;
constexpr bool kPerOpenFile = true;
#else
constexpr int kSetLock = F_SETLK;
constexpr bool kPerOpenFile = false;
#endif

absl::Status RangeStatus(const File& file, const char* what, std::uint64_t offset, int err) {
  return ErrnoStatus(absl::StrFormat("fcntl(%s, %s, byte %u)", kPerOpenFile ? "F_OFD_SETLK" : "F_SETLK",
                                     what, offset),
                     file.path(), err);
}
}  // namespace

bool RangeLocksPerOpenFile() { return kPerOpenFile; }
bool RangeLockConvertsInPlace() { return true; }

absl::StatusOr<bool> TryLockRange(File& file, std::uint64_t offset, std::uint64_t len, RangeLock kind) {
  if (absl::Status s = internal::ValidateLockRange(file, offset, len); !s.ok()) return s;
  struct flock l {};
  l.l_type = kind == RangeLock::kExclusive ? F_WRLCK : F_RDLCK;
  l.l_whence = SEEK_SET;
  l.l_start = static_cast<off_t>(offset);
  l.l_len = static_cast<off_t>(len);
  l.l_pid = 0;  // required 0 for OFD locks
  for (;;) {
    if (sys::Fcntl(Fd(file), kSetLock, &l) == 0) return true;
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EACCES) return false;
    return RangeStatus(file, kind == RangeLock::kExclusive ? "F_WRLCK" : "F_RDLCK", offset, err);
  }
}

absl::Status UnlockRange(File& file, std::uint64_t offset, std::uint64_t len) {
  if (absl::Status s = internal::ValidateLockRange(file, offset, len); !s.ok()) return s;
  struct flock l {};
  l.l_type = F_UNLCK;
  l.l_whence = SEEK_SET;
  l.l_start = static_cast<off_t>(offset);
  l.l_len = static_cast<off_t>(len);
  l.l_pid = 0;
  for (;;) {
    if (sys::Fcntl(Fd(file), kSetLock, &l) == 0) return absl::OkStatus();
    if (errno != EINTR) return RangeStatus(file, "F_UNLCK", offset, errno);
  }
}

}  // namespace osport::os
