// The neutral half of os/mutex.h: owner-word encoding, validation, spinning,
// back-off and deadlines, owner liveness and takeover, statistics. Platform
// files supply only the waits and the byte-range lock
// (os/internal/mutex_platform.h) and thread identity (os/thread.h).
#include "os/mutex.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <type_traits>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/internal/atomic_word.h"
#include "os/internal/cpu_relax.h"
#include "os/internal/mutex_platform.h"
#include "os/internal/mutex_wait_policy.h"
#include "os/internal/mutex_word.h"
#include "os/thread.h"
#include "os/time.h"

namespace osport::os {

using internal::AtomicCas;
using internal::AtomicFetchAnd;
using internal::AtomicLoad;
using internal::AtomicStore;
using internal::kAcquire;
using internal::kRelaxed;
using internal::kRelease;
using internal::kReservedBit;
using internal::kTidMask;
using internal::kWaitersBit;
using internal::LowHalf;
using internal::MutexSnapshot;
using internal::NextAcquisition;
using internal::TagOf;
using internal::TidOf;

namespace {

using internal::Clock;
using internal::kSpinLimit;

constexpr std::uint32_t kMagic = 0x324d736f;  // "osM2": Init ran (layout 2: 64-bit lock word)

}  // namespace

struct MutexImpl {
  static_assert(sizeof(Mutex) == 64, "Mutex storage is 64 bytes in every process");
  static_assert(alignof(Mutex) == 8, "Mutex storage is 8-aligned in every process");
  static_assert(std::is_trivially_copyable_v<Mutex>, "Mutex is plain shared-memory storage");
  static_assert(std::is_standard_layout_v<Mutex>, "Mutex has one fixed layout");
  static_assert(offsetof(Mutex, lock_) == 0 && offsetof(Mutex, kind_) == 8 &&
                    offsetof(Mutex, owner_pid_) == 12 && offsetof(Mutex, offset_) == 16 &&
                    offsetof(Mutex, owner_tag_) == 24 && offsetof(Mutex, owner_start_) == 32 &&
                    offsetof(Mutex, nowait_) == 40 && offsetof(Mutex, wait_) == 48 &&
                    offsetof(Mutex, owner_deaths_) == 56 && offsetof(Mutex, magic_) == 60,
                "Mutex layout must match on 32- and 64-bit targets");

  static internal::MutexFields Fields(const Mutex& m) {
    Mutex& w = const_cast<Mutex&>(m);  // ReadSnapshot only loads
    return {&w.lock_, &w.owner_tag_, &w.owner_pid_, &w.owner_start_};
  }

  // The low half of the lock word: the futex word of the spin kind.
  static std::uint32_t* FutexWord(Mutex& m) {
    return reinterpret_cast<std::uint32_t*>(&m.lock_) + (internal::kLittleEndian ? 0 : 1);
  }

  static std::string Name(const Mutex& m) {
    return absl::StrCat("mutex at offset ", AtomicLoad(&m.offset_, kRelaxed));
  }

  // "thread 123 of process 120", or "thread 123" when the record is not (yet)
  // this owner's.
  static std::string OwnerText(const MutexSnapshot& s) {
    if (s.recorded) return absl::StrCat("thread ", s.owner.tid, " of process ", s.owner.pid);
    return absl::StrCat("thread ", s.owner.tid);
  }
  static std::string OwnerText(const Mutex& m, std::uint64_t word) {
    MutexSnapshot s;
    if (internal::ReadSnapshot(Fields(m), &s) && TagOf(s.word) == TagOf(word)) return OwnerText(s);
    return absl::StrCat("thread ", TidOf(word));
  }

