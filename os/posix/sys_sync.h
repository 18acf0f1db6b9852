// The POSIX system calls of the mutex code (futex, thread id), each behind the
// hook table like those of os/posix/sys.h; byte-range locks and /proc reads
// reuse sys::Fcntl and sys::OpenProc/ReadProc from there.
#ifndef OSPORT_OS_POSIX_SYS_SYNC_H_
#define OSPORT_OS_POSIX_SYS_SYNC_H_

#include <sys/types.h>
#include <time.h>

#include <cstdint>

#include "os/config.h"

namespace osport::os::posix::sys {

// Whether this build has a futex: a kernel wait keyed by the address of a
// 32-bit word, usable across processes that map the word (OSPORT_HAVE_FUTEX).
inline constexpr bool kHaveFutex = OSPORT_HAVE_FUTEX != 0;

// FUTEX_WAIT (shared, not FUTEX_PRIVATE_FLAG: waiters may be in other
// processes): sleeps while *word == expected, at most `timeout` (relative;
// nullptr = no limit). Op::kFutexWait. 0 when woken; -1 with errno EAGAIN
// (the word differed), ETIMEDOUT, EINTR, or a real error. Without a futex:
// -1 with ENOSYS.
int FutexWait(const std::uint32_t* word, std::uint32_t expected, const struct timespec* timeout);

// FUTEX_WAKE (shared): wakes up to `count` waiters on `word`. Op::kFutexWake.
// The number woken, or -1 with errno. Without a futex: -1 with ENOSYS.
int FutexWake(const std::uint32_t* word, int count);

// The calling thread's system-wide id (gettid, OSPORT_HAVE_GETTID). Cannot
// fail; no hook, like sys::Getpid. Without gettid: 0 (no such id).
std::uint32_t Gettid();

}  // namespace osport::os::posix::sys

#endif  // OSPORT_OS_POSIX_SYS_SYNC_H_
