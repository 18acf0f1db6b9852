// Processes: who we are (pid + start stamp), whether another process is still
// alive, and starting a helper copy of a program with pipes to talk to it.
#ifndef OSPORT_OS_PROCESS_H_
#define OSPORT_OS_PROCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace osport::os {

// A process, identified so that a reused pid is not mistaken for it: the pid
// plus the time the process started, in an opaque platform unit (clock ticks
// since boot on Linux, FILETIME on Win32). start == 0 means "unknown".
struct ProcessIdentity {
  std::uint32_t pid = 0;
  std::uint64_t start = 0;
  friend bool operator==(const ProcessIdentity& a, const ProcessIdentity& b) {
    return a.pid == b.pid && a.start == b.start;
  }
};

// This process. Cached after the first call that could read its start
// stamp (or found that this system has none: start 0, no /proc); correct
// again in a forked child.
[[nodiscard]] ProcessIdentity CurrentProcess();

// Whether `self`, just returned by CurrentProcess(), is the cached identity:
// false only after a transient failure to read this process's start stamp
// (EMFILE reading /proc/self/stat, say), which the next call retries. A
// region is not attached with such an identity: its attachment, recorded
// with start 0, would not be found by its own detach once the stamp reads
// again (the same rule as CurrentThreadKnown for a mutex).
[[nodiscard]] bool CurrentProcessKnown(const ProcessIdentity& self);

// The start stamp of a running process, NotFound if there is none with `pid`.
[[nodiscard]] absl::StatusOr<std::uint64_t> ProcessStartStamp(std::uint32_t pid);

// Whether `who` is still running: false when no process has its pid, or one
// does but started at another time (the pid was reused). With who.start == 0
// only the pid is checked. Errors only when the OS cannot say.
[[nodiscard]] absl::StatusOr<bool> IsAlive(const ProcessIdentity& who);

// The pid namespace this process's pids belong to, so that processes can
// tell whether they may judge each other alive by pid at all: 0 where the
// platform has one pid space for the machine (Win32, macOS, the generic POSIX
// build) or the kernel cannot say (Linux before 3.8, no /proc/self/ns);
// else the inode number of /proc/self/ns/pid (Linux; pid_namespaces(7):
// "two processes are in the same namespace if the inodes are the same").
// A pid of another namespace names a different process here, or none: a
// live lock holder there looks dead (region/liveness.h, "Pid namespaces").
// Errors (Linux builds that judge liveness by /proc): FailedPrecondition +
// ENOENT when /proc is not mounted (every other process would look dead),
// FailedPrecondition + EXDEV when the /proc mounted belongs to another pid
// namespace (/proc/self is not getpid(): each pid would be read as some
// other process), or the errno of the failed readlink. Cached once read;
// correct again in a forked child (which unshare(CLONE_NEWPID) may have put
// in another namespace).
[[nodiscard]] absl::StatusOr<std::uint64_t> CurrentPidNamespace();

// The path of the running executable (for re-running the test binary in a
// helper mode).
[[nodiscard]] absl::StatusOr<std::string> ExecutablePath();

// A started child process with its stdin and stdout connected to pipes (its
// stderr is ours). Move-only. Destroying a Child that was not waited for kills
// it and reaps it, so no zombie or stray process is left behind. Not
// thread-safe: a thread blocked in ReadLine must be done before another
// calls Wait or destroys the Child.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] std::uint32_t pid() const { return pid_; }
  [[nodiscard]] bool running() const { return pid_ != 0; }

  // Writes `line` and a newline to the child's stdin.
  [[nodiscard]] absl::Status Send(absl::string_view line);
  // Reads one line (without its newline) from the child's stdout. OutOfRange
  // at end of file (the child closed stdout or exited).
  [[nodiscard]] absl::StatusOr<std::string> ReadLine();
  // Closes our end of the child's stdin (it then reads end of file).
  void CloseInput();

  // Waits for the child to exit. Returns its exit code, or 128 + the signal
  // number if a signal ended it (the shell's convention; on Win32 the
  // TerminateProcess code).
  [[nodiscard]] absl::StatusOr<int> Wait();
  // Ends the child at once (SIGKILL / TerminateProcess); Wait() still reaps it.
  [[nodiscard]] absl::Status Kill();

 private:
  friend absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv);
  void Reset();
  std::uint32_t pid_ = 0;
  std::intptr_t handle_ = -1;  // process handle (Win32), unused on POSIX
  std::intptr_t in_ = -1;      // our write end of its stdin
  std::intptr_t out_ = -1;     // our read end of its stdout
  std::string buffer_;         // bytes read past the last line
};

// Starts argv[0] (a path, not searched in PATH) with arguments argv[1..].
// No file of ours is inherited except the two pipes.
[[nodiscard]] absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv);

}  // namespace osport::os

#endif  // OSPORT_OS_PROCESS_H_
