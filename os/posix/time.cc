// Implements os/time.h on POSIX with nanosleep(2) and sched_yield(2).
#include "os/time.h"
#include "os/internal/time_platform.h"

#include <time.h>

#include <limits>

#include "os/posix/error.h"
#include "os/posix/sys.h"

namespace osport::os {

namespace sys = posix::sys;

absl::Status internal::SleepAtLeast(std::uint64_t secs, std::uint64_t usecs) {
  struct timespec req;
  constexpr auto kMaxSecs = static_cast<std::uint64_t>(std::numeric_limits<time_t>::max());
  req.tv_sec = static_cast<time_t>(secs > kMaxSecs ? kMaxSecs : secs);
  req.tv_nsec = static_cast<long>(usecs * 1000);
  struct timespec rem;
  while (sys::Nanosleep(&req, &rem) != 0) {
    if (errno != EINTR) return posix::ErrnoStatus("nanosleep", "", errno);
    req = rem;
  }
  return absl::OkStatus();
}

void YieldCpu() { (void)sys::SchedYield(); }

}  // namespace osport::os
