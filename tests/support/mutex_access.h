// Test-only access to a Mutex's storage, to forge what a crash, a reused
// thread id or a corrupt region would leave behind.
#ifndef OSPORT_TESTS_SUPPORT_MUTEX_ACCESS_H_
#define OSPORT_TESTS_SUPPORT_MUTEX_ACCESS_H_

#include <cstdint>

#include "os/internal/atomic_word.h"
#include "os/mutex.h"

namespace osport::os {

struct MutexAccess {
  static std::uint32_t Word(const Mutex& m) { return internal::AtomicLoad(&m.word_, internal::kAcquire); }
  static void SetWord(Mutex& m, std::uint32_t v) { internal::AtomicStore(&m.word_, v, internal::kRelease); }
  static void SetKind(Mutex& m, std::uint32_t v) { m.kind_ = v; }
  static void SetOwnerStart(Mutex& m, std::uint64_t v) {
    internal::AtomicStore(&m.owner_start_, v, internal::kRelaxed);
  }
  static constexpr std::uint32_t kWaitersBit = std::uint32_t{1} << 31;
};

}  // namespace osport::os

#endif  // OSPORT_TESTS_SUPPORT_MUTEX_ACCESS_H_
