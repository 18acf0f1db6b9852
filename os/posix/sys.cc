// Implements os/posix/sys.h: each system call, gated by the hook table.
#include "os/posix/sys.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/config.h"
#if OSPORT_HAVE_STATX
#include <sys/sysmacros.h>  // makedev, for FstatIdentity's statx
#endif

namespace osport::os::posix::sys {

int Open(const char* path, int flags, mode_t mode) {
  if (Enter(Op::kOpen).fail) return -1;
  return ::open(path, flags, mode);
}

int Close(int fd) {
  if (Enter(Op::kClose).fail) {
    // The descriptor is released even when close reports an error (POSIX
    // leaves it unspecified, Linux always frees it); do the same here so an
    // injected failure does not leak it.
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return ::close(fd);
}

ssize_t Read(int fd, void* buf, std::size_t n) {
  const Gate g = Enter(Op::kRead);
  if (g.fail) return -1;
  return ::read(fd, buf, g.shorten ? Shortened(n) : n);
}

ssize_t Write(int fd, const void* buf, std::size_t n) {
  const Gate g = Enter(Op::kWrite);
  if (g.fail) return -1;
  return ::write(fd, buf, g.shorten ? Shortened(n) : n);
}

ssize_t Pread(int fd, void* buf, std::size_t n, off_t offset) {
  const Gate g = Enter(Op::kRead);
  if (g.fail) return -1;
  return ::pread(fd, buf, g.shorten ? Shortened(n) : n, offset);
}

ssize_t Pwrite(int fd, const void* buf, std::size_t n, off_t offset) {
  const Gate g = Enter(Op::kWrite);
  if (g.fail) return -1;
  return ::pwrite(fd, buf, g.shorten ? Shortened(n) : n, offset);
}

off_t Lseek(int fd, off_t offset, int whence) {
  if (Enter(Op::kSeek).fail) return -1;
  return ::lseek(fd, offset, whence);
}

int Fstat(int fd, struct stat* st) {
  if (Enter(Op::kStat).fail) return -1;
  return ::fstat(fd, st);
}

int FstatSize(int fd, std::uint64_t* size, std::uint32_t* blksize) {
  if (Enter(Op::kStat).fail) return -1;
#if OSPORT_HAVE_STATX
  struct statx sx;
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx) == 0 && (sx.stx_mask & STATX_SIZE) != 0) {
    *size = sx.stx_size;
    *blksize = sx.stx_blksize;
    return 0;
  }
  // Old kernels (ENOSYS) and old container seccomp filters (EPERM) lack it.
  if (errno != ENOSYS && errno != EINVAL && errno != EPERM) return -1;
#endif
  struct stat st;
  if (::fstat(fd, &st) != 0) return -1;
  *size = static_cast<std::uint64_t>(st.st_size);
  *blksize = st.st_blksize > 0 ? static_cast<std::uint32_t>(st.st_blksize) : 0;
  return 0;
}

int FstatIdentity(int fd, struct stat* st) {
  if (Enter(Op::kStat).fail) return -1;
#if OSPORT_HAVE_STATX
  constexpr unsigned kWanted =
      STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_INO | STATX_SIZE;
  struct statx sx;
  if (::statx(fd, "", AT_EMPTY_PATH, kWanted, &sx) == 0) {
    if ((sx.stx_mask & kWanted) == kWanted) {
      *st = {};
      st->st_mode = sx.stx_mode;
      st->st_nlink = sx.stx_nlink;
      st->st_uid = sx.stx_uid;
      st->st_gid = sx.stx_gid;
      st->st_ino = sx.stx_ino;
      st->st_size = static_cast<off_t>(sx.stx_size);
      st->st_blksize = static_cast<blksize_t>(sx.stx_blksize);
      st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
      return 0;
    }
  } else if (errno != ENOSYS && errno != EINVAL && errno != EPERM) {
    return -1;  // as FstatSize: only a missing statx falls back
  }
#endif
  return ::fstat(fd, st);
}

int Stat(const char* path, struct stat* st) {
  if (Enter(Op::kStat).fail) return -1;
  return ::stat(path, st);
}

int Lstat(const char* path, struct stat* st) {
  if (Enter(Op::kStat).fail) return -1;
  return ::lstat(path, st);
}

int Fchmod(int fd, mode_t mode) {
  if (Enter(Op::kOpen).fail) return -1;
  return ::fchmod(fd, mode);
}

int Unlink(const char* path) {
  if (Enter(Op::kUnlink).fail) return -1;
  return ::unlink(path);
}

