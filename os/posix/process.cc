// Implements os/process.h on POSIX: /proc start stamps where the build has
// them (OSPORT_HAVE_PROC_IDENTITY; without, the pid alone and kill(pid, 0) as
// a hint), fork+exec with a socketpair for the child's stdin and stdout.
#include "os/process.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/posix/error.h"
#include "os/config.h"
#include "os/posix/sys.h"
#if OSPORT_HAVE_PROC_IDENTITY
#include "os/posix/proc_stat.h"
#endif
#if OSPORT_HAVE_NSGETEXECUTABLEPATH
#include <mach-o/dyld.h>
#endif

namespace osport::os {

namespace sys = posix::sys;

using posix::ErrnoStatus;
#if OSPORT_HAVE_PROC_IDENTITY
using posix::ProcStat;
using posix::ReadProcStat;
#endif

namespace {

// The cached identity of this process; a forked child recomputes it.
std::atomic<std::uint32_t> g_self_pid{0};
std::atomic<std::uint64_t> g_self_start{0};

void ForgetSelf() {
  g_self_pid.store(0, std::memory_order_relaxed);
  g_self_start.store(0, std::memory_order_relaxed);
}

}  // namespace

absl::StatusOr<std::uint64_t> ProcessStartStamp(std::uint32_t pid) {
#if !OSPORT_HAVE_PROC_IDENTITY
  // POSIX has no start time of another process: 0 (unknown) while the pid
  // answers kill(pid, 0).
  absl::StatusOr<bool> alive = IsAlive(ProcessIdentity{pid, 0});
  if (!alive.ok()) return alive.status();
  if (!*alive) {
    return PortableError(absl::StatusCode::kNotFound, ESRCH, absl::StrCat("no process with pid ", pid));
  }
  return std::uint64_t{0};
#else
  absl::StatusOr<ProcStat> st = ReadProcStat(pid);
  if (!st.ok()) {
    if (HasErrno(st.status(), ENOENT) || HasErrno(st.status(), ESRCH)) {
      return PortableError(absl::StatusCode::kNotFound, ESRCH,
                           absl::StrCat("no process with pid ", pid));
    }
    return st.status();
  }
  return st->start;
#endif
}

ProcessIdentity CurrentProcess() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  (void)pthread_once(&once, [] { (void)pthread_atfork(nullptr, nullptr, &ForgetSelf); });
  std::uint32_t pid = g_self_pid.load(std::memory_order_relaxed);
  if (pid != 0) return {pid, g_self_start.load(std::memory_order_relaxed)};
  pid = static_cast<std::uint32_t>(sys::Getpid());
  absl::StatusOr<std::uint64_t> start = ProcessStartStamp(pid);
  if (!start.ok() && posix::StampReadMayRecover(start.status())) {
    // Out of descriptors or memory just now: the stamp unknown, nothing
    // cached, the next call retries; CurrentProcessKnown says so, and no
    // region is attached meanwhile.
    return {pid, 0};
  }
  // Without a readable /proc (not mounted, a chroot, a policy, a format we
  // cannot parse) the identity is the pid alone (start 0 = unknown) for good.
  const std::uint64_t stamp = start.ok() ? *start : 0;
  g_self_start.store(stamp, std::memory_order_relaxed);
  g_self_pid.store(pid, std::memory_order_relaxed);
  return {pid, stamp};
}

bool CurrentProcessKnown(const ProcessIdentity& self) {
  return self.pid != 0 && g_self_pid.load(std::memory_order_relaxed) == self.pid &&
         g_self_start.load(std::memory_order_relaxed) == self.start;
}

absl::StatusOr<bool> IsAlive(const ProcessIdentity& who) {
  if (who.pid == 0) return false;
  if (sys::Kill(static_cast<pid_t>(who.pid), 0) != 0) {
    const int err = errno;
    if (err == ESRCH) return false;
    if (err != EPERM) return ErrnoStatus("kill", absl::StrCat("pid ", who.pid), err);
    // EPERM: it exists but belongs to someone else; /proc still tells.
  }
#if !OSPORT_HAVE_PROC_IDENTITY
  // Without /proc, kill(pid, 0) is a hint: a process that reused the pid
  // and another parent's zombie look alive (docs/PORTING.md). Our own child
  // that ended is seen without reaping it.
  bool exited = false;
  if (sys::ChildExited(static_cast<pid_t>(who.pid), &exited) == 0 && exited) return false;
  return true;
#else
  absl::StatusOr<ProcStat> st = ReadProcStat(who.pid);
  if (!st.ok()) {
    if (HasErrno(st.status(), ENOENT) || HasErrno(st.status(), ESRCH)) return false;
    return st.status();
  }
  // A zombie (Z) or dying (X) process has ended; only its entry is left.
  if (st->state == 'Z' || st->state == 'X') return false;
  return who.start == 0 || st->start == who.start;
#endif
}

