// Implements os/posix/sys_sync.h: futex and gettid where the build has them
// (os/config.h), gated by the hook table.
#include "os/posix/sys_sync.h"

#include <cerrno>

#include "os/posix/sys.h"

#if OSPORT_HAVE_FUTEX
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#include <unistd.h>

namespace osport::os::posix::sys {

int FutexWait(const std::uint32_t* word, std::uint32_t expected, const struct timespec* timeout) {
  if (Enter(Op::kFutexWait).fail) return -1;
#if OSPORT_HAVE_FUTEX
  return static_cast<int>(::syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, nullptr, 0));
#else
  (void)word;
  (void)expected;
  (void)timeout;
  errno = ENOSYS;
  return -1;
#endif
}

int FutexWake(const std::uint32_t* word, int count) {
  if (Enter(Op::kFutexWake).fail) return -1;
#if OSPORT_HAVE_FUTEX
  return static_cast<int>(::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0));
#else
  (void)word;
  (void)count;
  errno = ENOSYS;
  return -1;
#endif
}

std::uint32_t Gettid() {
#if OSPORT_HAVE_GETTID
  return static_cast<std::uint32_t>(::gettid());
#else
  return 0;
#endif
}

}  // namespace osport::os::posix::sys
