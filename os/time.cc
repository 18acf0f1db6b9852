// The neutral half of os/time.h: the microsecond carry and the zero sleep,
// written once for every platform.
#include "os/time.h"

#include <chrono>

#include "os/internal/time_platform.h"

namespace osport::os {

absl::Status Sleep(std::uint64_t secs, std::uint64_t usecs) {
  secs += usecs / 1'000'000;
  usecs %= 1'000'000;
  if (secs == 0 && usecs == 0) {
    YieldCpu();
    return absl::OkStatus();
  }
  return internal::SleepAtLeast(secs, usecs);
}

absl::Time MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace osport::os