absl::StatusOr<std::string> ExecutablePath() {
#if OSPORT_HAVE_NSGETEXECUTABLEPATH
  std::uint32_t size = 0;
  (void)::_NSGetExecutablePath(nullptr, &size);
  std::string path(size, '\0');
  if (::_NSGetExecutablePath(path.data(), &size) != 0) {
    return PortableError(absl::StatusCode::kInternal, EINVAL, "_NSGetExecutablePath failed");
  }
  path.resize(std::strlen(path.c_str()));
  return path;
#elif !OSPORT_HAVE_PROC_IDENTITY
  return PortableError(absl::StatusCode::kUnimplemented, ENOSYS,
                       "the running program's path: POSIX has no call for it and this build "
                       "reads no /proc (use argv[0])");
#else
  std::string buf(4096, '\0');
  const ssize_t n = sys::Readlink("/proc/self/exe", buf.data(), buf.size());
  if (n < 0) return ErrnoStatus("readlink", "/proc/self/exe", errno);
  if (static_cast<std::size_t>(n) >= buf.size()) {
    return PortableError(absl::StatusCode::kOutOfRange, ENAMETOOLONG,
                         "readlink(\"/proc/self/exe\"): path too long");
  }
  buf.resize(static_cast<std::size_t>(n));
  return buf;
#endif
}

// --- Child -------------------------------------------------------------------

void Child::Reset() {
  if (pid_ != 0) {
    (void)sys::Kill(static_cast<pid_t>(pid_), SIGKILL);
    int status;
    while (sys::Waitpid(static_cast<pid_t>(pid_), &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
  }
  // in_ and out_ are one socket: close it once.
  if (in_ >= 0) (void)sys::Close(static_cast<int>(in_));
  in_ = out_ = -1;
  buffer_.clear();
}

absl::Status Child::Send(absl::string_view line) {
  if (in_ < 0) return PortableError(absl::StatusCode::kFailedPrecondition, EBADF, "child stdin is closed");
  std::string data = absl::StrCat(line, "\n");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = sys::SendNoSignal(static_cast<int>(in_), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("send", absl::StrCat("stdin of pid ", pid_), errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Child::ReadLine() {
  if (out_ < 0) return PortableError(absl::StatusCode::kFailedPrecondition, EBADF, "child stdout is closed");
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    char buf[256];
    const ssize_t n = sys::Read(static_cast<int>(out_), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", absl::StrCat("stdout of pid ", pid_), errno);
    }
    if (n == 0) {
      return PortableError(absl::StatusCode::kOutOfRange, EPIPE,
                           absl::StrCat("pid ", pid_, " closed its stdout"));
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

void Child::CloseInput() {
  if (in_ >= 0) (void)sys::Shutdown(static_cast<int>(in_), SHUT_WR);
}

absl::StatusOr<int> Child::Wait() {
  if (pid_ == 0) return PortableError(absl::StatusCode::kFailedPrecondition, ECHILD, "no child to wait for");
  int status = 0;
  for (;;) {
    if (sys::Waitpid(static_cast<pid_t>(pid_), &status, 0) >= 0) break;
    if (errno != EINTR) return ErrnoStatus("waitpid", absl::StrCat("pid ", pid_), errno);
  }
  pid_ = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return PortableError(absl::StatusCode::kInternal, EINVAL, "waitpid: unexpected status");
}

absl::Status Child::Kill() {
  if (pid_ == 0) return PortableError(absl::StatusCode::kFailedPrecondition, ESRCH, "no child to kill");
  if (sys::Kill(static_cast<pid_t>(pid_), SIGKILL) != 0) {
    return ErrnoStatus("kill", absl::StrCat("pid ", pid_), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL, "spawn: empty argv");
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int io[2];
  if (sys::Socketpair(io) != 0) return ErrnoStatus("socketpair", argv[0], errno);
  int report[2];  // the child writes its exec errno here; EOF means exec worked
  if (sys::Socketpair(report) != 0) {
    const int err = errno;
    (void)sys::Close(io[0]);
    (void)sys::Close(io[1]);
    return ErrnoStatus("socketpair", argv[0], err);
  }
  const pid_t pid = sys::Fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : {io[0], io[1], report[0], report[1]}) (void)sys::Close(fd);
    return ErrnoStatus("fork", argv[0], err);
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls from here on, and no hooks.
    if (::dup2(io[1], 0) < 0 || ::dup2(io[1], 1) < 0) {
      const int err = errno;
      (void)!::write(report[1], &err, sizeof err);
      ::_exit(127);
    }
    ::execv(args[0], args.data());
    const int err = errno;
    (void)!::write(report[1], &err, sizeof err);
    ::_exit(127);
  }
  (void)sys::Close(io[1]);
  (void)sys::Close(report[1]);
  Child child;
  child.pid_ = static_cast<std::uint32_t>(pid);
  child.in_ = child.out_ = io[0];
  int child_err = 0;
  ssize_t n;
  do {
    n = sys::Read(report[0], &child_err, sizeof child_err);
  } while (n < 0 && errno == EINTR);
  (void)sys::Close(report[0]);
  if (n > 0) {
    (void)child.Wait();
    return ErrnoStatus("execv", argv[0], child_err);
  }
  return child;
}

}  // namespace osport::os
