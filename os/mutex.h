// Process-shared mutexes stored inside a region: a spin kind (an atomic word,
// with a kernel wait where there is one) and a file-lock kind (a byte-range
// lock on the region file guarding an owner word). Both know their owner and
// report its death to the next locker instead of hanging.
#ifndef OSPORT_OS_MUTEX_H_
#define OSPORT_OS_MUTEX_H_

#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "os/config.h"
#include "os/file.h"
#include "os/internal/mutex_layout.h"
#include "os/thread.h"

namespace osport::os {

enum class MutexKind : std::uint32_t {
  // Test-and-set on the lock word; waiters spin briefly, then sleep in the
  // kernel (Linux futex, shared) or back off with sleeps elsewhere.
  kSpin = 1,
  // The seed's fcntl mutex: a byte-range lock on the byte at the mutex's
  // offset in the region file is held only while testing and setting the owner
  // word, never across the critical section; waiters back off with sleeps
  // (1 ms doubling, the liveness check capped so a death is seen within 1 s).
  // For platforms without usable atomics across processes. Lock and unlock
  // take the region's open backing File.
  kFileLock = 2,
};

// The kind the region header uses in this build (OSPORT_SPINLOCKS). Both kinds
// are always compiled and tested.
inline constexpr MutexKind kRegionMutexKind =
    config::kSpinlocks ? MutexKind::kSpin : MutexKind::kFileLock;

// Per-mutex counters (the seed's mutex_set_nowait / mutex_set_wait).
struct MutexStats {
  std::uint64_t nowait = 0;        // acquired at the first attempt
  std::uint64_t wait = 0;          // acquired after spinning or sleeping
  std::uint64_t owner_deaths = 0;  // acquisitions that took over from a dead
                                   // owner (also counted in nowait or wait)
};

// Who holds the mutex, as recorded in it: one consistent snapshot. pid/start
// are written right after the lock word is taken, so for an instant a new
// owner shows them as 0 (unknown); `held` and `tid` come from the lock word.
struct MutexOwner {
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint64_t start = 0;  // the owner thread's start stamp (os/thread.h)
  bool held = false;
};

// Plain storage placed in shared memory: exactly 64 bytes, 8-aligned,
// trivially copyable, standard layout, the same layout in 32- and 64-bit
// processes. Zero bytes are not a valid mutex: call Init once, before any
// other process uses it.
//
// Owners are threads (os/thread.h): the lock word holds the owner's
// system-wide thread id, so the mutex is never held without a recorded owner.
// Only the holding thread may unlock. Locking a mutex the calling thread
// already holds is an error (EDEADLK), never a self-deadlock.
//
// Owner death: a locker that finds the owner thread gone (or its id reused by
// a thread that started later) takes the mutex over and gets IsOwnerDead;
// a waiter notices within 1 s of the death (an owner that died between taking
// the lock word and writing its record, its id then reused by a live thread,
// within 2 s of the waiter's first look). A takeover succeeds only against the
// very acquisition judged dead, never a later one by a live thread. When the OS cannot say whether
// the owner lives (Linux without /proc, EMFILE...), TryLock returns that
// error; Lock and LockFor keep waiting as for a live owner and ask again
// later (a LockFor timeout then says why). Thread ids are those of the pid
// namespace the processes share; processes in different pid namespaces must
// not share a mutex.
//
// Errors carry an errno (os/error.h): EBUSY held (TryLock), ETIMEDOUT
// (LockFor), EPERM not the holder (Unlock), EDEADLK already held by the
// caller, EINVAL bad arguments or storage that is not an initialised mutex
// (never a crash), and the errno of a failed system call, with its name.
class alignas(8) Mutex {
 public:
  // Zeroes the storage and records `kind` and `offset`: the mutex's byte
  // offset inside the region file, where the file-lock kind takes its
  // byte-range lock (it must fit a signed 64-bit file offset). Unknown kinds
  // are InvalidArgument. Never call Init on a mutex others may be using.
  [[nodiscard]] absl::Status Init(MutexKind kind, std::uint64_t offset);

