// Implements os/thread.h on Win32: GetCurrentThreadId ids, start stamps from
// GetThreadTimes' creation time, liveness from a zero-timeout wait on the
// thread's handle. No fork here, so the cached identity never goes stale.
#include "os/thread.h"

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/process.h"
#include "os/win32/error.h"
#include "os/win32/sys.h"

namespace osport::os {

namespace sys = win32::sys;
using win32::LastErrorStatus;

namespace {

// Enough to ask when it started, to whom it belongs, and whether it ended.
constexpr DWORD kQueryAccess = THREAD_QUERY_LIMITED_INFORMATION | SYNCHRONIZE;

std::uint64_t Stamp(const FILETIME& t) {
  return (std::uint64_t{t.dwHighDateTime} << 32) | t.dwLowDateTime;
}

absl::Status NoSuchThread(std::uint32_t pid, std::uint32_t tid) {
  return PortableError(absl::StatusCode::kNotFound, ESRCH,
                       absl::StrCat("no thread ", tid, " in process ", pid));
}

class ThreadHandle {
 public:
  explicit ThreadHandle(HANDLE h) : h_(h) {}
  ~ThreadHandle() {
    if (h_ != nullptr) (void)sys::CloseHandle(h_);
  }
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  HANDLE get() const { return h_; }

 private:
  HANDLE h_;
};

// What a thread handle says: gone (ended, or of another process), or its
// start stamp. A thread object outlives its thread while any handle is open,
// so an open that succeeds does not mean it runs: the wait says.
absl::StatusOr<bool> Describe(HANDLE h, const ThreadIdentity& who, std::uint64_t* start) {
  const DWORD r = sys::PollThread(h);
  if (r == WAIT_OBJECT_0) return false;
  if (r != WAIT_TIMEOUT) {
    return LastErrorStatus("WaitForSingleObject", absl::StrCat("thread ", who.tid), ::GetLastError());
  }
  if (who.pid != 0) {
    const DWORD pid = sys::ProcessOfThread(h);
    if (pid == 0) {
      return LastErrorStatus("GetProcessIdOfThread", absl::StrCat("thread ", who.tid), ::GetLastError());
    }
    if (pid != who.pid) return false;
  }
  FILETIME created;
  if (!sys::GetThreadCreationTime(h, &created)) {
    return LastErrorStatus("GetThreadTimes", absl::StrCat("thread ", who.tid), ::GetLastError());
  }
  *start = Stamp(created);
  return true;
}

}  // namespace

namespace internal {

const ThreadIdentity& FillCurrentThread() {
  ThreadIdentity self;
  self.pid = CurrentProcess().pid;
  // Thread ids are multiples of 4 from one system-wide table, far below 2^30.
  self.tid = sys::GetCurrentThreadId();
  FILETIME created;
  if (!sys::GetThreadCreationTime(sys::CurrentThreadHandle(), &created)) {
    // Start unknown; not cached, so the next call tries again.
    thread_local ThreadIdentity uncached;
    uncached = self;
    return uncached;
  }
  self.start = Stamp(created);
  t_current_thread = self;
  return t_current_thread;
}

}  // namespace internal

absl::StatusOr<std::uint64_t> ThreadStartStamp(std::uint32_t pid, std::uint32_t tid) {
  ThreadHandle h(sys::OpenThread(kQueryAccess, tid));
  if (h.get() == nullptr) {
    const DWORD err = ::GetLastError();
    // No thread object with that id exists any more.
    if (err == ERROR_INVALID_PARAMETER) return NoSuchThread(pid, tid);
    return LastErrorStatus("OpenThread", absl::StrCat("thread ", tid), err);
  }
  std::uint64_t start = 0;
  absl::StatusOr<bool> alive = Describe(h.get(), ThreadIdentity{pid, tid, 0}, &start);
  if (!alive.ok()) return alive.status();
  if (!*alive) return NoSuchThread(pid, tid);
  return start;
}

// Access denied (a thread of another user) is an error, not "alive": its
// start could not be read, so it may be a reuse of the id. Errors say so in
// the words the POSIX side uses, so callers read one message on both.
absl::StatusOr<bool> IsThreadAlive(const ThreadIdentity& who) {
  if (who.tid == 0) return false;
  auto cannot_tell = [](const absl::Status& s) {
    return Annotate(s, "cannot tell whether threads are alive");
  };
  ThreadHandle h(sys::OpenThread(kQueryAccess, who.tid));
  if (h.get() == nullptr) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_INVALID_PARAMETER) return false;
    return cannot_tell(LastErrorStatus("OpenThread", absl::StrCat("thread ", who.tid), err));
  }
  std::uint64_t start = 0;
  absl::StatusOr<bool> alive = Describe(h.get(), who, &start);
  if (!alive.ok()) return cannot_tell(alive.status());
  if (!*alive) return false;
  return who.start == 0 || start == who.start;
}

}  // namespace osport::os