  // The checks every entry point makes; cheap enough for the slow paths.
  static absl::Status Check(const Mutex& m, const File* file, bool need_file) {
    if (m.magic_ != kMagic) {
      return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                           absl::StrFormat("mutex storage is not an initialised osport mutex "
                                           "(check word 0x%08x): corrupt, or Init was never called",
                                           m.magic_));
    }
    if (m.kind_ != static_cast<std::uint32_t>(MutexKind::kSpin) &&
        m.kind_ != static_cast<std::uint32_t>(MutexKind::kFileLock)) {
      return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                           absl::StrCat(Name(m), ": corrupt mutex kind ", m.kind_));
    }
    const std::uint64_t word = AtomicLoad(&m.lock_, kRelaxed);  // relaxed: a validity check only
    if ((LowHalf(word) & kReservedBit) != 0) return CorruptWord(m, word);
    if (need_file && m.kind_ == static_cast<std::uint32_t>(MutexKind::kFileLock) &&
        (file == nullptr || !file->is_open())) {
      return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                           absl::StrCat(Name(m), ": a file-lock mutex needs the region's open "
                                                 "backing file, got ",
                                        file == nullptr ? "none" : "a closed file"));
    }
    return absl::OkStatus();
  }

  static absl::Status CorruptWord(const Mutex& m, std::uint64_t word) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("%s: corrupt lock word 0x%08x (generation %u)", Name(m),
                                         LowHalf(word), internal::GenerationOf(word)));
  }

  static absl::Status Busy(const Mutex& m, std::uint64_t word) {
    if (TidOf(word) == 0) {
      return PortableError(absl::StatusCode::kUnavailable, EBUSY,
                           absl::StrCat(Name(m), " is being locked by another thread or process"));
    }
    return PortableError(absl::StatusCode::kUnavailable, EBUSY,
                         absl::StrCat(Name(m), " is held by ", OwnerText(m, word)));
  }

  static absl::Status Timeout(const Mutex& m, const Mutex::Wait& wait, std::uint64_t word) {
    std::string message = absl::StrCat(Name(m), ": timed out; held by ", OwnerText(m, word));
    if (!wait.liveness_error.ok()) {
      absl::StrAppend(&message, "; whether the owner lives is unknown: ", wait.liveness_error.message());
    }
    return PortableError(absl::StatusCode::kDeadlineExceeded, ETIMEDOUT, message);
  }

  static absl::Status SelfDeadlock(const Mutex& m) {
    return PortableError(absl::StatusCode::kFailedPrecondition, EDEADLK,
                         absl::StrCat(Name(m), " is already held by the calling thread"));
  }

  static absl::Status OwnerDied(const Mutex& m, const std::string& previous) {
    return PortableError(absl::StatusCode::kAborted, EOWNERDEAD,
                         absl::StrCat(Name(m), ": its owner (", previous,
                                      ") died holding it; the caller now holds it and the data "
                                      "it guards may be inconsistent"));
  }

  // Whether the snapshot's acquisition is the calling thread's own.
  static bool IsMine(const MutexSnapshot& s, const ThreadIdentity& self) {
    return s.owner.tid == self.tid && s.recorded && s.owner.pid == self.pid &&
           s.owner.start == self.start;
  }

  // Whether the owner of the snapshot's acquisition still runs (see the
  // protocol in os/internal/mutex_word.h): its record when written; else its
  // id, and a bounded wait for the record while a thread with that id runs.
  static absl::StatusOr<bool> OwnerAlive(const Mutex& m, Mutex::Wait& wait, const MutexSnapshot& s,
                                         Clock::time_point now) {
    absl::StatusOr<bool> alive = IsThreadAlive(s.owner);
    if (!alive.ok()) {
      return Annotate(alive.status(), absl::StrCat(Name(m), ": checking whether its owner ",
                                                   OwnerText(s), " is alive"));
    }
    if (!*alive || s.recorded) return alive;
    if (wait.unrecorded_tag != TagOf(s.word)) {
      wait.unrecorded_tag = TagOf(s.word);
      wait.unrecorded_since = now;
    }
    return now - wait.unrecorded_since < internal::kUnrecordedDeadline;
  }

  // Whether to take over the snapshot's acquisition: true when its owner is
  // dead. TryLock reports a failed check; waiting lockers treat the owner as
  // alive and check again later (a transient EMFILE must not fail a Lock),
  // keeping the error for a timeout's message.
  static absl::StatusOr<bool> OwnerGone(const Mutex& m, Mutex::Wait& wait, const MutexSnapshot& s,
                                        Clock::time_point now) {
    absl::StatusOr<bool> alive = OwnerAlive(m, wait, s, now);
    if (alive.ok()) return !*alive;
    if (wait.mode == Mutex::Wait::Mode::kTry) return alive.status();
    wait.liveness_error = alive.status();
    return false;
  }

  // Called by the new holder right after the CAS that made acquisition `word`.
  static void Record(Mutex& m, std::uint64_t word, const ThreadIdentity& self, bool waited,
                     bool owner_died) {
    internal::Publish(Fields(m), word, self);
    internal::HolderIncrement(waited ? &m.wait_ : &m.nowait_);
    if (ABSL_PREDICT_FALSE(owner_died)) internal::HolderIncrement(&m.owner_deaths_);
  }

  // A lock attempt that slept in the kernel and leaves without the mutex may
  // have consumed the wake-up an unlocker meant for the next sleeper: pass it
  // on. Best effort: should the wake fail, the sleeper still re-checks within
  // its liveness interval, and the caller's own status says more.
  static void PassWake(Mutex& m, bool slept) {
    if (slept) (void)internal::WakeWord(FutexWord(m));
  }

  static absl::Status Acquire(Mutex& m, Mutex::Wait& wait, File* file) {
    if (absl::Status s = Check(m, file, true); !s.ok()) return s;
    if (m.kind_ == static_cast<std::uint32_t>(MutexKind::kSpin)) {
      bool slept = false;
      absl::Status s = AcquireSpin(m, wait, &slept);
      if (!s.ok() && !IsOwnerDead(s)) PassWake(m, slept);
      return s;
    }
    return AcquireFileLock(m, wait, *file);
  }

  // What to do about an acquisition that is not free: kWait for a live owner;
  // kTake to take a dead owner's over (snapshot in *s); kSelf when it is the
  // caller's; kRetry when the word changed under the snapshot.
  enum class Verdict { kWait, kTake, kSelf, kRetry };
  static absl::StatusOr<Verdict> Judge(const Mutex& m, Mutex::Wait& wait, const ThreadIdentity& self,
                                       std::uint64_t word, bool check_due, Clock::time_point now,
                                       MutexSnapshot* s) {
    if (TidOf(word) != self.tid && !check_due) return Verdict::kWait;
    if (!internal::ReadSnapshot(Fields(m), s) || TagOf(s->word) != TagOf(word)) return Verdict::kRetry;
    if (s->owner.tid == self.tid) {
      // It carries our id: ours only when the record says so; otherwise its
      // owner was a thread whose id we now have, so it is gone.
      return IsMine(*s, self) ? Verdict::kSelf : Verdict::kTake;
    }
    absl::StatusOr<bool> gone = OwnerGone(m, wait, *s, now);
    if (!gone.ok()) return gone.status();
    return *gone ? Verdict::kTake : Verdict::kWait;
  }

  static absl::Status AcquireSpin(Mutex& m, Mutex::Wait& wait, bool* slept_out) {
    const ThreadIdentity& self = CurrentThread();
    const std::uint32_t me = self.tid;
    const bool native = internal::HaveNativeWordWait();
    bool waited = false;  // spun or slept at least once
    bool& slept = *slept_out;  // slept in the kernel: others may too
    int spins = wait.mode == Mutex::Wait::Mode::kTry ? 0 : kSpinLimit;
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
      if (ABSL_PREDICT_FALSE((LowHalf(word) & kReservedBit) != 0)) return CorruptWord(m, word);
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

  // The seed's fcntl mutex, with owner-death recovery: the byte-range lock is
  // held only to test-and-set the owner word, never across the critical
  // section. Why: a kernel lock held for the critical section would make a
  // process unable to block on a mutex it holds (fcntl locks belong to the
  // process, so its own second lock would just succeed), would be dropped by
  // any close() of the file in that process, and would leave nothing to
  // identify the owner; the word gives the owner, its liveness, and takeover.
  static absl::Status AcquireFileLock(Mutex& m, Mutex::Wait& wait, File& file) {
    const ThreadIdentity& self = CurrentThread();
    const std::uint32_t me = self.tid;
    const std::uint64_t offset = AtomicLoad(&m.offset_, kRelaxed);
    bool waited = false;
    int spins = wait.mode == Mutex::Wait::Mode::kTry ? 0 : kSpinLimit;
    for (;;) {
      // relaxed: only a CAS expectation or a reason to wait (see AcquireSpin).
      std::uint64_t word = AtomicLoad(&m.lock_, kRelaxed);
      if (ABSL_PREDICT_FALSE((LowHalf(word) & kReservedBit) != 0)) return CorruptWord(m, word);
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

  ABSL_ATTRIBUTE_NOINLINE static absl::Status Release(Mutex& m, File* file) {
    if (absl::Status s = Check(m, file, true); !s.ok()) return s;
    const ThreadIdentity& self = CurrentThread();
    MutexSnapshot s;
    // While we hold it no acquisition can change the word, so the snapshot is
    // consistent at once; if it is not, somebody else is acquiring it.
    const bool consistent = internal::ReadSnapshot(Fields(m), &s);
    if (!consistent || !IsMine(s, self)) {
      const std::uint64_t word = consistent ? s.word : AtomicLoad(&m.lock_, kRelaxed);
      return PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                           TidOf(word) == 0
                               ? absl::StrCat(Name(m), ": unlock of a mutex nobody holds")
                               : absl::StrCat(Name(m), ": unlock by thread ", self.tid,
                                              ", but it is held by ",
                                              consistent ? OwnerText(s) : OwnerText(m, word)));
    }
    // release: our critical section happens-before the next acquirer's CAS.
    // Clears the tid and the waiters bit, keeps the generation; only the
    // waiters bit can change under us, and the old value says whether it did.
    const std::uint64_t old = AtomicFetchAnd(&m.lock_, internal::kGenerationMask, kRelease);
    if (m.kind_ == static_cast<std::uint32_t>(MutexKind::kFileLock)) {
      return absl::OkStatus();  // the seed's unlock: no kernel call; lockers poll
    }
    if ((LowHalf(old) & kWaitersBit) == 0) return absl::OkStatus();
    if (absl::Status st = internal::WakeWord(FutexWord(m)); !st.ok()) {
      return Annotate(st, absl::StrCat(Name(m), " was released, but waking a waiter failed"));
    }
    return absl::OkStatus();
  }
};

absl::Status Mutex::Init(MutexKind kind, std::uint64_t offset) {
  if (kind != MutexKind::kSpin && kind != MutexKind::kFileLock) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("mutex Init: unknown mutex kind ",
                                      static_cast<std::uint32_t>(kind)));
  }
  if (offset > static_cast<std::uint64_t>(INT64_MAX)) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("mutex Init: offset ", offset, " is past the largest file offset"));
  }
  *this = Mutex{};  // value-initialised: every field 0
  kind_ = static_cast<std::uint32_t>(kind);
  offset_ = offset;
  magic_ = kMagic;
  return absl::OkStatus();
}

