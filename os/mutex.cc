// The neutral half of os/mutex.h: its out-of-line entry points (the
// uncontended spin paths are inline in os/mutex.h), Unlock's slow path, the
// owner and statistics. The protocol is written down in
// os/internal/mutex_word.h; the lock attempts are in mutex_spin.cc and
// mutex_file_kind.cc, the liveness judge in mutex_judge.cc, the messages in
// mutex_report.cc. Platform files supply only the waits and the byte-range
// lock (os/internal/mutex_platform.h) and thread identity (os/thread.h).
#include "os/mutex.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>

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
  magic_ = internal::kMutexMagic;
  return absl::OkStatus();
}

absl::Status Mutex::LockSlow(File* file) {
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

absl::Status Mutex::UnlockSlow(File* file) { return MutexImpl::Release(*this, file); }

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
