// The waiting policy of os/mutex.h, neutral and shared by every platform:
// how long to spin, when to check the owner's liveness, how to back off, and
// the deadline arithmetic of one lock attempt. Not a public header.
#ifndef OSPORT_OS_INTERNAL_MUTEX_WAIT_POLICY_H_
#define OSPORT_OS_INTERNAL_MUTEX_WAIT_POLICY_H_

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "os/mutex.h"

namespace osport::os {

namespace internal {

using Clock = std::chrono::steady_clock;

// Spinning before a kernel wait (the spin kind with a futex or umtx): 32
// PAUSEs, about 0.6 us on a Zen 5 core (19 ns per PAUSE) and about 2 us where
// PAUSE takes ~140 cycles (Intel since Skylake) -- enough for a holder on
// another core to finish a short critical section, and short enough that a
// waiter stops pulling the lock's cache line from a holder that re-locks.
// Swept on two 2-vCPU guests (bench/README.md, "The spin limit, swept"): on
// a Zen 5 guest 32 was 1.1-1.6x faster than 128 in every contended case; on
// a Xeon guest 128 was fastest in three of four cases and 16 cost 1.2x with
// a ~55 ns critical section, yet 16 still beat glibc's robust mutex there in
// every case. 32 was not measured on the Xeon.
inline constexpr int kSpinBeforeSleep = 32;
// Spinning before polling with sched_yield and back-off sleeps (the file-lock
// kind; the spin kind where the platform has no kernel wait): about 2.5 us on
// Zen 5, 6-9 us where PAUSE takes ~140 cycles -- longer, since what follows
// is sched_yield and a millisecond back-off, not a wake-up.
inline constexpr int kSpinBeforePoll = 128;

// Liveness of the owner is checked once a waiter has waited kFirstCheck, then
// at doubling intervals capped at kCheckCap: a /proc read costs microseconds,
// so it stays off the path of short waits, and a death is seen well within
// the promised 1 s.
inline constexpr Clock::duration kFirstCheck = std::chrono::milliseconds(5);
inline constexpr Clock::duration kCheckCap = std::chrono::milliseconds(250);
// Without a kernel wait (and for the file-lock kind): the seed's back-off,
// 1 ms doubling to 1 s -- in practice capped by the next liveness check.
inline constexpr Clock::duration kFirstBackoff = std::chrono::milliseconds(1);
inline constexpr Clock::duration kBackoffCap = std::chrono::seconds(1);

// An acquisition whose owner record has not appeared while a thread with its
// id runs is judged dead after this much of one waiter's watching: the owner
// died between its CAS and its record and its id was reused (a live owner
// writes the record a few instructions after the CAS, with no system call).
inline constexpr Clock::duration kUnrecordedDeadline = std::chrono::seconds(2);

}  // namespace internal

// One lock attempt's mode, deadline and back-off state.
struct Mutex::Wait {
  enum class Mode : std::uint8_t { kBlock, kTry, kDeadline };
  Mode mode = Mode::kBlock;
  internal::Clock::time_point deadline{};
  internal::Clock::time_point next_check{};
  internal::Clock::duration check_every = internal::kFirstCheck;
  internal::Clock::duration backoff = internal::kFirstBackoff;
  bool started = false;
  absl::Status liveness_error;  // the last failed owner check, for Timeout
  // The unrecorded acquisition (tag) being watched, and since when.
  std::uint64_t unrecorded_tag = 0;
  internal::Clock::time_point unrecorded_since{};

  // Whether to look at the owner's liveness now. TryLock always does: it is
  // its only chance to find a dead owner.
  bool CheckDue(internal::Clock::time_point now) {
    if (mode == Mode::kTry) return true;
    if (!started) {
      started = true;
      next_check = now + internal::kFirstCheck;
      return false;
    }
    if (now < next_check) return false;
    check_every = std::min(check_every * 2, internal::kCheckCap);
    next_check = now + check_every;
    return true;
  }

  bool Expired(internal::Clock::time_point now) const {
    return mode == Mode::kTry || (mode == Mode::kDeadline && now >= deadline);
  }

  // How long to sleep now: until the next liveness check (a kernel wait is
  // woken early by the unlocker), or the current back-off step; never past
  // the deadline.
  absl::Duration SleepFor(internal::Clock::time_point now, bool native) {
    internal::Clock::duration d = next_check - now;
    if (!native) {
      d = std::min(d, backoff);
      backoff = std::min(backoff * 2, internal::kBackoffCap);
    }
    if (mode == Mode::kDeadline) d = std::min(d, deadline - now);
    d = std::max(d, internal::Clock::duration(std::chrono::microseconds(50)));
    return absl::FromChrono(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }
};

}  // namespace osport::os

#endif  // OSPORT_OS_INTERNAL_MUTEX_WAIT_POLICY_H_
