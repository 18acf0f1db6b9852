// Implements os/posix/sys_sync.h: the futex (Linux) or _umtx_op (FreeBSD) word
// wait, gettid or thr_self, thr_kill2, where the build has them (os/config.h),
// gated by the hook table.
#include "os/posix/sys_sync.h"

#include <cerrno>

#include "os/posix/sys.h"

#if OSPORT_HAVE_FUTEX
#include <linux/futex.h>
#include <sys/syscall.h>
#elif OSPORT_HAVE_UMTX
// _umtx_op(2), FreeBSD: "int _umtx_op(void *obj, int op, u_long val,
// void *uaddr, void *uaddr2);" with <sys/types.h> and <sys/umtx.h>.
#include <sys/umtx.h>
#endif
#if OSPORT_HAVE_THR_SELF
// thr_self(2), thr_kill(2), FreeBSD: "int thr_self(long *id);",
// "int thr_kill2(pid_t pid, long id, int sig);" in <sys/thr.h>.
#include <sys/thr.h>
#endif
#include <unistd.h>

namespace osport::os::posix::sys {

int WordWait(const std::uint32_t* word, std::uint32_t expected, const struct timespec* timeout) {
  if (Enter(Op::kFutexWait).fail) return -1;
#if OSPORT_HAVE_FUTEX
  return static_cast<int>(::syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, nullptr, 0));
#elif OSPORT_HAVE_UMTX
  // _umtx_op(2): "UMTX_OP_WAIT_UINT  Same as UMTX_OP_WAIT, but the type of the
  // variable pointed to by obj is u_int, i.e. 32-bit integer." UMTX_OP_WAIT:
  // "The current value of the variable pointed to by the obj argument is
  // compared with the val. If they are equal, the requesting thread is put to
  // interruptible sleep until woken up or the optionally specified timeout
  // expires. The comparision and sleep are atomic." The key is "the physical
  // address of some variable [...] same variable mapped multiple times will
  // give one key value": the non-_PRIVATE request selects the process-shared
  // sleep queue for a shared mapping. The timeout: "passing either the
  // address of struct timespec, or its extended variant, struct _umtx_time,
  // as the uaddr2 argument [...] distinguished by the uaddr value, which must
  // be equal to the size of the structure pointed to by uaddr2, casted to
  // uintptr_t"; a plain timespec is relative. "The request is not
  // restartable. An unblocked signal delivered during the wait always results
  // in sleep interruption and EINTR error."
  void* size = timeout != nullptr ? reinterpret_cast<void*>(sizeof(*timeout)) : nullptr;
  return ::_umtx_op(const_cast<std::uint32_t*>(word), UMTX_OP_WAIT_UINT, expected, size,
                    const_cast<struct timespec*>(timeout));
#else
  (void)word;
  (void)expected;
  (void)timeout;
  errno = ENOSYS;
  return -1;
#endif
}

int WordWake(const std::uint32_t* word, int count) {
  if (Enter(Op::kFutexWake).fail) return -1;
#if OSPORT_HAVE_FUTEX
  return static_cast<int>(::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0));
#elif OSPORT_HAVE_UMTX
  // _umtx_op(2): "UMTX_OP_WAKE  Wake the threads possibly sleeping due to
  // UMTX_OP_WAIT. [...] obj  Pointer to a variable, used as a key to find
  // sleeping threads. val  Up to val threads are woken up by this request."
  // UMTX_OP_WAIT_UINT waiters sleep on the same queue ("Same as UMTX_OP_WAIT").
  return ::_umtx_op(const_cast<std::uint32_t*>(word), UMTX_OP_WAKE,
                    static_cast<unsigned long>(count), nullptr, nullptr);
#else
  (void)word;
  (void)count;
  errno = ENOSYS;
  return -1;
#endif
}

std::uint64_t Gettid() {
#if OSPORT_HAVE_GETTID
  return static_cast<std::uint64_t>(::gettid());
#elif OSPORT_HAVE_THR_SELF
  // thr_self(2): "stores the system-wide thread identifier for the current
  // kernel-scheduled thread in the variable pointed by the argument id. The
  // thread identifier is an integer in the range from PID_MAX + 2 (100001)
  // to INT_MAX. The thread identifier is guaranteed to be unique at any given
  // time, for each running thread in the system. After the thread exits, the
  // identifier may be reused." Its only error is EFAULT for a bad pointer.
  long id = 0;
  if (::thr_self(&id) != 0 || id <= 0) return 0;
  return static_cast<std::uint64_t>(id);
#else
  return 0;
#endif
}

int ThreadExists(pid_t pid, std::uint64_t tid) {
  if (Enter(Op::kProcessInfo).fail) return -1;
#if OSPORT_HAVE_THR_SELF
  // thr_kill(2): "For the thr_kill2() function, the pid argument specifies
  // the process with threads to be signalled. [...] only the thread with the
  // thread identifier equal to the argument is signalled. [...] It must be a
  // valid signal number or zero. In the latter case no signal is actually
  // sent, and the call is used to verify the liveness of the thread."
  // Errors: "[ESRCH] The specified process or thread was not found." and, for
  // thr_kill2, "[EPERM] The current process does not have sufficient
  // privilege to check existence or send a signal to the specified process."
  return ::thr_kill2(pid, static_cast<long>(tid), 0);
#else
  (void)pid;
  (void)tid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace osport::os::posix::sys
