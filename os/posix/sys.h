// The POSIX system calls of the os layer, each behind the hook table: the
// only place in os/posix that calls the C library's system-call wrappers
// directly. Each returns what the real call returns and sets errno the same
// way, so callers cannot tell an injected failure from a real one.
#ifndef OSPORT_OS_POSIX_SYS_H_
#define OSPORT_OS_POSIX_SYS_H_

#include <cerrno>
#include <cstddef>

#include "os/hooks.h"

namespace osport::os::posix::sys {

// The outcome of consulting the hook for one call.
struct Gate {
  bool fail = false;    // return the failure value; errno is set
  bool shorten = false; // transfer fewer bytes
};

inline Gate Enter(Op op) {
  const HookResult r = internal::CheckHook(op);
  switch (r.action) {
    case HookResult::Action::kProceed: return {};
    case HookResult::Action::kFail: errno = r.error; return {true, false};
    case HookResult::Action::kInterrupt: errno = EINTR; return {true, false};
    case HookResult::Action::kShort: return {false, true};
  }
  return {};
}

// Half of n, at least 1: what a short transfer moves.
inline std::size_t Shortened(std::size_t n) { return n > 1 ? n / 2 : n; }

}  // namespace osport::os::posix::sys

// The wrappers themselves, declared in the order of os/hooks.h's Op list.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>

namespace osport::os::posix::sys {

int Open(const char* path, int flags, mode_t mode);
int Close(int fd);
ssize_t Read(int fd, void* buf, std::size_t n);
ssize_t Write(int fd, const void* buf, std::size_t n);
ssize_t Pread(int fd, void* buf, std::size_t n, off_t offset);
ssize_t Pwrite(int fd, const void* buf, std::size_t n, off_t offset);
off_t Lseek(int fd, off_t offset, int whence);
int Fstat(int fd, struct stat* st);
// The size and preferred I/O size of an open file, asking for nothing else:
// on Linux statx(STATX_SIZE), because fstat also asks for the timestamps, and
// on kernels with multigrain timestamps (6.13+) that makes the next write
// through a mapping of the file take a fine-grained, journaled mtime update
// (~2 us on every region join; bench/region/README.md). fstat elsewhere and
// where statx is missing. Op::kStat.
int FstatSize(int fd, std::uint64_t* size, std::uint32_t* blksize);
// fstat without the timestamps (st_atim/st_mtim/st_ctim left zero): type,
// mode, links, owner, group, size, device and inode, all a trust check needs.
// On Linux statx asking for exactly those, for FstatSize's reason: asking for
// the ctime (any fstat does) makes the next write through a mapping of the
// file take a fine-grained, journaled mtime update on kernels with multigrain
// timestamps (6.13+); a region join stats its file and then writes its header
// (~1-1.5 us per join on ext4, bench/region/join_calls_bench.cc). fstat
// elsewhere, where statx is missing, and where the file system leaves a field
// out. Op::kStat.
int FstatIdentity(int fd, struct stat* st);
int Stat(const char* path, struct stat* st);
int Lstat(const char* path, struct stat* st);
int Fchmod(int fd, mode_t mode);
int Unlink(const char* path);
int Fallocate(int fd, off_t offset, off_t len);  // 0 or an errno (EOPNOTSUPP: fs can't)
int Ftruncate(int fd, off_t len);
int Fsync(int fd);
int Nanosleep(const struct timespec* req, struct timespec* rem);
int SchedYield();
int Fcntl(int fd, int cmd, struct flock* lock);  // F_SETLK, F_SETLKW, F_GETLK
int Kill(pid_t pid, int sig);                    // Op::kKill for real signals,
                                                 // kProcessInfo for signal 0
int OpenProc(const char* path);                  // /proc reads: Op::kProcessInfo
ssize_t ReadProc(int fd, void* buf, std::size_t n);
ssize_t Readlink(const char* path, char* buf, std::size_t n);
int Socketpair(int fds[2]);                      // AF_UNIX stream, close-on-exec
ssize_t SendNoSignal(int fd, const void* buf, std::size_t n);  // no SIGPIPE
int Shutdown(int fd, int how);
pid_t Fork();
pid_t Waitpid(pid_t pid, int* status, int options);
// waitid(P_PID, pid, WEXITED | WNOHANG | WNOWAIT): whether our child `pid`
// has ended, without reaping it (*exited). 0, or -1 with errno (ECHILD: not
// our child). Op::kProcessInfo.
int ChildExited(pid_t pid, bool* exited);
pid_t Getpid();

}  // namespace osport::os::posix::sys

#endif  // OSPORT_OS_POSIX_SYS_H_
