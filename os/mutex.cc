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
#include "os/thread.h"
#include "os/time.h"

namespace osport::os {

using internal::AtomicCas;
using internal::AtomicExchange;
using internal::AtomicLoad;
using internal::AtomicStore;
using internal::kAcquire;
using internal::kRelaxed;
using internal::kRelease;

namespace {

using internal::Clock;
using internal::kSpinLimit;

// The lock word: 0 when free, else the owner's thread id (bits 0-29) plus the
// waiters bit (31), set by a thread about to sleep in the kernel so that the
// unlocker knows to wake one. Bit 30 is never set: a word with it is garbage.
constexpr std::uint32_t kTidMask = kMaxThreadId;
constexpr std::uint32_t kReservedBit = std::uint32_t{1} << 30;
constexpr std::uint32_t kWaitersBit = std::uint32_t{1} << 31;
static_assert((kTidMask & (kReservedBit | kWaitersBit)) == 0, "owner bits overlap flag bits");

constexpr std::uint32_t kMagic = 0x784d736f;  // "osMx": Init ran

}  // namespace

struct MutexImpl {
  static_assert(sizeof(Mutex) == 64, "Mutex storage is 64 bytes in every process");
  static_assert(alignof(Mutex) == 8, "Mutex storage is 8-aligned in every process");
  static_assert(std::is_trivially_copyable_v<Mutex>, "Mutex is plain shared-memory storage");
  static_assert(std::is_standard_layout_v<Mutex>, "Mutex has one fixed layout");
  static_assert(offsetof(Mutex, word_) == 0 && offsetof(Mutex, kind_) == 4 &&
                    offsetof(Mutex, offset_) == 8 && offsetof(Mutex, owner_pid_) == 16 &&
                    offsetof(Mutex, owner_tid_) == 20 && offsetof(Mutex, owner_start_) == 24 &&
                    offsetof(Mutex, nowait_) == 32 && offsetof(Mutex, wait_) == 40 &&
                    offsetof(Mutex, owner_deaths_) == 48 && offsetof(Mutex, magic_) == 56,
                "Mutex layout must match on 32- and 64-bit targets");

  static std::string Name(const Mutex& m) {
    return absl::StrCat("mutex at offset ", AtomicLoad(&m.offset_, kRelaxed));
  }

  // "thread 123 of process 120", or "thread 123" when the record is not (yet)
  // this owner's.
  static std::string OwnerText(const Mutex& m, std::uint32_t word) {
    const std::uint32_t tid = word & kTidMask;
    if (AtomicLoad(&m.owner_tid_, kAcquire) == tid) {
      return absl::StrCat("thread ", tid, " of process ", AtomicLoad(&m.owner_pid_, kRelaxed));
    }
    return absl::StrCat("thread ", tid);
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
    const std::uint32_t word = AtomicLoad(&m.word_, kRelaxed);
    if ((word & kReservedBit) != 0) return CorruptWord(m, word);
    if (need_file && m.kind_ == static_cast<std::uint32_t>(MutexKind::kFileLock) &&
        (file == nullptr || !file->is_open())) {
      return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                           absl::StrCat(Name(m), ": a file-lock mutex needs the region's open "
                                                 "backing file, got ",
                                        file == nullptr ? "none" : "a closed file"));
    }
    return absl::OkStatus();
  }