int Fallocate(int fd, off_t offset, off_t len) {
  if (Enter(Op::kAllocate).fail) return errno;
#if OSPORT_HAVE_FALLOCATE
  // fallocate(2) says EOPNOTSUPP where the filesystem cannot; glibc's
  // posix_fallocate would instead emulate it by writing a byte per block,
  // which is slow and races with writers through a mapping.
  return ::fallocate(fd, 0, offset, len) == 0 ? 0 : errno;
#elif OSPORT_HAVE_POSIX_FALLOCATE
  return ::posix_fallocate(fd, offset, len);
#else
  // macOS has no posix_fallocate: the caller writes zeros instead.
  (void)fd, (void)offset, (void)len;
  return EOPNOTSUPP;
#endif
}

int Ftruncate(int fd, off_t len) {
  if (Enter(Op::kTruncate).fail) return -1;
  return ::ftruncate(fd, len);
}

int Fsync(int fd) {
  if (Enter(Op::kSync).fail) return -1;
  return ::fsync(fd);
}

int Nanosleep(const struct timespec* req, struct timespec* rem) {
  if (Enter(Op::kSleep).fail) {
    if (rem != nullptr) *rem = *req;
    return -1;
  }
  return ::nanosleep(req, rem);
}

int SchedYield() {
  if (Enter(Op::kYield).fail) return -1;
  return ::sched_yield();
}

int Fcntl(int fd, int cmd, struct flock* lock) {
  if (Enter(Op::kLockRange).fail) return -1;
  return ::fcntl(fd, cmd, lock);
}

int Kill(pid_t pid, int sig) {
  if (Enter(sig == 0 ? Op::kProcessInfo : Op::kKill).fail) return -1;
  return ::kill(pid, sig);
}

int OpenProc(const char* path) {
  if (Enter(Op::kProcessInfo).fail) return -1;
  return ::open(path, O_RDONLY | O_CLOEXEC);
}

ssize_t ReadProc(int fd, void* buf, std::size_t n) {
  if (Enter(Op::kProcessInfo).fail) return -1;
  return ::read(fd, buf, n);
}

ssize_t Readlink(const char* path, char* buf, std::size_t n) {
  if (Enter(Op::kProcessInfo).fail) return -1;
  return ::readlink(path, buf, n);
}

int Socketpair(int fds[2]) {
  if (Enter(Op::kSpawn).fail) return -1;
#if OSPORT_HAVE_SOCK_CLOEXEC
  return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
#else
  // POSIX.1-2008: create, then mark close-on-exec. A fork+exec by another
  // thread in between inherits the pair (the race SOCK_CLOEXEC closes);
  // osport's own Spawn starts children with their descriptors listed.
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -1;
#if OSPORT_HAVE_SO_NOSIGPIPE && !OSPORT_HAVE_MSG_NOSIGNAL
  const int on = 1;
  for (int i = 0; i < 2; ++i) (void)::setsockopt(fds[i], SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
  for (int i = 0; i < 2; ++i) {
    if (::fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
      const int err = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      errno = err;
      return -1;
    }
  }
  return 0;
#endif
}

ssize_t SendNoSignal(int fd, const void* buf, std::size_t n) {
  const Gate g = Enter(Op::kWrite);
  if (g.fail) return -1;
#if OSPORT_HAVE_MSG_NOSIGNAL
  return ::send(fd, buf, g.shorten ? Shortened(n) : n, MSG_NOSIGNAL);
#else
  // macOS: the socket itself carries SO_NOSIGPIPE (set in Socketpair).
  return ::send(fd, buf, g.shorten ? Shortened(n) : n, 0);
#endif
}

int Shutdown(int fd, int how) {
  if (Enter(Op::kClose).fail) return -1;
  return ::shutdown(fd, how);
}

pid_t Fork() {
  if (Enter(Op::kSpawn).fail) return -1;
  return ::fork();
}

pid_t Waitpid(pid_t pid, int* status, int options) {
  if (Enter(Op::kWait).fail) return -1;
  return ::waitpid(pid, status, options);
}

int ChildExited(pid_t pid, bool* exited) {
  *exited = false;
  if (Enter(Op::kProcessInfo).fail) return -1;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return -1;
  *exited = info.si_pid == pid;
  return 0;
}

// getpid(2) cannot fail; it is here so every system call of the os layer is
// in this one file, but it has no hook.
pid_t Getpid() { return ::getpid(); }

}  // namespace osport::os::posix::sys