absl::Status Mutex::Lock(File* file) {
  // The uncontended spin path: a load, one CAS, three stores and a counter.
  if (ABSL_PREDICT_TRUE(magic_ == kMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin))) {
    const ThreadIdentity& self = CurrentThread();
    // relaxed: only the CAS's expectation; the CAS itself acquires.
    std::uint64_t word = internal::AtomicLoad(&lock_, internal::kRelaxed);
    if (ABSL_PREDICT_TRUE(internal::TidOf(word) == 0)) {
      const std::uint64_t next = internal::NextAcquisition(word, self.tid);
      if (ABSL_PREDICT_TRUE(internal::AtomicCas(&lock_, &word, next, internal::kAcquire, internal::kRelaxed))) {
        MutexImpl::Record(*this, next, self, false, false);
        return absl::OkStatus();
      }
    }
  }
  Wait wait;
  return MutexImpl::Acquire(*this, wait, file);
}

absl::Status Mutex::TryLock(File* file) {
  Wait wait;
  wait.mode = Wait::Mode::kTry;
  return MutexImpl::Acquire(*this, wait, file);
}

absl::Status Mutex::LockFor(absl::Duration timeout, File* file) {
  Wait wait;
  if (timeout == absl::InfiniteDuration()) return MutexImpl::Acquire(*this, wait, file);
  wait.mode = Wait::Mode::kDeadline;
  const Clock::time_point now = Clock::now();
  // Cap far deadlines so the time arithmetic cannot overflow (~292 years).
  const absl::Duration capped = std::min(std::max(timeout, absl::ZeroDuration()), absl::Hours(24 * 365 * 100));
  wait.deadline = now + std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(capped));
  return MutexImpl::Acquire(*this, wait, file);
}

