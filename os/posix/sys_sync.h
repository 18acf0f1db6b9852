// The POSIX system calls of the mutex code (the kernel wait on a word, thread
// ids, thread liveness), each behind the hook table like those of
// os/posix/sys.h; byte-range locks and /proc reads reuse sys::Fcntl and
// sys::OpenProc/ReadProc from there.
#ifndef OSPORT_OS_POSIX_SYS_SYNC_H_
#define OSPORT_OS_POSIX_SYS_SYNC_H_

#include <sys/types.h>
#include <time.h>

#include <cstdint>

#include "os/config.h"

namespace osport::os::posix::sys {

// Whether this build has a kernel wait keyed by the address of a 32-bit word,
// usable across processes that map the word: the Linux futex
// (OSPORT_HAVE_FUTEX) or FreeBSD's _umtx_op (OSPORT_HAVE_UMTX). The futex
// wins if a system had both.
inline constexpr bool kHaveFutex = OSPORT_HAVE_FUTEX != 0;
inline constexpr bool kHaveUmtx = !kHaveFutex && OSPORT_HAVE_UMTX != 0;
inline constexpr bool kHaveWordWait = kHaveFutex || kHaveUmtx;
// The calls, as error messages name them.
inline constexpr const char* kWordWaitCall =
    kHaveUmtx ? "_umtx_op(UMTX_OP_WAIT_UINT)" : "futex(FUTEX_WAIT)";
inline constexpr const char* kWordWakeCall =
    kHaveUmtx ? "_umtx_op(UMTX_OP_WAKE)" : "futex(FUTEX_WAKE)";

// Sleeps while *word == expected, at most `timeout` (relative; nullptr = no
// limit). Shared, never the private variants: waiters may be in other
// processes. Linux: FUTEX_WAIT (not FUTEX_PRIVATE_FLAG). FreeBSD:
// UMTX_OP_WAIT_UINT (not _PRIVATE). Op::kFutexWait. 0 when woken (FreeBSD:
// also when the word already differed); -1 with errno EAGAIN (Linux: the
// word differed), ETIMEDOUT, EINTR, or a real error. Without a word wait: -1
// with ENOSYS.
int WordWait(const std::uint32_t* word, std::uint32_t expected, const struct timespec* timeout);

// Wakes up to `count` waiters on `word` (FUTEX_WAKE / UMTX_OP_WAKE, shared).
// Op::kFutexWake. >= 0 on success (Linux: the number woken; FreeBSD: 0), or
// -1 with errno. Without a word wait: -1 with ENOSYS.
int WordWake(const std::uint32_t* word, int count);

// The calling thread's system-wide id: gettid (OSPORT_HAVE_GETTID), else
// FreeBSD's thr_self (OSPORT_HAVE_THR_SELF). Cannot fail; no hook, like
// sys::Getpid. Without either: 0 (no such id). May exceed 2^30 on FreeBSD
// (the man page promises only INT_MAX): the caller checks.
std::uint64_t Gettid();

// FreeBSD (OSPORT_HAVE_THR_SELF): thr_kill2(pid, tid, 0), "used to verify
// the liveness of the thread" `tid` of process `pid`. Op::kProcessInfo. 0 when
// it runs; -1 with errno ESRCH (no such process or thread), EPERM (no
// privilege to check), or an injected error. Elsewhere: -1 with ENOSYS.
int ThreadExists(pid_t pid, std::uint64_t tid);

}  // namespace osport::os::posix::sys

#endif  // OSPORT_OS_POSIX_SYS_SYNC_H_