  static absl::Status CorruptWord(const Mutex& m, std::uint32_t word) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("%s: corrupt lock word 0x%08x", Name(m), word));
  }

  static absl::Status Busy(const Mutex& m, std::uint32_t word) {
    if (word == 0) {
      return PortableError(absl::StatusCode::kUnavailable, EBUSY,
                           absl::StrCat(Name(m), " is being locked by another thread or process"));
    }
    return PortableError(absl::StatusCode::kUnavailable, EBUSY,
                         absl::StrCat(Name(m), " is held by ", OwnerText(m, word)));
  }

  static absl::Status Timeout(const Mutex& m, const Mutex::Wait& wait, std::uint32_t word) {
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

  // Whether the owner in `word` still runs. The recorded pid and start stamp
  // are used only when the record is this owner's (written right after it
  // took the word); otherwise the id alone is checked.
  static absl::StatusOr<bool> OwnerAlive(const Mutex& m, std::uint32_t word) {
    ThreadIdentity owner;
    owner.tid = word & kTidMask;
    if (AtomicLoad(&m.owner_tid_, kAcquire) == owner.tid) {
      owner.pid = AtomicLoad(&m.owner_pid_, kRelaxed);
      owner.start = AtomicLoad(&m.owner_start_, kRelaxed);
    }
    absl::StatusOr<bool> alive = IsThreadAlive(owner);
    if (!alive.ok()) {
      return Annotate(alive.status(), absl::StrCat(Name(m), ": checking whether its owner ",
                                                   OwnerText(m, word), " is alive"));
    }
    return alive;
  }

  // Whether to take over from the owner in `word`: true when it is dead.
  // TryLock reports a failed check; waiting lockers treat the owner as alive
  // and check again later (a transient EMFILE must not fail a Lock), keeping
  // the error for a timeout's message.
  static absl::StatusOr<bool> OwnerGone(const Mutex& m, Mutex::Wait& wait, std::uint32_t word) {
    absl::StatusOr<bool> alive = OwnerAlive(m, word);
    if (alive.ok()) return !*alive;
    if (wait.mode == Mutex::Wait::Mode::kTry) return alive.status();
    wait.liveness_error = alive.status();
    return false;
  }

  // Called by the new holder right after taking the word: plain stores, no
  // read-modify-write. The record's tid goes last (release), so a reader that
  // sees its own owner's tid there also sees that owner's pid and stamp.
  static void Record(Mutex& m, const ThreadIdentity& self, bool waited, bool owner_died) {
    AtomicStore(&m.owner_pid_, self.pid, kRelaxed);
    AtomicStore(&m.owner_start_, self.start, kRelaxed);
    AtomicStore(&m.owner_tid_, self.tid, kRelease);
    internal::HolderIncrement(waited ? &m.wait_ : &m.nowait_);
    if (ABSL_PREDICT_FALSE(owner_died)) internal::HolderIncrement(&m.owner_deaths_);
  }

  static absl::Status Acquire(Mutex& m, Mutex::Wait& wait, File* file) {
    if (absl::Status s = Check(m, file, true); !s.ok()) return s;
    if (m.kind_ == static_cast<std::uint32_t>(MutexKind::kSpin)) return AcquireSpin(m, wait);
    return AcquireFileLock(m, wait, *file);
  }

  static absl::Status AcquireSpin(Mutex& m, Mutex::Wait& wait) {
    const ThreadIdentity& self = CurrentThread();
    const std::uint32_t me = self.tid;
    const bool native = internal::HaveNativeWordWait();
    bool waited = false;  // spun or slept at least once
    bool slept = false;   // slept in the kernel: others may too
    int spins = wait.mode == Mutex::Wait::Mode::kTry ? 0 : kSpinLimit;
    for (;;) {
      std::uint32_t word = AtomicLoad(&m.word_, kRelaxed);
      if (word == 0) {
        // A thread that slept keeps the waiters bit on its way in: other
        // sleepers may remain, and its unlock must wake the next one.
        std::uint32_t expected = 0;
        if (AtomicCas(&m.word_, &expected, me | (slept ? kWaitersBit : 0), kAcquire, kRelaxed)) {
          Record(m, self, waited, false);
          return absl::OkStatus();
        }
        continue;
      }
      if (ABSL_PREDICT_FALSE((word & kReservedBit) != 0)) return CorruptWord(m, word);
      if ((word & kTidMask) == me) return SelfDeadlock(m);
      if (spins > 0) {
        --spins;
        waited = true;
        internal::CpuRelax();
        continue;
      }
      const Clock::time_point now = Clock::now();
      if (wait.CheckDue(now)) {
        absl::StatusOr<bool> gone = OwnerGone(m, wait, word);
        if (!gone.ok()) return gone.status();
        if (*gone) {
          const std::string previous = OwnerText(m, word);
          // Of several lockers that found the same dead owner, one CAS wins.
          std::uint32_t expected = word;
          if (AtomicCas(&m.word_, &expected, me | (word & kWaitersBit), kAcquire, kRelaxed)) {
            Record(m, self, waited, true);
            return OwnerDied(m, previous);
          }
          continue;
        }
      }
      if (wait.Expired(now)) {
        return wait.mode == Mutex::Wait::Mode::kTry ? Busy(m, word) : Timeout(m, wait, word);
      }
      if (native && (word & kWaitersBit) == 0) {
        std::uint32_t expected = word;
        if (!AtomicCas(&m.word_, &expected, word | kWaitersBit, kRelaxed, kRelaxed)) continue;
        word |= kWaitersBit;
      }
      if (absl::Status s = internal::WaitWord(&m.word_, word, wait.SleepFor(now, native)); !s.ok()) {
        return Annotate(s, absl::StrCat("waiting for ", Name(m)));
      }
      waited = true;
      slept = native;
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
      const std::uint32_t word = AtomicLoad(&m.word_, kAcquire);
      if (ABSL_PREDICT_FALSE((word & kReservedBit) != 0)) return CorruptWord(m, word);
      if (word != 0 && (word & kTidMask) == me) return SelfDeadlock(m);
      bool take = word == 0;
      Clock::time_point now{};
      if (!take) {
        // Reading the word in shared memory costs nothing; only go to the
        // kernel when it looks free, or its owner dead.
        if (spins > 0) {
          --spins;
          waited = true;
          internal::CpuRelax();
          continue;
        }
        now = Clock::now();
        if (wait.CheckDue(now)) {
          absl::StatusOr<bool> gone = OwnerGone(m, wait, word);
          if (!gone.ok()) return gone.status();
          take = *gone;
        }
      }
      if (take) {
        // Plain Lock blocks in the kernel (byte holds last microseconds);
        // TryLock and LockFor poll so that their bound holds.
        const bool block = wait.mode == Mutex::Wait::Mode::kBlock;
        bool busy = false;
        if (absl::Status s = internal::LockByte(file, offset, block, &busy); !s.ok()) {
          return Annotate(s, absl::StrCat("locking ", Name(m)));
        }
        if (!busy) {
          const std::string previous = word != 0 ? OwnerText(m, word) : std::string();
          // Unchanged since we looked: free, or still the dead owner (who
          // cannot unlock). Others test-and-set only under the byte lock.
          const bool took = AtomicLoad(&m.word_, kAcquire) == word;
          if (took) AtomicStore(&m.word_, me, kRelaxed);
          if (absl::Status s = internal::UnlockByte(file, offset); !s.ok()) {
            // Give the word back: the caller must not think it holds it.
            if (took) AtomicStore(&m.word_, word, kRelease);
            return Annotate(s, absl::StrCat("locking ", Name(m)));
          }
          if (took) {
            Record(m, self, waited, word != 0);
            return word != 0 ? OwnerDied(m, previous) : absl::OkStatus();
          }
          waited = true;
          continue;  // someone else won the word: look again
        }
        if (now == Clock::time_point{}) now = Clock::now();
      }
      if (wait.Expired(now)) {
        const std::uint32_t current = AtomicLoad(&m.word_, kRelaxed);
        return wait.mode == Mutex::Wait::Mode::kTry ? Busy(m, current) : Timeout(m, wait, current);
      }
      if (!wait.started) (void)wait.CheckDue(now);
      const std::int64_t us = absl::ToInt64Microseconds(wait.SleepFor(now, false));
      if (absl::Status s = Sleep(static_cast<std::uint64_t>(us / 1000000),
                                 static_cast<std::uint64_t>(us % 1000000));
          !s.ok()) {
        return Annotate(s, absl::StrCat("waiting for ", Name(m)));
      }
      waited = true;
    }
  }

  ABSL_ATTRIBUTE_NOINLINE static absl::Status Release(Mutex& m, File* file) {
    if (absl::Status s = Check(m, file, true); !s.ok()) return s;
    const std::uint32_t me = CurrentThread().tid;
    const std::uint32_t word = AtomicLoad(&m.word_, kRelaxed);
    if (word == 0 || (word & kTidMask) != me) {
      return PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                           word == 0 ? absl::StrCat(Name(m), ": unlock of a mutex nobody holds")
                                     : absl::StrCat(Name(m), ": unlock by thread ", me,
                                                    ", but it is held by ", OwnerText(m, word)));
    }
    AtomicStore(&m.owner_tid_, std::uint32_t{0}, kRelaxed);
    if (m.kind_ == static_cast<std::uint32_t>(MutexKind::kFileLock)) {
      // The seed's unlock: no kernel call; lockers poll the word.
      AtomicStore(&m.word_, std::uint32_t{0}, kRelease);
      return absl::OkStatus();
    }
    // Only the waiters bit can change under us now: release, then wake one
    // sleeper if it was set.
    const std::uint32_t old = AtomicExchange(&m.word_, std::uint32_t{0}, kRelease);
    if ((old & kWaitersBit) == 0) return absl::OkStatus();
    if (absl::Status s = internal::WakeWord(&m.word_); !s.ok()) {
      return Annotate(s, absl::StrCat(Name(m), " was released, but waking a waiter failed"));
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
  // The uncontended spin path: one CAS, three stores and a counter.
  if (ABSL_PREDICT_TRUE(magic_ == kMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin))) {
    const ThreadIdentity& self = CurrentThread();
    std::uint32_t expected = 0;
    if (ABSL_PREDICT_TRUE(AtomicCas(&word_, &expected, self.tid, kAcquire, kRelaxed))) {
      MutexImpl::Record(*this, self, false, false);
      return absl::OkStatus();
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
  // The uncontended spin path: the caller's cached id matches the word
  // exactly (no waiters bit), one CAS releases. Anything else -- a waiter to
  // wake, the file-lock kind, an error to report -- goes out of line.
  if (ABSL_PREDICT_TRUE(magic_ == kMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin))) {
    const std::uint32_t me = internal::t_current_thread.tid;  // 0 if not cached yet
    if (ABSL_PREDICT_TRUE(me != 0 && AtomicLoad(&word_, kRelaxed) == me)) {
      // Forget the record first: a reader must never pair a later owner's
      // word with this record (see OwnerAlive).
      AtomicStore(&owner_tid_, std::uint32_t{0}, kRelaxed);
      std::uint32_t expected = me;
      if (ABSL_PREDICT_TRUE(AtomicCas(&word_, &expected, std::uint32_t{0}, kRelease, kRelaxed))) {
        return absl::OkStatus();
      }
    }
  }
  return MutexImpl::Release(*this, file);
}

MutexKind Mutex::kind() const { return static_cast<MutexKind>(kind_); }

MutexOwner Mutex::owner() const {
  MutexOwner o;
  const std::uint32_t word = AtomicLoad(&word_, kAcquire);
  o.held = word != 0;
  o.tid = word & kTidMask;
  if (o.held && AtomicLoad(&owner_tid_, kAcquire) == o.tid) {
    o.pid = AtomicLoad(&owner_pid_, kRelaxed);
    o.start = AtomicLoad(&owner_start_, kRelaxed);
  }
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
