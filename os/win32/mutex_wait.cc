// Implements the word-wait half of os/internal/mutex_platform.h on Win32.
// Windows has no wait on a memory word that crosses processes
// (WaitOnAddress only wakes threads of the waker's own process), so waiters
// sleep for the time the caller's back-off gives and unlockers wake no one.
#include "os/internal/mutex_platform.h"
#include "os/time.h"

namespace osport::os::internal {

bool HaveNativeWordWait() { return false; }

absl::Status WaitWord(const std::uint32_t* word, std::uint32_t expected, absl::Duration max_wait) {
  (void)word;
  (void)expected;
  const std::int64_t us = absl::ToInt64Microseconds(max_wait);
  return Sleep(static_cast<std::uint64_t>(us / 1000000), static_cast<std::uint64_t>(us % 1000000));
}

absl::Status WakeWord(const std::uint32_t* word) {
  (void)word;
  return absl::OkStatus();
}

}  // namespace osport::os::internal
