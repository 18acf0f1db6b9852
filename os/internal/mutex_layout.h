// The lock word's layout and the holder's owner record (the write side of
// the protocol in os/internal/mutex_word.h), for the inline uncontended paths
// of os/mutex.h. Installed with the public headers because os/mutex.h
// includes it; not an interface: nothing here is for callers.
#ifndef OSPORT_OS_INTERNAL_MUTEX_LAYOUT_H_
#define OSPORT_OS_INTERNAL_MUTEX_LAYOUT_H_

#include <atomic>
#include <cstdint>

#include "os/internal/atomic_word.h"
#include "os/thread.h"

namespace osport::os::internal {

// "osM2": Mutex::Init ran (layout 2: 64-bit lock word).
inline constexpr std::uint32_t kMutexMagic = 0x324d736f;

// lock_ = generation (bits 32-63) | waiters bit (31) | reserved bit (30, never
// set) | owner thread id (0-29; 0 = free).
inline constexpr std::uint32_t kTidMask = kMaxThreadId;
inline constexpr std::uint32_t kReservedBit = std::uint32_t{1} << 30;
inline constexpr std::uint32_t kWaitersBit = std::uint32_t{1} << 31;
static_assert((kTidMask & (kReservedBit | kWaitersBit)) == 0, "owner bits overlap flag bits");
inline constexpr std::uint64_t kLowHalf = 0xFFFFFFFFu;
inline constexpr std::uint64_t kGenerationMask = ~kLowHalf;

[[nodiscard]] constexpr std::uint32_t LowHalf(std::uint64_t word) { return static_cast<std::uint32_t>(word); }
[[nodiscard]] constexpr std::uint32_t TidOf(std::uint64_t word) { return LowHalf(word) & kTidMask; }
[[nodiscard]] constexpr std::uint32_t GenerationOf(std::uint64_t word) {
  return static_cast<std::uint32_t>(word >> 32);
}
// Which acquisition a word is: generation and owner, without the waiters bit.
[[nodiscard]] constexpr std::uint64_t TagOf(std::uint64_t word) {
  return word & (kGenerationMask | kTidMask);
}
// The word of the acquisition that follows `observed`, with `low` = tid | bits.
[[nodiscard]] constexpr std::uint64_t NextAcquisition(std::uint64_t observed, std::uint32_t low) {
  return (std::uint64_t{GenerationOf(observed) + 1u} << 32) | low;
}

// The mutex fields the protocol touches.
struct MutexFields {
  std::uint64_t* lock;
  std::uint64_t* tag;
  std::uint32_t* pid;
  std::uint64_t* start;
};

// The new holder's record of its acquisition `word`.
inline void Publish(const MutexFields& f, std::uint64_t word, const ThreadIdentity& self) {
  // release fence: seqlock write side. A reader that reads any record value
  // stored below must, after its acquire fence, see `word` (or a later one) in
  // the lock word, so it never pairs an older word with this record.
  std::atomic_thread_fence(std::memory_order_release);
  AtomicStore(f.pid, self.pid, kRelaxed);      // relaxed: published by the tag
  AtomicStore(f.start, self.start, kRelaxed);  // relaxed: published by the tag
  // release: whoever reads this tag also reads the pid and start above.
  AtomicStore(f.tag, TagOf(word), kRelease);
}

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_MUTEX_LAYOUT_H_