absl::Status Mutex::Unlock(File* file) {
  // The uncontended spin path: the word is the caller's acquisition (its id,
  // no waiters bit; the record its own, so a dead thread's acquisition that
  // carries a reused id is not released) and one CAS releases it. Anything
  // else -- a waiter to wake, the file-lock kind, an error -- goes out of line.
  if (ABSL_PREDICT_TRUE(magic_ == kMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin))) {
    const ThreadIdentity& self = internal::t_current_thread;  // tid 0 if not cached yet
    // relaxed: if this is our acquisition we wrote the word and the record
    // ourselves; if not, the CAS or the checks fail.
    std::uint64_t word = internal::AtomicLoad(&lock_, internal::kRelaxed);
    if (ABSL_PREDICT_TRUE(self.tid != 0 && internal::LowHalf(word) == self.tid &&
                          internal::AtomicLoad(&owner_tag_, internal::kRelaxed) == word &&
                          internal::AtomicLoad(&owner_start_, internal::kRelaxed) == self.start)) {
      // release: our critical section happens-before the next acquirer's CAS.
      if (ABSL_PREDICT_TRUE(internal::AtomicCas(&lock_, &word, word & internal::kGenerationMask,
                                                internal::kRelease, internal::kRelaxed))) {
        return absl::OkStatus();
      }
    }
  }
  return MutexImpl::Release(*this, file);
}

MutexKind Mutex::kind() const { return static_cast<MutexKind>(kind_); }

MutexOwner Mutex::owner() const {
  MutexOwner o;
  internal::MutexSnapshot s;
  if (!internal::ReadSnapshot(MutexImpl::Fields(*this), &s, 64)) {
    // Acquisitions keep coming: the word alone.
    s.word = internal::AtomicLoad(&lock_, internal::kAcquire);
    s.owner.tid = internal::TidOf(s.word);
  }
  o.held = s.owner.tid != 0;
  o.tid = s.owner.tid;
  o.pid = s.owner.pid;
  o.start = s.owner.start;
  return o;
}

MutexStats Mutex::stats() const {
  MutexStats s;
  s.nowait = AtomicLoad(&nowait_, kRelaxed);
  s.wait = AtomicLoad(&wait_, kRelaxed);
  s.owner_deaths = AtomicLoad(&owner_deaths_, kRelaxed);
  return s;
}

bool IsOwnerDead(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted && HasErrno(status, EOWNERDEAD);
}

}  // namespace osport::os
