// The neutral half of os/mutex.h: its entry points (the uncontended spin
// paths inline), Unlock, the owner and statistics. The protocol is written
// down in os/internal/mutex_word.h; the lock attempts are in mutex_spin.cc and
// mutex_file_kind.cc, the liveness judge in mutex_judge.cc, the messages in
// mutex_report.cc. Platform files supply only the waits and the byte-range
// lock (os/internal/mutex_platform.h) and thread identity (os/thread.h).
#include "os/mutex.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/internal/atomic_word.h"
#include "os/internal/mutex_impl.h"
#include "os/internal/mutex_platform.h"
#include "os/internal/mutex_wait_policy.h"
#include "os/internal/mutex_word.h"
#include "os/thread.h"

namespace osport::os {

using internal::AtomicFetchAnd;
using internal::AtomicLoad;
using internal::kRelaxed;
using internal::kRelease;
using internal::kWaitersBit;
using internal::LowHalf;
using internal::MutexSnapshot;
using internal::TidOf;

using internal::Clock;

absl::Status MutexImpl::Release(Mutex& m, File* file) {
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
  magic_ = MutexImpl::kMagic;
  return absl::OkStatus();
}

absl::Status Mutex::Lock(File* file) {
  // The uncontended spin path: one CAS, three stores and a counter. The CAS
  // expects the word an unlock of the last recorded acquisition left (its
  // generation, no owner, no bits) instead of loading the lock word first: a
  // plain load of the word right before the locked instruction on it costs
  // about 3-5 ns per pair on x86 (bench/README.md), and a wrong guess only
  // fails the CAS, which hands back the real word for a second try.
  if (ABSL_PREDICT_TRUE(magic_ == MutexImpl::kMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin))) {
    // The cached identity, if this thread has one yet; if not, the slow path
    // fills it (or reports that it cannot).
    const ThreadIdentity& self = internal::t_current_thread;
    if (ABSL_PREDICT_FALSE(self.tid == 0)) return MutexImpl::LockSlow(*this, file);
    // relaxed: only a guess at the CAS's expectation; the CAS itself acquires
    // and compares the whole word, generation included.
    std::uint64_t word = internal::AtomicLoad(&owner_tag_, internal::kRelaxed) & internal::kGenerationMask;
    std::uint64_t next = internal::NextAcquisition(word, self.tid);
    if (ABSL_PREDICT_TRUE(internal::AtomicCas(&lock_, &word, next, internal::kAcquire, internal::kRelaxed))) {
      MutexImpl::Record(*this, next, self, false, false);
      return absl::OkStatus();
    }
    if (internal::TidOf(word) == 0) {  // free, but not at the guessed generation
      next = internal::NextAcquisition(word, self.tid);
      if (internal::AtomicCas(&lock_, &word, next, internal::kAcquire, internal::kRelaxed)) {
        MutexImpl::Record(*this, next, self, false, false);
        return absl::OkStatus();
      }
    }
  }
  return MutexImpl::LockSlow(*this, file);
}

absl::Status MutexImpl::LockSlow(Mutex& m, File* file) {
  Mutex::Wait wait;
  return Acquire(m, wait, file);
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
  // The uncontended spin path: the word is the caller's recorded acquisition
  // (its id, no waiters bit; the record its own, so a dead thread's
  // acquisition that carries a reused id is not released) and one CAS
  // releases it. Anything else -- a waiter to wake, the file-lock kind, an
  // error -- goes out of line.
  if (ABSL_PREDICT_TRUE(magic_ == MutexImpl::kMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin))) {
    const ThreadIdentity& self = internal::t_current_thread;  // tid 0 if not cached yet
    // relaxed: if this is our acquisition we wrote the record ourselves; if
    // not, the checks or the CAS fail. The CAS expects the recorded tag, so it
    // succeeds only while the word is exactly that acquisition with no
    // waiters bit (no plain load of the word before it: see Lock).
    std::uint64_t word = internal::AtomicLoad(&owner_tag_, internal::kRelaxed);
    if (ABSL_PREDICT_TRUE(self.tid != 0 && internal::TidOf(word) == self.tid &&
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

absl::Status Mutex::Validate() const { return MutexImpl::Check(*this, nullptr, false); }

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
