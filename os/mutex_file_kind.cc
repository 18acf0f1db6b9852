// The file-lock kind's lock attempt (os/mutex.h): the owner word is
// test-and-set under a byte-range lock of the region file; waiters poll with
// back-off. The byte lock itself is the platform's (os/internal/mutex_platform.h).
#include <cstdint>

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
#include "os/time.h"

namespace osport::os {

using internal::AtomicCas;
using internal::AtomicLoad;
using internal::kAcquire;
using internal::kRelaxed;
using internal::kRelease;
using internal::LowHalf;
using internal::MutexSnapshot;
using internal::NextAcquisition;
using internal::TidOf;

using internal::Clock;
using internal::kSpinBeforePoll;

// The seed's fcntl mutex, with owner-death recovery: the byte-range lock is
// held only to test-and-set the owner word, never across the critical
// section. Why: a kernel lock held for the critical section would make a
// process unable to block on a mutex it holds (fcntl locks belong to the
// process, so its own second lock would just succeed), would be dropped by
// any close() of the file in that process, and would leave nothing to
// identify the owner; the word gives the owner, its liveness, and takeover.
absl::Status MutexImpl::AcquireFileLock(Mutex& m, Mutex::Wait& wait, File& file) {
  const ThreadIdentity& self = CurrentThread();
  const std::uint32_t me = self.tid;
  const std::uint64_t offset = AtomicLoad(&m.offset_, kRelaxed);
  bool waited = false;
  int spins = wait.mode == Mutex::Wait::Mode::kTry ? 0 : kSpinBeforePoll;
  for (;;) {
    // relaxed: only a CAS expectation or a reason to wait (see AcquireSpin).
    std::uint64_t word = AtomicLoad(&m.lock_, kRelaxed);
    if (ABSL_PREDICT_FALSE(internal::WordCorrupt(word))) return CorruptWord(m, word);
    bool take = TidOf(word) == 0;
    Clock::time_point now{};
    MutexSnapshot s;
    if (!take) {
      // Reading the word in shared memory costs nothing; only go to the
      // kernel when it looks free, or its owner dead.
      if (spins > 0 && TidOf(word) != me) {
        --spins;
        waited = true;
        internal::CpuRelax();
        continue;
      }
      now = Clock::now();
      absl::StatusOr<Verdict> v = Judge(m, wait, self, word, wait.CheckDue(now), now, &s);
      if (!v.ok()) return v.status();
      if (*v == Verdict::kRetry) continue;
      if (*v == Verdict::kSelf) return SelfDeadlock(m);
      take = *v == Verdict::kTake;
      if (take) word = s.word;
    }
    if (take) {
      // Plain Lock blocks in the kernel (byte holds last microseconds);
      // TryLock and LockFor poll so that their bound holds.
      const bool block = wait.mode == Mutex::Wait::Mode::kBlock;
      bool busy = false;
      if (absl::Status st = internal::LockByte(file, offset, block, &busy); !st.ok()) {
        return Annotate(st, absl::StrCat("locking ", Name(m)));
      }
      if (!busy) {
        const bool died = TidOf(word) != 0;
        // Still exactly the word we judged: free, or the dead owner's
        // acquisition. Others test-and-set only under the byte lock, and
        // the CAS (not a store) also refuses a word an unlock changed.
        // acquire: the previous holder's unlock (release) happens-before
        // our critical section.
        const std::uint64_t next = NextAcquisition(word, me);
        std::uint64_t expected = word;
        const bool took = AtomicCas(&m.lock_, &expected, next, kAcquire, kRelaxed);
        if (took) Record(m, next, self, waited, died);
        if (absl::Status st = internal::UnlockByte(file, offset); !st.ok()) {
          if (took) {
            // Give the word back: the caller must not think it holds it.
            // release: nothing of ours to publish, but pairs with the next
            // acquirer's CAS like an unlock.
            std::uint64_t mine = next;
            (void)AtomicCas(&m.lock_, &mine, word, kRelease, kRelaxed);
          }
          return Annotate(st, absl::StrCat("locking ", Name(m)));
        }
        if (took) return died ? OwnerDied(m, OwnerText(s)) : absl::OkStatus();
        waited = true;
        continue;  // someone else won the word: look again
      }
      if (now == Clock::time_point{}) now = Clock::now();
    }
    if (wait.Expired(now)) {
      const std::uint64_t current = AtomicLoad(&m.lock_, kRelaxed);
      return wait.mode == Mutex::Wait::Mode::kTry ? Busy(m, current) : Timeout(m, wait, current);
    }
    if (!wait.started) (void)wait.CheckDue(now);
    const std::int64_t us = absl::ToInt64Microseconds(wait.SleepFor(now, false));
    if (absl::Status st = Sleep(static_cast<std::uint64_t>(us / 1000000),
                                static_cast<std::uint64_t>(us % 1000000));
        !st.ok()) {
      return Annotate(st, absl::StrCat("waiting for ", Name(m)));
    }
    waited = true;
  }
}

}  // namespace osport::os
