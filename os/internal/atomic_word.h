// Atomic access to plain integers that live in shared memory (C++17 has no
// std::atomic_ref, and std::atomic members would make the mutex storage not
// trivially copyable). Not an interface, but installed: os/mutex.h's inline
// uncontended paths use it.
#ifndef OSPORT_OS_INTERNAL_ATOMIC_WORD_H_
#define OSPORT_OS_INTERNAL_ATOMIC_WORD_H_

#include <cstdint>

#if !defined(__GNUC__) && !defined(__clang__)
#error "os/internal/atomic_word.h: add this compiler's atomic intrinsics (MSVC: _Interlocked*)"
#endif

namespace osport::os::internal {

// Orders, named as in std::memory_order.
inline constexpr int kRelaxed = __ATOMIC_RELAXED;
inline constexpr int kAcquire = __ATOMIC_ACQUIRE;
inline constexpr int kRelease = __ATOMIC_RELEASE;

template <typename T>
inline T AtomicLoad(const T* p, int order) {
  return __atomic_load_n(p, order);
}

template <typename T>
inline void AtomicStore(T* p, T v, int order) {
  __atomic_store_n(p, v, order);
}

template <typename T>
inline T AtomicExchange(T* p, T v, int order) {
  return __atomic_exchange_n(p, v, order);
}

// Strong compare-and-swap; on failure *expected receives the current value.
template <typename T>
inline bool AtomicCas(T* p, T* expected, T desired, int success_order, int failure_order) {
  return __atomic_compare_exchange_n(p, expected, desired, false, success_order, failure_order);
}

// Atomically *p &= v; returns the old value.
template <typename T>
inline T AtomicFetchAnd(T* p, T v, int order) {
  return __atomic_fetch_and(p, v, order);
}

// A counter only its lock holder writes: a relaxed load and store, no
// read-modify-write (readers outside the lock see whole values, never torn).
template <typename T>
inline void HolderIncrement(T* p) {
  AtomicStore(p, static_cast<T>(AtomicLoad(p, kRelaxed) + 1), kRelaxed);
}

static_assert(__atomic_always_lock_free(sizeof(std::uint32_t), nullptr),
              "mutex words need lock-free 32-bit atomics");
static_assert(__atomic_always_lock_free(sizeof(std::uint64_t), nullptr),
              "mutex records need lock-free 64-bit atomics");

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_ATOMIC_WORD_H_
