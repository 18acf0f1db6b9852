// The spin-wait hint (x86 PAUSE, Arm YIELD): tells the core this is a busy
// wait so a sibling hyperthread or the lock holder gets the pipeline.
// Not a public header.
#ifndef OSPORT_OS_INTERNAL_CPU_RELAX_H_
#define OSPORT_OS_INTERNAL_CPU_RELAX_H_

namespace osport::os::internal {

inline void CpuRelax() {
#if defined(__i386__) || defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  __asm__ __volatile__("" ::: "memory");  // at least re-read the word
#endif
}

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_CPU_RELAX_H_