  // `file` is the region's backing file: required (non-null, open) for
  // kFileLock, ignored for kSpin.
  //
  // Blocks until acquired. OK, or IsOwnerDead (acquired, data suspect).
  // Inline: the uncontended spin acquisition is one CAS and the owner record
  // (see below the class); everything else is out of line.
  [[nodiscard]] absl::Status Lock(File* file = nullptr);
  // Never waits for another owner: Unavailable + EBUSY while it is held by a
  // live owner (a dead owner is taken over: IsOwnerDead).
  [[nodiscard]] absl::Status TryLock(File* file = nullptr);
  // Waits at most `timeout` (up to a few ms late): DeadlineExceeded +
  // ETIMEDOUT when it runs out.
  [[nodiscard]] absl::Status LockFor(absl::Duration timeout, File* file = nullptr);
  // Releases the mutex: FailedPrecondition + EPERM if the calling thread does
  // not hold it. When the kernel wake-up of a waiter fails, the mutex is still
  // released and the error says so; the waiter then notices within its
  // liveness-check interval (at most 250 ms). Inline like Lock.
  [[nodiscard]] absl::Status Unlock(File* file = nullptr);

  // What every entry point checks first, for callers that validate storage
  // they did not write (a region header read from disk): OK, or
  // InvalidArgument + EINVAL when Init never ran on it or it is damaged (an
  // unknown kind, a lock word with reserved bits set), naming the field.
  [[nodiscard]] absl::Status Validate() const;

  [[nodiscard]] MutexKind kind() const;
  // Snapshots for Stat and tools; racy by nature, never torn per field.
  [[nodiscard]] MutexOwner owner() const;
  [[nodiscard]] MutexStats stats() const;

 private:
  friend struct MutexImpl;    // the algorithms, in mutex.cc
  friend struct MutexAccess;  // tests: corrupt or forge fields on purpose
  struct Wait;                // one lock attempt's mode and back-off state

  // The uncontended spin paths (inline, below): true when they did the whole
  // job; false sends the call to the out-of-line path, which starts over.
  bool LockUncontended();
  bool UnlockUncontended();
  // Initialised, and of the spin kind: what both uncontended paths need.
  bool IsInitialisedSpin() const {
    return magic_ == internal::kMutexMagic && kind_ == static_cast<std::uint32_t>(MutexKind::kSpin);
  }
  // The fields the protocol touches (os/internal/mutex_word.h).
  internal::MutexFields Fields() { return {&lock_, &owner_tag_, &owner_pid_, &owner_start_}; }
  // The new holder's owner record and statistic for acquisition `word` (both
  // paths): `counter` is nowait_ or wait_.
  void RecordAcquisition(std::uint64_t word, const ThreadIdentity& self, std::uint64_t* counter) {
    internal::Publish(Fields(), word, self);
    internal::HolderIncrement(counter);
  }
  ABSL_ATTRIBUTE_NOINLINE absl::Status LockSlow(File* file);
  ABSL_ATTRIBUTE_NOINLINE absl::Status UnlockSlow(File* file);

