// The platform primitive behind os::Sleep; each platform implements it in
// os/<platform>/time.cc. Not a public header.
#ifndef OSPORT_OS_INTERNAL_TIME_PLATFORM_H_
#define OSPORT_OS_INTERNAL_TIME_PLATFORM_H_

#include <cstdint>

#include "absl/status/status.h"

namespace osport::os::internal {

// Sleeps at least `secs` s + `usecs` us; usecs < 1,000,000 and not both 0
// (os::Sleep has normalised them). Never early; resumes after interruptions.
[[nodiscard]] absl::Status SleepAtLeast(std::uint64_t secs, std::uint64_t usecs);

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_TIME_PLATFORM_H_
