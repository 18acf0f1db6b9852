// Implements the thread and byte-lock half of os/win32/sys.h, gated by the
// hook table.
#include "os/win32/sys.h"

namespace osport::os::win32::sys {

DWORD GetCurrentThreadId() { return ::GetCurrentThreadId(); }

HANDLE CurrentThreadHandle() { return ::GetCurrentThread(); }

HANDLE OpenThread(DWORD access, DWORD tid) {
  if (Enter(Op::kProcessInfo).fail) return nullptr;
  return ::OpenThread(access, FALSE, tid);
}

BOOL GetThreadCreationTime(HANDLE thread, FILETIME* created) {
  if (Enter(Op::kProcessInfo).fail) return FALSE;
  FILETIME exited, kernel, user;
  return ::GetThreadTimes(thread, created, &exited, &kernel, &user);
}

DWORD ProcessOfThread(HANDLE thread) {
  if (Enter(Op::kProcessInfo).fail) return 0;
  return ::GetProcessIdOfThread(thread);
}

DWORD PollThread(HANDLE thread) {
  if (Enter(Op::kProcessInfo).fail) return WAIT_FAILED;
  return ::WaitForSingleObject(thread, 0);
}

BOOL LockFileByte(HANDLE h, std::uint64_t offset, bool wait) {
  if (Enter(Op::kLockRange).fail) return FALSE;
  // On a synchronous handle the OVERLAPPED only carries the offset: a
  // waiting lock returns once granted.
  OVERLAPPED at = OverlappedAt(offset);
  const DWORD flags = LOCKFILE_EXCLUSIVE_LOCK | (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY);
  return ::LockFileEx(h, flags, 0, 1, 0, &at);
}

BOOL UnlockFileByte(HANDLE h, std::uint64_t offset) {
  OVERLAPPED at = OverlappedAt(offset);
  if (Enter(Op::kLockRange).fail) {
    // Release the byte anyway, as CloseHandle does: a lock left behind by an
    // injected failure would bar every other handle (and thread) for good,
    // where on POSIX the process's own next lock would just succeed.
    const DWORD saved = ::GetLastError();
    ::UnlockFileEx(h, 0, 1, 0, &at);
    ::SetLastError(saved);
    return FALSE;
  }
  return ::UnlockFileEx(h, 0, 1, 0, &at);
}

}  // namespace osport::os::win32::sys
