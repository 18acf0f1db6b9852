// Implements os/thread.h on FreeBSD (OSPORT_HAVE_THR_SELF): thr_self(2) ids,
// thr_kill2(pid, id, 0) liveness of another process's thread, a per-process
// table for this process's own threads. Built instead of
// os/posix/thread_portable.cc where the feature check finds thr_self and
// thr_kill2; WRITTEN FROM THE MAN PAGES, NOT RUN: no FreeBSD machine runs it
// yet (docs/PORTING.md, "Named ports").
//
// Ids: thr_self(2) "stores the system-wide thread identifier for the current
// kernel-scheduled thread [...] an integer in the range from PID_MAX + 2
// (100001) to INT_MAX [...] guaranteed to be unique at any given time, for
// each running thread in the system. After the thread exits, the identifier
// may be reused." A lock word holds ids below 2^30: the man page allows up to
// INT_MAX, so a larger one stops the process with a message rather than be
// cut (how high FreeBSD's ids really go is not documented).
//
// Start stamps: FreeBSD documents no per-thread start time, so a stamp is a
// serial number this process gives each thread when it first asks, strictly
// increasing (never 0). Only this process can read it: it tells this
// process's threads apart (a reused id is a new thread here), not another's.
//
// Liveness:
//  - this process's threads: the table (slot = the thread's id and stamp,
//    freed when the thread ends), no system call;
//  - another process's (pid known): the process's liveness (kill, and
//    waitid for our own ended children), then thr_kill2(pid, id, 0) --
//    thr_kill(2):
//    "no signal is actually sent, and the call is used to verify the
//    liveness of the thread". A thread that ends in a live process is seen as
//    gone (unlike the portable identity). EPERM ("does not have sufficient
//    privilege to check existence") falls back to the process's liveness.
// What is lost against Linux: another process's stamps cannot be read, so a
// thread id reused inside the same process (pid and id both the owner's) is
// taken for the owner; a thread named by id alone (pid unknown, what a
// mutex owner record gives before it is written) that is not this process's
// is taken for alive (thr_kill2 needs the pid; the mutex judge then waits out
// its bounded wait for the record). thr_kill(id, 0) alone would answer only
// for this process, which the table already does.
#include "os/thread.h"

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/posix/error.h"
#include "os/posix/sys.h"
#include "os/posix/sys_sync.h"
#include "os/process.h"

