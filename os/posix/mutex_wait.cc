// Implements the word-wait half of os/internal/mutex_platform.h on POSIX: a
// shared (not private) kernel word wait where the build has one -- the Linux
// futex (OSPORT_HAVE_FUTEX) or FreeBSD's _umtx_op(UMTX_OP_WAIT_UINT /
// UMTX_OP_WAKE) (OSPORT_HAVE_UMTX) -- so waiters in other processes that map
// the word are woken; bounded yielding then the caller's back-off sleeps
// elsewhere.
#include <cerrno>

#include "os/internal/atomic_word.h"
#include "os/internal/mutex_platform.h"
#include "os/posix/error.h"
#include "os/posix/sys.h"
#include "os/posix/sys_sync.h"
#include "os/time.h"

namespace osport::os::internal {

namespace sys = posix::sys;

// Without a word wait: yields per WaitWord before sleeping (docs/PORTING.md has
// the handover numbers this buys).
constexpr int kYieldsBeforeSleep = 64;

bool HaveNativeWordWait() { return sys::kHaveWordWait; }

absl::Status WaitWord(const std::uint32_t* word, std::uint32_t expected, absl::Duration max_wait) {
  if (!sys::kHaveWordWait) {
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
  if (sys::WordWait(word, expected, &ts) == 0) return absl::OkStatus();
  const int err = errno;
  // EAGAIN: the word changed before we slept (the futex; _umtx_op returns 0
  // then). All three mean "look again".
  if (err == EAGAIN || err == ETIMEDOUT || err == EINTR) return absl::OkStatus();
  return posix::ErrnoStatus(sys::kWordWaitCall, "", err);
}

absl::Status WakeWord(const std::uint32_t* word) {
  if (!sys::kHaveWordWait) return absl::OkStatus();
  if (sys::WordWake(word, 1) >= 0) return absl::OkStatus();
  return posix::ErrnoStatus(sys::kWordWakeCall, "", errno);
}

}  // namespace osport::os::internal
