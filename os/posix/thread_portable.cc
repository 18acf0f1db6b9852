// Implements os/thread.h on POSIX.1-2008 alone (no gettid, no /proc): built
// instead of os/posix/thread.cc when either is missing or forced off.
//
// Ids: a system-wide id must be unique among the running threads of every
// process, below 2^30, and never 0. Without gettid there is none, so one is
// made of the pid (bits 0-21: every POSIX system osport knows keeps pids below
// 2^22 -- Linux PID_MAX_LIMIT, 99999 on macOS and FreeBSD) and a slot (bits
// 22-29) taken from a per-process table while the thread uses osport, freed
// when it ends. The first thread to ask gets slot 0, so it has id == pid.
//
// Start stamps: CLOCK_REALTIME nanoseconds when the thread took its slot,
// made strictly increasing per process, so a slot reused by a later thread
// never shows the earlier thread's stamp. Nothing outside the process can
// read them: they only tell this process's own threads apart.
//
// What is lost against Linux (docs/PORTING.md, tests/thread_portable_test.cc):
// liveness of another process's thread is the liveness of that process
// (kill(pid, 0), a hint that cannot tell a reused pid either). A thread that
// ends inside a process that keeps running is seen as gone only by its own
// process; other processes see its mutexes held until the process ends --
// the same boundary as a per-process kernel lock. At most 256 threads of one
// process hold an identity at once; the next one waits for a slot. Slots are
// handed out round-robin, so an id comes back only after 255 others were
// given out; if a thread ended holding a mutex and its id comes back to a new
// thread before anyone took the mutex over, that thread is told EDEADLK.
#include "os/thread.h"

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cerrno>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/posix/sys.h"
#include "os/process.h"

namespace osport::os {
namespace {

constexpr int kPidBits = 22;
constexpr std::uint32_t kPidMask = (std::uint32_t{1} << kPidBits) - 1;
constexpr int kSlots = 1 << (30 - kPidBits);
static_assert((kPidMask | (std::uint32_t{kSlots - 1} << kPidBits)) == kMaxThreadId,
              "pid and slot bits fill exactly the id bits of a lock word");

// Slot i holds the start stamp of the thread using it, 0 when free.
std::atomic<std::uint64_t> g_slots[kSlots];
std::atomic<std::uint64_t> g_last_stamp{0};
std::atomic<std::uint32_t> g_cursor{0};  // where the next slot search starts

// A stamp later than every earlier one of this process (and never 0).
std::uint64_t NextStamp() {
  struct timespec ts{};
  (void)::clock_gettime(CLOCK_REALTIME, &ts);
  std::uint64_t now = static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
                      static_cast<std::uint64_t>(ts.tv_nsec);
  std::uint64_t last = g_last_stamp.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t next = now > last ? now : last + 1;
    if (g_last_stamp.compare_exchange_weak(last, next, std::memory_order_relaxed)) return next;
  }
}

// Frees the calling thread's slot when the thread ends.
struct SlotHolder {
  int slot = -1;
  std::uint64_t stamp = 0;
  ~SlotHolder() {
    if (slot < 0) return;
    // After a fork the table was cleared and may hold another thread's
    // stamp in this slot: free it only if it is still ours.
    std::uint64_t expected = stamp;
    g_slots[slot].compare_exchange_strong(expected, 0, std::memory_order_release);
  }
};
thread_local SlotHolder t_slot;

// Runs in the child of fork(), in its only thread: every other thread of the
// parent is gone there, and the caller's identity is the parent's.
void ForgetAllThreads() {
  for (auto& s : g_slots) s.store(0, std::memory_order_relaxed);
  g_cursor.store(0, std::memory_order_relaxed);
  t_slot.slot = -1;
  internal::t_current_thread = ThreadIdentity{};
}

absl::Status NoSuchThread(std::uint32_t pid, std::uint32_t tid) {
  return PortableError(absl::StatusCode::kNotFound, ESRCH,
                       absl::StrCat("no thread ", tid, " in process ", pid));
}

std::uint32_t PidOf(std::uint32_t tid) { return tid & kPidMask; }
int SlotOf(std::uint32_t tid) { return static_cast<int>(tid >> kPidBits); }

}  // namespace

namespace internal {

const ThreadIdentity& FillCurrentThread() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  (void)pthread_once(&once, [] { (void)pthread_atfork(nullptr, nullptr, &ForgetAllThreads); });
  const std::uint32_t pid = CurrentProcess().pid;
  if (pid == 0 || pid > kPidMask) {
    ABSL_RAW_LOG(FATAL, "osport: pid %u does not fit the 22 bits of a portable thread id", pid);
  }
  const std::uint64_t stamp = NextStamp();
  for (;;) {
    // Next fit from a rotating cursor: a freed slot (and so the id of a
    // thread that may have ended holding a mutex) comes round again only
    // after every other slot has been taken since.
    for (int n = 0; n < kSlots; ++n) {
      const int i = static_cast<int>(g_cursor.fetch_add(1, std::memory_order_relaxed) % kSlots);
      std::uint64_t expected = 0;
      if (g_slots[i].compare_exchange_strong(expected, stamp, std::memory_order_acq_rel)) {
        t_slot.slot = i;
        t_slot.stamp = stamp;
        t_current_thread = ThreadIdentity{pid, pid | (static_cast<std::uint32_t>(i) << kPidBits), stamp};
        return t_current_thread;
      }
    }
    // Every slot is taken by a running thread: wait for one to end.
    (void)posix::sys::SchedYield();
  }
}

}  // namespace internal

absl::StatusOr<std::uint64_t> ThreadStartStamp(std::uint32_t pid, std::uint32_t tid) {
  if (tid == 0 || PidOf(tid) != pid) return NoSuchThread(pid, tid);
  if (pid == CurrentProcess().pid) {
    const std::uint64_t stamp = g_slots[SlotOf(tid)].load(std::memory_order_acquire);
    if (stamp == 0) return NoSuchThread(pid, tid);
    return stamp;
  }
  absl::StatusOr<bool> alive = IsAlive(ProcessIdentity{pid, 0});
  if (!alive.ok()) return alive.status();
  if (!*alive) return NoSuchThread(pid, tid);
  return PortableError(absl::StatusCode::kUnimplemented, ENOSYS,
                       absl::StrCat("the start stamp of thread ", tid, " of process ", pid,
                                    ": another process's threads cannot be read without /proc"));
}

absl::StatusOr<bool> IsThreadAlive(const ThreadIdentity& who) {
  if (who.tid == 0 || who.tid > kMaxThreadId) return false;
  const std::uint32_t pid = PidOf(who.tid);
  if (who.pid != 0 && who.pid != pid) return false;  // not a thread of who.pid
  if (pid == CurrentProcess().pid) {
    const std::uint64_t stamp = g_slots[SlotOf(who.tid)].load(std::memory_order_acquire);
    return stamp != 0 && (who.start == 0 || stamp == who.start);
  }
  // Another process: its threads are invisible, the process is all we see.
  return IsAlive(ProcessIdentity{pid, 0});
}

}  // namespace osport::os
