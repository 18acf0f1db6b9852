// Threads: who the calling thread is (system-wide thread id, pid, start stamp)
// and whether a thread seen earlier is still running. Mutex owners are threads.
#ifndef OSPORT_OS_THREAD_H_
#define OSPORT_OS_THREAD_H_

#include <cstdint>

#include "absl/base/optimization.h"
#include "absl/status/statusor.h"

namespace osport::os {

// A thread, identified so that a reused id is not mistaken for it.
//   tid:   an id unique among the running threads of every process on the
//          machine (Linux: gettid()), never 0, below 2^30.
//   pid:   the process the thread belongs to.
//   start: when the thread started, in an opaque platform unit (clock ticks
//          since boot on Linux); 0 means unknown.
struct ThreadIdentity {
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint64_t start = 0;
};

// The largest thread id the os layer accepts (lock words keep two flag bits).
inline constexpr std::uint32_t kMaxThreadId = (std::uint32_t{1} << 30) - 1;

namespace internal {
// The calling thread's identity, filled on first use (tid == 0: not yet),
// emptied in the child of a fork. Plain data so reading it is one TLS access.
inline thread_local ThreadIdentity t_current_thread{};
// Fills t_current_thread; the platform implements it. Never fails: where a
// start stamp cannot be read it answers with start 0 (unknown) and caches
// nothing, so the next call tries again.
const ThreadIdentity& FillCurrentThread();
}  // namespace internal

// The calling thread. Cached per thread after the first call (a system call or
// two then, none after); correct again in the child of a fork.
[[nodiscard]] inline const ThreadIdentity& CurrentThread() {
  const ThreadIdentity& self = internal::t_current_thread;
  if (ABSL_PREDICT_TRUE(self.tid != 0)) return self;
  return internal::FillCurrentThread();
}

// Whether `self`, just returned by CurrentThread(), is the cached identity:
// false only after a transient failure to read this thread's start stamp
// (EMFILE reading /proc/self/task/TID/stat, say), which the next call
// retries. A mutex is not taken with such an identity: the holder recorded
// with start 0 would not be recognised as the same thread at its unlock
// once the stamp reads again, and its lock would stay held until it died
// (review 6). Where the platform has no start stamps at all (no /proc), the
// identity with start 0 is cached and counts as known.
[[nodiscard]] inline bool CurrentThreadKnown(const ThreadIdentity& self) {
  return &self == &internal::t_current_thread;
}

// Whether thread `who.tid` is still running and is the thread `who` names:
// it belongs to process `who.pid` (0: unknown, not checked) and started at
// `who.start` (0: unknown, any start counts). False when no such thread
// exists, when it has ended (a zombie), or when it started at another time
// (the id was reused). Errors only when the OS cannot say. FreeBSD
// (thr_kill2 needs the pid): a thread of another process named without its
// pid is taken for alive, and another process's start is not compared
// (config::kThreadFoundByIdAlone, docs/PORTING.md).
[[nodiscard]] absl::StatusOr<bool> IsThreadAlive(const ThreadIdentity& who);
// The same with the process unknown (what a mutex owner record gives before
// its pid is written).
[[nodiscard]] inline absl::StatusOr<bool> IsThreadAlive(std::uint32_t tid, std::uint64_t start) {
  return IsThreadAlive(ThreadIdentity{0, tid, start});
}

// The start stamp of running thread `tid` of process `pid`; NotFound (ESRCH)
// if there is none.
[[nodiscard]] absl::StatusOr<std::uint64_t> ThreadStartStamp(std::uint32_t pid, std::uint32_t tid);

}  // namespace osport::os

#endif  // OSPORT_OS_THREAD_H_