namespace osport::os {
namespace {

namespace sys = posix::sys;

// Threads of this process that hold an identity at once; the next waits.
constexpr int kSlots = 1024;
constexpr int kStampBits = 34;
constexpr std::uint64_t kStampMask = (std::uint64_t{1} << kStampBits) - 1;
static_assert(64 - kStampBits >= 30, "a slot holds a 30-bit id beside the stamp");

// Slot i: id << 34 | stamp of the thread of this process using it; 0 free.
std::atomic<std::uint64_t> g_slots[kSlots];
std::atomic<std::uint64_t> g_last_stamp{0};

std::uint32_t IdIn(std::uint64_t slot) { return static_cast<std::uint32_t>(slot >> kStampBits); }
std::uint64_t StampIn(std::uint64_t slot) { return slot & kStampMask; }

// Frees the calling thread's slot when the thread ends.
struct SlotHolder {
  int slot = -1;
  std::uint64_t value = 0;
  ~SlotHolder() {
    if (slot < 0) return;
    // After a fork the table was cleared and may hold another thread's
    // entry in this slot: free it only if it is still ours.
    std::uint64_t expected = value;
    g_slots[slot].compare_exchange_strong(expected, 0, std::memory_order_release);
  }
};
thread_local SlotHolder t_slot;

// Runs in the child of fork(), in its only thread: every other thread of the
// parent is gone there, and the caller's id is the parent's (the child's
// thread has a new one).
void ForgetAllThreads() {
  for (auto& s : g_slots) s.store(0, std::memory_order_relaxed);
  t_slot.slot = -1;
  internal::t_current_thread = ThreadIdentity{};
}

// The stamp of running thread `tid` of this process, 0 if it has none.
std::uint64_t StampOf(std::uint32_t tid) {
  for (int n = 0; n < kSlots; ++n) {
    const std::uint64_t v = g_slots[(tid + static_cast<std::uint32_t>(n)) % kSlots].load(
        std::memory_order_acquire);
    if (v != 0 && IdIn(v) == tid) return StampIn(v);
  }
  return 0;
}

absl::Status NoSuchThread(std::uint32_t pid, std::uint32_t tid) {
  return PortableError(absl::StatusCode::kNotFound, ESRCH,
                       absl::StrCat("no thread ", tid, " in process ", pid));
}

// Whether thread `tid` of process `pid` runs: the process first (kill, plus
// waitid for our own children: a child that ended is dead before it is
// reaped, which thr_kill2 is not documented to say), then thr_kill2(pid,
// tid, 0): ESRCH says no such process or thread; EPERM leaves the process's
// liveness (a hint).
absl::StatusOr<bool> OtherProcessThreadRuns(std::uint32_t pid, std::uint32_t tid) {
  absl::StatusOr<bool> process = IsAlive(ProcessIdentity{pid, 0});
  if (!process.ok() || !*process) return process;
  if (sys::ThreadExists(static_cast<pid_t>(pid), tid) == 0) return true;
  const int err = errno;
  if (err == ESRCH) return false;
  if (err == EPERM) return true;  // the process lives (above)
  return posix::ErrnoStatus("thr_kill2", absl::StrCat("thread ", tid, " of process ", pid), err);
}

}  // namespace

namespace internal {

const ThreadIdentity& FillCurrentThread() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  (void)pthread_once(&once, [] { (void)pthread_atfork(nullptr, nullptr, &ForgetAllThreads); });
  const std::uint32_t pid = CurrentProcess().pid;
  const std::uint64_t id = sys::Gettid();
  if (id == 0 || id > kMaxThreadId) {
    ABSL_RAW_LOG(FATAL, "osport: thr_self gave thread id %llu, outside the 1..2^30-1 a lock word holds",
                 static_cast<unsigned long long>(id));
  }
  const std::uint32_t tid = static_cast<std::uint32_t>(id);
  // Never 0, strictly increasing (wraps after 2^34 threads).
  const std::uint64_t stamp = g_last_stamp.fetch_add(1, std::memory_order_relaxed) % kStampMask + 1;
  const std::uint64_t value = (std::uint64_t{tid} << kStampBits) | stamp;
  for (;;) {
    for (int n = 0; n < kSlots; ++n) {
      const int i = static_cast<int>((tid + static_cast<std::uint32_t>(n)) % kSlots);
      std::uint64_t expected = 0;
      if (g_slots[i].compare_exchange_strong(expected, value, std::memory_order_acq_rel)) {
        t_slot.slot = i;
        t_slot.value = value;
        t_current_thread = ThreadIdentity{pid, tid, stamp};
        return t_current_thread;
      }
    }
    // Every slot is taken by a running thread: wait for one to end.
    (void)sys::SchedYield();
  }
}

}  // namespace internal

absl::StatusOr<std::uint64_t> ThreadStartStamp(std::uint32_t pid, std::uint32_t tid) {
  if (tid == 0 || tid > kMaxThreadId) return NoSuchThread(pid, tid);
  if (pid == CurrentProcess().pid) {
    const std::uint64_t stamp = StampOf(tid);
    if (stamp == 0) return NoSuchThread(pid, tid);
    return stamp;
  }
  absl::StatusOr<bool> runs = OtherProcessThreadRuns(pid, tid);
  if (!runs.ok()) return runs.status();
  if (!*runs) return NoSuchThread(pid, tid);
  return PortableError(absl::StatusCode::kUnimplemented, ENOSYS,
                       absl::StrCat("the start stamp of thread ", tid, " of process ", pid,
                                    ": FreeBSD has no thread start time to read"));
}

absl::StatusOr<bool> IsThreadAlive(const ThreadIdentity& who) {
  if (who.tid == 0 || who.tid > kMaxThreadId) return false;
  const std::uint32_t me = CurrentProcess().pid;
  if (who.pid == 0 || who.pid == me) {
    // Ids are unique among running threads system-wide: if one of ours has
    // it, that thread is the one it names now.
    const std::uint64_t stamp = StampOf(who.tid);
    if (stamp != 0) return who.start == 0 || stamp == who.start;
    if (who.pid == me) return false;
    // Not ours, and without the pid thr_kill2 cannot look: taken for alive.
    return true;
  }
  // Another process: the thread itself, but not its start.
  return OtherProcessThreadRuns(who.pid, who.tid);
}

}  // namespace osport::os