  // Field order fixes the layout: every 64-bit field sits at a multiple of 8
  // so 32-bit x86 (4-byte-aligned uint64_t members) lays it out the same.
  // The protocol over lock_ and the owner record: os/internal/mutex_word.h.
  std::uint64_t lock_;          // generation << 32 | waiters bit | owner tid
  std::uint32_t kind_;          // MutexKind
  std::uint32_t owner_pid_;     // the owner record: process,
  std::uint64_t offset_;        // byte in the region file (kFileLock)
  std::uint64_t owner_tag_;     // the acquisition it is for (generation | tid),
  std::uint64_t owner_start_;   // and the owner thread's start stamp
  std::uint64_t nowait_;        // MutexStats, updated by the holder
  std::uint64_t wait_;
  std::uint32_t owner_deaths_;
  std::uint32_t magic_;         // kMutexMagic once Init ran: garbage is refused
};

// Lock/TryLock/LockFor return this (code kAborted, errno EOWNERDEAD) when the
// previous owner died holding the mutex: the caller NOW HOLDS the mutex, and
// the data it guards may be inconsistent (repair it, or mark the region
// panicked), then Unlock as usual.
[[nodiscard]] bool IsOwnerDead(const absl::Status& status);

// --- The uncontended spin paths, inline ---
// Inline so that a caller's uncontended pair costs the atomic operations and
// the record, not two calls returning absl::Status through memory (10.4 ->
// 7.1 ns a pair on a Zen 3 guest, bench/README.md). They follow the protocol
// in os/internal/mutex_word.h as the out-of-line paths do; anything unusual
// (not initialised, the file-lock kind, this thread's identity not cached
// yet, a held or corrupt word, a waiter to wake) goes out of line.

inline bool Mutex::LockUncontended() {
  if (ABSL_PREDICT_FALSE(!IsInitialisedSpin())) return false;
  // The cached identity, if this thread has one yet; if not, the slow path
  // fills it (or reports that it cannot). Copied before the CAS so that its
  // loads need not wait for the locked instruction (a gain within the noise
  // of bench/README.md's Zen 3 runs, at no cost).
  const ThreadIdentity self = internal::t_current_thread;
  if (ABSL_PREDICT_FALSE(self.tid == 0)) return false;
  // The CAS expects the word an unlock of the last recorded acquisition left
  // (its generation, no owner, no bits) instead of loading the lock word
  // first: a plain load of the word right before the locked instruction on it
  // costs about 3-5 ns per pair on x86 (bench/README.md), and a wrong guess
  // only fails the CAS, which hands back the real word for a second try.
  // relaxed: only a guess at the CAS's expectation; the CAS itself acquires
  // and compares the whole word, generation included.
  std::uint64_t word = internal::AtomicLoad(&owner_tag_, internal::kRelaxed) & internal::kGenerationMask;
  std::uint64_t next = internal::NextAcquisition(word, self.tid);
  // acquire: the previous holder's unlock (release) happens-before our
  // critical section.
  if (ABSL_PREDICT_FALSE(!internal::AtomicCas(&lock_, &word, next, internal::kAcquire, internal::kRelaxed))) {
    // Held, or a reserved bit set (corrupt: refused out of line).
    if ((internal::LowHalf(word) & ~internal::kWaitersBit) != 0) return false;
    // Free, but not at the guessed generation.
    next = internal::NextAcquisition(word, self.tid);
    if (!internal::AtomicCas(&lock_, &word, next, internal::kAcquire, internal::kRelaxed)) return false;
  }
  RecordAcquisition(next, self, &nowait_);
  return true;
}

inline bool Mutex::UnlockUncontended() {
  if (ABSL_PREDICT_FALSE(!IsInitialisedSpin())) return false;
  // The word must be the caller's recorded acquisition (its id, no waiters
  // bit; the record its own, so a dead thread's acquisition that carries a
  // reused id is not released) for one CAS to release it.
  const ThreadIdentity& self = internal::t_current_thread;  // tid 0 if not cached yet
  // relaxed: if this is our acquisition we wrote the record ourselves; if
  // not, the checks or the CAS fail. The CAS expects the recorded tag, so it
  // succeeds only while the word is exactly that acquisition with no waiters
  // bit (no plain load of the word before it: see LockUncontended).
  std::uint64_t word = internal::AtomicLoad(&owner_tag_, internal::kRelaxed);
  if (ABSL_PREDICT_FALSE(self.tid == 0 || internal::TidOf(word) != self.tid ||
                         internal::AtomicLoad(&owner_start_, internal::kRelaxed) != self.start)) {
    return false;
  }
  // release: our critical section happens-before the next acquirer's CAS.
  return internal::AtomicCas(&lock_, &word, word & internal::kGenerationMask, internal::kRelease,
                             internal::kRelaxed);
}

inline absl::Status Mutex::Lock(File* file) {
  if (ABSL_PREDICT_TRUE(LockUncontended())) return absl::OkStatus();
  return LockSlow(file);
}

inline absl::Status Mutex::Unlock(File* file) {
  if (ABSL_PREDICT_TRUE(UnlockUncontended())) return absl::OkStatus();
  return UnlockSlow(file);
}

}  // namespace osport::os

#endif  // OSPORT_OS_MUTEX_H_
