// Sleeping and yielding the CPU.
#ifndef OSPORT_OS_TIME_H_
#define OSPORT_OS_TIME_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace osport::os {

// Sleeps `secs` seconds plus `usecs` microseconds (usecs >= 1,000,000 carries
// into seconds), always giving up the CPU, even for 0/0. An interrupted sleep
// resumes for the time left.
[[nodiscard]] absl::Status Sleep(std::uint64_t secs, std::uint64_t usecs);

// Now on the monotonic clock (std::chrono::steady_clock: CLOCK_MONOTONIC,
// QueryPerformanceCounter), as an absl::Time so that deadlines can be written
// with absl::Duration. Only differences and comparisons between two values
// of MonotonicNow() mean anything (the epoch is arbitrary: never format it
// as a date or compare it with absl::Now()). Deadlines use it so that a
// step of the wall clock (settimeofday, NTP) neither stretches a bounded
// wait by the size of the step nor cuts it short (review 10: a backward
// step of an hour made a 3 s attach timeout wait until the holder left).
[[nodiscard]] absl::Time MonotonicNow();

// Offers the CPU to another runnable thread. (Not named Yield: <windows.h>
// defines Yield() as a macro, and no osport API is named after one.)
void YieldCpu();

}  // namespace osport::os

#endif  // OSPORT_OS_TIME_H_
