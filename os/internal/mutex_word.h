// The lock word and owner record of os/mutex.h, and the protocol that keeps a
// takeover exact. Neutral; used by os/mutex*.cc, and through mutex_layout.h
// by the inline uncontended paths of os/mutex.h. Not a public header.
//
// THE PROTOCOL (both kinds; checked by models/mutex.pml, see ci/model-check)
// The word's layout and the record's write side (Publish) are in
// mutex_layout.h, which os/mutex.h includes for its inline uncontended paths.
//
// lock_ is one 64-bit word: generation (bits 32-63) | waiters bit (31) |
// reserved bit (30, never set) | owner thread id (0-29; 0 = free). Its low
// half is the 32-bit futex word of the spin kind.
//  - Every acquisition (free word, or takeover of a dead owner) is a CAS that
//    sets generation + 1, so two acquisitions never have the same word (until
//    the 32-bit generation wraps: 2^32 acquisitions between one waiter's look
//    and its CAS). A takeover CAS expects the exact word whose owner was judged
//    dead, so it can succeed only against that acquisition: if the owner
//    unlocked and anybody (even the same thread) locked again, it fails.
//  - Unlock clears tid and waiters bit and keeps the generation.
//  - Right after its CAS the new holder writes the owner record: pid, start
//    stamp, then tag = generation << 32 | tid (release). The record belongs to
//    the acquisition whose word has that tag.
//  - A reader takes a snapshot like a seqlock: word (acquire), tag (acquire,
//    pairs with the holder's release: a matching tag brings that holder's pid
//    and stamp), pid, stamp, acquire fence, word again. If the word's tag
//    changed (a new acquisition) the snapshot is dropped and taken again; if
//    not, every value read belongs to that one acquisition or to an older one
//    (the holder's release fence before its record stores guarantees that a
//    reader who sees any of a NEWER holder's record values also sees the newer
//    word in its re-read), and "tag == word's tag" says which.
//  - Liveness is judged from that snapshot only: recorded -> the thread
//    (pid, tid, start) must run; unrecorded -> no thread with that tid runs
//    means dead; a thread with that tid runs, but the record has not appeared
//    for kUnrecordedDeadline of this waiter's watching -> dead (the owner died
//    between its CAS and its record and the id was reused; a live owner writes
//    its record a few instructions after the CAS).
//  - A word naming the caller's own tid is the caller's (EDEADLK) only when
//    the record is there with the caller's pid and start stamp; otherwise the
//    acquisition is a dead thread's whose id the caller now has: take over.
//  - Waiters bit (spin kind, futex): set (CAS) by a thread about to sleep;
//    an acquisition by a thread that slept keeps it set (free word or
//    takeover), so its unlock wakes the next sleeper; a LockFor that leaves
//    without the mutex after sleeping wakes one sleeper (it may have consumed
//    the unlocker's wake).
#ifndef OSPORT_OS_INTERNAL_MUTEX_WORD_H_
#define OSPORT_OS_INTERNAL_MUTEX_WORD_H_

#include <atomic>
#include <cstdint>

#include "os/config.h"
#include "os/internal/atomic_word.h"
#include "os/internal/mutex_layout.h"
#include "os/mutex.h"
#include "os/thread.h"

namespace osport::os::internal {

// Corrupt: the reserved bit is set, or the owner id is beyond this platform's
// thread ids (os::config::kThreadIdMax; a garbage word is not a dead owner to
// take over from). A word with the waiters bit alone is not corrupt.
static_assert(config::kThreadIdMax <= kTidMask, "thread ids must fit the lock word");
[[nodiscard]] constexpr bool WordCorrupt(std::uint64_t word) {
  return (static_cast<std::uint32_t>(word) & kReservedBit) != 0 ||
         (static_cast<std::uint32_t>(word) & kTidMask) > config::kThreadIdMax;
}

// The futex half of the lock word is its low 32 bits, wherever they lie.
inline constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// One consistent view of the current acquisition and its owner record.
struct MutexSnapshot {
  std::uint64_t word = 0;   // the lock word (its tag is stable over the read)
  bool recorded = false;    // owner.pid/start are this acquisition's
  ThreadIdentity owner;     // tid always; pid and start when recorded
};

// Takes a snapshot (see the protocol above). False when acquisitions kept
// changing the word over `tries` attempts: the caller looks again later.
[[nodiscard]] inline bool ReadSnapshot(const MutexFields& f, MutexSnapshot* out, int tries = 4) {
  for (int i = 0; i < tries; ++i) {
    // acquire: pairs with the CAS that made this acquisition (whose release
    // fence precedes the record), so the record read next is not older than
    // the state the acquisition was made in.
    const std::uint64_t word = AtomicLoad(f.lock, kAcquire);
    // acquire: pairs with Publish's release store; a tag equal to the word's
    // brings that holder's pid and start stamp with it.
    const std::uint64_t tag = AtomicLoad(f.tag, kAcquire);
    // relaxed: validated by the fence and re-read below (seqlock read side).
    const std::uint32_t pid = AtomicLoad(f.pid, kRelaxed);
    const std::uint64_t start = AtomicLoad(f.start, kRelaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    // relaxed: after the acquire fence, this load sees any acquisition whose
    // record values were read above (fence-fence synchronisation with
    // Publish's release fence).
    const std::uint64_t again = AtomicLoad(f.lock, kRelaxed);
    if (TagOf(again) != TagOf(word)) continue;
    out->word = again;
    out->owner = ThreadIdentity{};
    out->owner.tid = TidOf(word);
    out->recorded = TidOf(word) != 0 && tag == TagOf(word);
    if (out->recorded) {
      out->owner.pid = pid;
      out->owner.start = start;
    }
    return true;
  }
  return false;
}

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_MUTEX_WORD_H_
