// The spin kind's lock attempt (os/mutex.h): spin, judge the owner, take over
// a dead one, sleep on the futex half of the word with the waiters bit; and
// the entry that dispatches a slow-path attempt to its kind.
#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/internal/atomic_word.h"
#include "os/internal/cpu_relax.h"
#include "os/internal/mutex_impl.h"
#include "os/internal/mutex_platform.h"
#include "os/internal/mutex_wait_policy.h"
#include "os/internal/mutex_word.h"
#include "os/thread.h"

namespace osport::os {

using internal::AtomicCas;
using internal::AtomicLoad;
using internal::kAcquire;
using internal::kRelaxed;
using internal::kWaitersBit;
using internal::LowHalf;
using internal::MutexSnapshot;
using internal::NextAcquisition;
using internal::TidOf;

using internal::Clock;
using internal::kSpinBeforePoll;
using internal::kSpinBeforeSleep;

absl::Status MutexImpl::Acquire(Mutex& m, Mutex::Wait& wait, File* file) {
  if (absl::Status s = Check(m, file, true); !s.ok()) return s;
  if (ABSL_PREDICT_FALSE(!CurrentThreadKnown(CurrentThread()))) return UnknownSelf(m);
  if (m.kind_ == static_cast<std::uint32_t>(MutexKind::kSpin)) {
    bool slept = false;
    absl::Status s = AcquireSpin(m, wait, &slept);
    if (!s.ok() && !IsOwnerDead(s)) PassWake(m, slept);
    return s;
  }
  return AcquireFileLock(m, wait, *file);
}

absl::Status MutexImpl::AcquireSpin(Mutex& m, Mutex::Wait& wait, bool* slept_out) {
  const ThreadIdentity& self = CurrentThread();
  const std::uint32_t me = self.tid;
  const bool native = internal::HaveNativeWordWait();
  bool waited = false;  // spun or slept at least once
  bool& slept = *slept_out;  // slept in the kernel: others may too
  int spins = wait.mode == Mutex::Wait::Mode::kTry ? 0 : native ? kSpinBeforeSleep : kSpinBeforePoll;
  for (;;) {
    // relaxed: here the word is only a CAS expectation or a reason to wait;
    // the CAS (acquire) orders the critical section, and the owner record
    // is read through ReadSnapshot, which loads the word again with acquire.
    std::uint64_t word = AtomicLoad(&m.lock_, kRelaxed);
    if (TidOf(word) == 0) {
      // A thread that slept keeps the waiters bit on its way in: other
      // sleepers may remain, and its unlock must wake the next one.
      const std::uint64_t next = NextAcquisition(word, me | (slept ? kWaitersBit : 0));
      // acquire: the previous holder's unlock (release) happens-before our
      // critical section.
      if (AtomicCas(&m.lock_, &word, next, kAcquire, kRelaxed)) {
        Record(m, next, self, waited, false);
        return absl::OkStatus();
      }
      continue;
    }
    if (ABSL_PREDICT_FALSE(internal::WordCorrupt(word))) return CorruptWord(m, word);
    if (spins > 0 && TidOf(word) != me) {
      --spins;
      waited = true;
      internal::CpuRelax();
      continue;
    }
    const Clock::time_point now = Clock::now();
    MutexSnapshot s;
    absl::StatusOr<Verdict> v = Judge(m, wait, self, word, wait.CheckDue(now), now, &s);
    if (!v.ok()) return v.status();
    if (*v == Verdict::kRetry) continue;
    if (*v == Verdict::kSelf) return SelfDeadlock(m);
    if (*v == Verdict::kTake) {
      // Exactly the acquisition judged dead (generation and all): of several
      // lockers that found it, one CAS wins, and none wins once it changed.
      // The waiters bit stays for sleepers, and is set if we slept.
      const std::uint64_t next =
          NextAcquisition(s.word, me | (LowHalf(s.word) & kWaitersBit) | (slept ? kWaitersBit : 0));
      std::uint64_t expected = s.word;
      if (AtomicCas(&m.lock_, &expected, next, kAcquire, kRelaxed)) {
        Record(m, next, self, waited, true);
        return OwnerDied(m, OwnerText(s));
      }
      continue;
    }
    if (wait.Expired(now)) {
      return wait.mode == Mutex::Wait::Mode::kTry ? Busy(m, word) : Timeout(m, wait, word);
    }
    if (native && (LowHalf(word) & kWaitersBit) == 0) {
      // relaxed: the bit publishes no data; the futex compares its value.
      if (!AtomicCas(&m.lock_, &word, word | kWaitersBit, kRelaxed, kRelaxed)) continue;
      word |= kWaitersBit;
    }
    if (absl::Status st = internal::WaitWord(FutexWord(m), LowHalf(word), wait.SleepFor(now, native));
        !st.ok()) {
      return Annotate(st, absl::StrCat("waiting for ", Name(m)));
    }
    waited = true;
    slept = slept || native;
  }
}

}  // namespace osport::os
