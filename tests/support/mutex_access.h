// Test-only access to a Mutex's storage, to forge what a crash, a reused
// thread id or a corrupt region would leave behind.
#ifndef OSPORT_TESTS_SUPPORT_MUTEX_ACCESS_H_
#define OSPORT_TESTS_SUPPORT_MUTEX_ACCESS_H_

#include <cstdint>

#include "os/internal/atomic_word.h"
#include "os/mutex.h"

namespace osport::os {

struct MutexAccess {
  // The low half of the lock word: owner tid | waiters bit.
  static std::uint32_t Word(const Mutex& m) {
    return static_cast<std::uint32_t>(internal::AtomicLoad(&m.lock_, internal::kAcquire));
  }
  static std::uint64_t FullWord(const Mutex& m) { return internal::AtomicLoad(&m.lock_, internal::kAcquire); }
  // Sets the low half, keeping the generation.
  static void SetWord(Mutex& m, std::uint32_t v) {
    const std::uint64_t w = internal::AtomicLoad(&m.lock_, internal::kRelaxed);
    internal::AtomicStore(&m.lock_, (w & ~std::uint64_t{0xFFFFFFFFu}) | v, internal::kRelease);
  }
  static std::uint32_t Generation(const Mutex& m) { return static_cast<std::uint32_t>(FullWord(m) >> 32); }
  static void SetKind(Mutex& m, std::uint32_t v) { m.kind_ = v; }
  static void SetOwnerStart(Mutex& m, std::uint64_t v) {
    internal::AtomicStore(&m.owner_start_, v, internal::kRelaxed);
  }
  static constexpr std::uint32_t kWaitersBit = std::uint32_t{1} << 31;
};

}  // namespace osport::os

#endif  // OSPORT_TESTS_SUPPORT_MUTEX_ACCESS_H_
