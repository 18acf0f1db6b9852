// Implements the word-wait half of os/internal/mutex_platform.h on POSIX: a
// shared (not private) futex where the build has one (OSPORT_HAVE_FUTEX), so
// waiters in other processes that map the word are woken; bounded yielding
// then the caller's back-off sleeps elsewhere.
#include <cerrno>

#include "os/internal/atomic_word.h"
#include "os/internal/mutex_platform.h"
#include "os/posix/error.h"
#include "os/posix/sys.h"
#include "os/posix/sys_sync.h"
#include "os/time.h"

namespace osport::os::internal {

namespace sys = posix::sys;

// Without a futex: yields per WaitWord before sleeping (docs/PORTING.md has
// the handover numbers this buys).
constexpr int kYieldsBeforeSleep = 64;

bool HaveNativeWordWait() { return sys::kHaveFutex; }

absl::Status WaitWord(const std::uint32_t* word, std::uint32_t expected, absl::Duration max_wait) {
  if (!sys::kHaveFutex) {
    // No kernel wait on a word: yield a bounded number of times (a holder
    // descheduled on this core gets to run and release), then the caller's
    // back-off sleep. Lock handover costs a few yields instead of a sleep.
    for (int i = 0; i < kYieldsBeforeSleep; ++i) {
      if (internal::AtomicLoad(word, internal::kAcquire) != expected) return absl::OkStatus();
      (void)sys::SchedYield();
    }
    const std::int64_t us = absl::ToInt64Microseconds(max_wait);
    return Sleep(static_cast<std::uint64_t>(us / 1000000), static_cast<std::uint64_t>(us % 1000000));
  }
  const struct timespec ts = absl::ToTimespec(max_wait);
  if (sys::FutexWait(word, expected, &ts) == 0) return absl::OkStatus();
  const int err = errno;
  // EAGAIN: the word changed before we slept. All three mean "look again".
  if (err == EAGAIN || err == ETIMEDOUT || err == EINTR) return absl::OkStatus();
  return posix::ErrnoStatus("futex(FUTEX_WAIT)", "", err);
}

absl::Status WakeWord(const std::uint32_t* word) {
  if (!sys::kHaveFutex) return absl::OkStatus();
  if (sys::FutexWake(word, 1) >= 0) return absl::OkStatus();
  return posix::ErrnoStatus("futex(FUTEX_WAKE)", "", errno);
}

}  // namespace osport::os::internal
