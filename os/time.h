// Sleeping and yielding the CPU.
#ifndef OSPORT_OS_TIME_H_
#define OSPORT_OS_TIME_H_

#include <cstdint>

#include "absl/status/status.h"

namespace osport::os {

// Sleeps `secs` seconds plus `usecs` microseconds (usecs >= 1,000,000 carries
// into seconds), always giving up the CPU, even for 0/0. An interrupted sleep
// resumes for the time left.
[[nodiscard]] absl::Status Sleep(std::uint64_t secs, std::uint64_t usecs);

// Offers the CPU to another runnable thread. (Not named Yield: <windows.h>
// defines Yield() as a macro, and no osport API is named after one.)
void YieldCpu();

}  // namespace osport::os

#endif  // OSPORT_OS_TIME_H_
