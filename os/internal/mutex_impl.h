// The neutral algorithms of os/mutex.h, as one friend of Mutex whose parts
// live in the files named beside them. The protocol they follow is written
// down once, in os/internal/mutex_word.h. Used by os/mutex*.cc only; not a
// public header.
#ifndef OSPORT_OS_INTERNAL_MUTEX_IMPL_H_
#define OSPORT_OS_INTERNAL_MUTEX_IMPL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "os/file.h"
#include "os/internal/atomic_word.h"
#include "os/internal/mutex_platform.h"
#include "os/internal/mutex_wait_policy.h"
#include "os/internal/mutex_word.h"
#include "os/mutex.h"
#include "os/thread.h"

namespace osport::os {

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

  // --- The fields, the record, the wake ---

  static internal::MutexFields Fields(const Mutex& m) {
    return const_cast<Mutex&>(m).Fields();  // ReadSnapshot only loads
  }

  // The low half of the lock word: the futex word of the spin kind.
  static std::uint32_t* FutexWord(Mutex& m) {
    return reinterpret_cast<std::uint32_t*>(&m.lock_) + (internal::kLittleEndian ? 0 : 1);
  }

  // Whether the snapshot's acquisition is the calling thread's own.
  static bool IsMine(const internal::MutexSnapshot& s, const ThreadIdentity& self) {
    return s.owner.tid == self.tid && s.recorded && s.owner.pid == self.pid &&
           s.owner.start == self.start;
  }

  // Called by the new holder right after the CAS that made acquisition `word`.
  static void Record(Mutex& m, std::uint64_t word, const ThreadIdentity& self, bool waited,
                     bool owner_died) {
    m.RecordAcquisition(word, self, waited ? &m.wait_ : &m.nowait_);
    if (ABSL_PREDICT_FALSE(owner_died)) internal::HolderIncrement(&m.owner_deaths_);
  }

  // A lock attempt that slept in the kernel and leaves without the mutex may
  // have consumed the wake-up an unlocker meant for the next sleeper: pass it
  // on. Best effort: should the wake fail, the sleeper still re-checks within
  // its liveness interval, and the caller's own status says more.
  static void PassWake(Mutex& m, bool slept) {
    if (slept) (void)internal::WakeWord(FutexWord(m));
  }

  // --- Messages and checks (mutex_report.cc) ---

  static std::string Name(const Mutex& m);
  // "thread 123 of process 120", or "thread 123" when the record is not (yet)
  // this owner's.
  static std::string OwnerText(const internal::MutexSnapshot& s);
  static std::string OwnerText(const Mutex& m, std::uint64_t word);
  // The checks every entry point makes; cheap enough for the slow paths.
  static absl::Status Check(const Mutex& m, const File* file, bool need_file);
  static absl::Status CorruptWord(const Mutex& m, std::uint64_t word);
  static absl::Status Busy(const Mutex& m, std::uint64_t word);
  static absl::Status Timeout(const Mutex& m, const Mutex::Wait& wait, std::uint64_t word);
  static absl::Status SelfDeadlock(const Mutex& m);
  // The calling thread's start stamp could not be read just now
  // (CurrentThreadKnown): not locked, retry (Unavailable, EAGAIN).
  static absl::Status UnknownSelf(const Mutex& m);
  static absl::Status OwnerDied(const Mutex& m, const std::string& previous);

  // --- The liveness judge (mutex_judge.cc) ---

  static absl::StatusOr<bool> OwnerAlive(const Mutex& m, Mutex::Wait& wait,
                                         const internal::MutexSnapshot& s,
                                         internal::Clock::time_point now);
  static absl::StatusOr<bool> OwnerGone(const Mutex& m, Mutex::Wait& wait,
                                        const internal::MutexSnapshot& s,
                                        internal::Clock::time_point now);
  // What to do about an acquisition that is not free: kWait for a live owner;
  // kTake to take a dead owner's over (snapshot in *s); kSelf when it is the
  // caller's; kRetry when the word changed under the snapshot.
  enum class Verdict { kWait, kTake, kSelf, kRetry };
  static absl::StatusOr<Verdict> Judge(const Mutex& m, Mutex::Wait& wait, const ThreadIdentity& self,
                                       std::uint64_t word, bool check_due,
                                       internal::Clock::time_point now, internal::MutexSnapshot* s);

  // --- Lock attempts (mutex_spin.cc, mutex_file_kind.cc) ---

  // The slow path of Lock, TryLock and LockFor: checks, then the kind's attempt.
  static absl::Status Acquire(Mutex& m, Mutex::Wait& wait, File* file);
  static absl::Status AcquireSpin(Mutex& m, Mutex::Wait& wait, bool* slept_out);
  static absl::Status AcquireFileLock(Mutex& m, Mutex::Wait& wait, File& file);

  // --- Unlock's slow path (mutex.cc); Lock's is Mutex::LockSlow ---

  static absl::Status Release(Mutex& m, File* file);
};

}  // namespace osport::os

#endif  // OSPORT_OS_INTERNAL_MUTEX_IMPL_H_
