// An LD_PRELOAD shim for tests/tool_clock_posix_test.cc: the wall clock
// (CLOCK_REALTIME) steps back one hour once 200 ms of monotonic time have
// passed since the process first read it -- what settimeofday or an NTP step
// does to a running process. Monotonic clocks are left alone. Linux (glibc,
// musl): the real clock_gettime comes from dlsym(RTLD_NEXT). Test-only;
// never linked into osport.
//
// The symbol is named with an asm label rather than by redeclaring
// clock_gettime, whose exception specification differs between C libraries.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1  // RTLD_NEXT (the POSIX-generic cell builds without it)
#endif
#include <dlfcn.h>
#include <time.h>

namespace {

using ClockGettime = int (*)(clockid_t, struct timespec*);

ClockGettime Real() {
  static const ClockGettime real = reinterpret_cast<ClockGettime>(::dlsym(RTLD_NEXT, "clock_gettime"));
  return real;
}

}  // namespace

extern "C" int osport_stepped_clock_gettime(clockid_t id, struct timespec* ts) __asm__("clock_gettime");

extern "C" int osport_stepped_clock_gettime(clockid_t id, struct timespec* ts) {
  static struct timespec first;
  const int rc = Real()(id, ts);
  if (rc != 0 || id != CLOCK_REALTIME) return rc;
  struct timespec mono;
  if (Real()(CLOCK_MONOTONIC, &mono) != 0) return rc;
  if (first.tv_sec == 0 && first.tv_nsec == 0) {
    first = mono;
    return rc;
  }
  const long long elapsed_ms =
      static_cast<long long>(mono.tv_sec - first.tv_sec) * 1000 + (mono.tv_nsec - first.tv_nsec) / 1000000;
  if (elapsed_ms >= 200) ts->tv_sec -= 3600;
  return rc;
}
