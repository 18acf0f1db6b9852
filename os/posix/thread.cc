// Implements os/thread.h with gettid() ids, start stamps and liveness from
// /proc/<pid>/task/<tid>/stat (Linux), a fork handler that forgets the cached
// identity.
#include "os/thread.h"

#include <pthread.h>

#include <cerrno>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/posix/error.h"
#include "os/posix/proc_stat.h"
#include "os/posix/sys.h"
#include "os/posix/sys_sync.h"
#include "os/process.h"

// CMake builds this file only with OSPORT_HAVE_GETTID and
// OSPORT_HAVE_PROC_IDENTITY; os/posix/thread_portable.cc is the fallback.

namespace osport::os {
namespace {

// Runs in the child of fork(), in the only thread there: the thread that
// called fork, whose cached tid and stamp belong to the parent's thread.
void ForgetCurrentThread() { internal::t_current_thread = ThreadIdentity{}; }

bool IsGone(const absl::Status& s) { return HasErrno(s, ENOENT) || HasErrno(s, ESRCH); }

// "No such thread" is believed only if /proc answers for the caller itself:
// without /proc (not mounted, a chroot) every thread would look gone, and a
// live mutex owner would be taken over.
absl::Status ProcAnswers(const absl::Status& about) {
  const ThreadIdentity& me = CurrentThread();
  absl::StatusOr<posix::ProcStat> self = posix::ReadTaskStat(me.pid, me.tid);
  if (self.ok()) return absl::OkStatus();
  return Annotate(self.status(), absl::StrCat("cannot tell whether threads are alive (",
                                              about.message(), "; /proc does not answer for this "
                                                               "thread either)"));
}

}  // namespace

namespace internal {

const ThreadIdentity& FillCurrentThread() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, &ForgetCurrentThread); });
  ThreadIdentity self;
  self.pid = CurrentProcess().pid;
  self.tid = static_cast<std::uint32_t>(posix::sys::Gettid());  // Linux: below 2^22
  absl::StatusOr<posix::ProcStat> st = posix::ReadTaskStat(self.pid, self.tid);
  if (!st.ok()) {
    if (!posix::StampReadMayRecover(st.status())) {
      // No readable /proc here (not mounted, a chroot, a policy, a format
      // we cannot parse): the stamp is unknown for good, as for the process
      // (os::CurrentProcess); liveness then checks the id only. Cached:
      // this thread stays one identity.
      t_current_thread = self;
      return t_current_thread;
    }
    // Out of descriptors or memory just now (EMFILE, ENFILE, ENOMEM):
    // answer with the stamp unknown but cache nothing, so the next call
    // retries; the mutex refuses to lock meanwhile (CurrentThreadKnown).
    thread_local ThreadIdentity uncached;
    uncached = self;
    return uncached;
  }
  self.start = st->start;
  t_current_thread = self;
  return t_current_thread;
}

}  // namespace internal

absl::StatusOr<std::uint64_t> ThreadStartStamp(std::uint32_t pid, std::uint32_t tid) {
  absl::StatusOr<posix::ProcStat> st = posix::ReadTaskStat(pid, tid);
  if (!st.ok()) {
    if (IsGone(st.status())) {
      return PortableError(absl::StatusCode::kNotFound, ESRCH,
                           absl::StrCat("no thread ", tid, " in process ", pid));
    }
    return st.status();
  }
  return st->start;
}

absl::StatusOr<bool> IsThreadAlive(const ThreadIdentity& who) {
  if (who.tid == 0) return false;
  absl::StatusOr<posix::ProcStat> st =
      who.pid != 0 ? posix::ReadTaskStat(who.pid, who.tid) : posix::ReadProcStat(who.tid);
  if (!st.ok()) {
    if (!IsGone(st.status())) return st.status();
    if (absl::Status s = ProcAnswers(st.status()); !s.ok()) return s;
    return false;
  }
  // A zombie (Z) or dying (X) thread has ended; only its entry is left.
  if (st->state == 'Z' || st->state == 'X') return false;
  return who.start == 0 || st->start == who.start;
}

}  // namespace osport::os
