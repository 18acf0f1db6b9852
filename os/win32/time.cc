// Implements os/time.h on Win32 with Sleep and SwitchToThread.
#include "os/win32/sys.h"

#include "os/time.h"
#include "os/internal/time_platform.h"

#include <chrono>

#include "os/win32/error.h"

namespace osport::os {

namespace sys = win32::sys;

// Sleep takes milliseconds and may wake a little before a high-resolution
// clock says the time is up; the request is rounded up to whole milliseconds
// and topped up against the steady clock, so a sleep is never early.
absl::Status internal::SleepAtLeast(std::uint64_t secs, std::uint64_t usecs) {
  using Clock = std::chrono::steady_clock;
  constexpr std::uint64_t kMaxSecs = 100ull * 365 * 24 * 3600;  // keeps the clock arithmetic sane
  const auto total = std::chrono::seconds(secs > kMaxSecs ? kMaxSecs : secs) +
                     std::chrono::microseconds(usecs);
  const Clock::time_point deadline = Clock::now() + total;
  for (Clock::duration left = total; left > Clock::duration::zero();
       left = deadline - Clock::now()) {
    const auto us = std::chrono::ceil<std::chrono::microseconds>(left).count();
    const std::uint64_t ms = (static_cast<std::uint64_t>(us) + 999) / 1000;
    // INFINITE is 0xFFFFFFFF: sleep in pieces below it.
    const auto chunk = static_cast<DWORD>(ms < 0xFFFFFFF0u ? ms : 0xFFFFFFF0u);
    if (!sys::Sleep(chunk)) return win32::LastErrorStatus("Sleep (sleep)", "", ::GetLastError());
  }
  return absl::OkStatus();
}

void YieldCpu() { (void)sys::SwitchToThread(); }

}  // namespace osport::os
