// Implements os/win32/sys.h: each Win32 call, gated by the hook table.
#include "os/win32/sys.h"

namespace osport::os::win32::sys {

HANDLE OpenPath(const wchar_t* path, DWORD access, DWORD share, DWORD disposition,
                DWORD flags_and_attributes) {
  if (Enter(Op::kOpen).fail) return INVALID_HANDLE_VALUE;
  // No SECURITY_ATTRIBUTES: the handle is not inheritable.
  return ::CreateFileW(path, access, share, nullptr, disposition, flags_and_attributes, nullptr);
}

BOOL CloseHandle(HANDLE h) {
  if (Enter(Op::kClose).fail) {
    // Release the handle anyway so an injected failure leaks nothing, as
    // the POSIX side does for close(2).
    const DWORD saved = ::GetLastError();
    ::CloseHandle(h);
    ::SetLastError(saved);
    return FALSE;
  }
  return ::CloseHandle(h);
}

BOOL ReadFile(HANDLE h, void* buf, DWORD n, DWORD* done) {
  *done = 0;
  const Gate g = Enter(Op::kRead);
  if (g.fail) return FALSE;
  return ::ReadFile(h, buf, g.shorten ? Shortened(n) : n, done, nullptr);
}

BOOL ReadFileAt(HANDLE h, void* buf, DWORD n, std::uint64_t offset, DWORD* done) {
  *done = 0;
  const Gate g = Enter(Op::kRead);
  if (g.fail) return FALSE;
  // As WriteFileAt: on a synchronous handle the OVERLAPPED only supplies the
  // offset (and the file pointer moves past the transfer).
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return ::ReadFile(h, buf, g.shorten ? Shortened(n) : n, done, &at);
}

BOOL WriteFile(HANDLE h, const void* buf, DWORD n, DWORD* done) {
  *done = 0;
  const Gate g = Enter(Op::kWrite);
  if (g.fail) return FALSE;
  return ::WriteFile(h, buf, g.shorten ? Shortened(n) : n, done, nullptr);
}

BOOL WriteFileAt(HANDLE h, const void* buf, DWORD n, std::uint64_t offset, DWORD* done) {
  *done = 0;
  const Gate g = Enter(Op::kWrite);
  if (g.fail) return FALSE;
  // On a synchronous handle an OVERLAPPED only supplies the offset; the call
  // still completes before returning (and moves the file pointer).
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return ::WriteFile(h, buf, g.shorten ? Shortened(n) : n, done, &at);
}

BOOL SetFilePointerEx(HANDLE h, LARGE_INTEGER distance, LARGE_INTEGER* pos, DWORD method) {
  if (Enter(Op::kSeek).fail) return FALSE;
  return ::SetFilePointerEx(h, distance, pos, method);
}

BOOL GetFileInformationByHandle(HANDLE h, BY_HANDLE_FILE_INFORMATION* info) {
  if (Enter(Op::kStat).fail) return FALSE;
  return ::GetFileInformationByHandle(h, info);
}

DWORD PathAttributes(const wchar_t* path) {
  if (Enter(Op::kStat).fail) return INVALID_FILE_ATTRIBUTES;
  return ::GetFileAttributesW(path);
}

BOOL SetPathAttributes(const wchar_t* path, DWORD attributes) {
  if (Enter(Op::kUnlink).fail) return FALSE;
  return ::SetFileAttributesW(path, attributes);
}

DWORD ClusterSize(const wchar_t* path) {
  if (Enter(Op::kStat).fail) return 0;
  wchar_t root[MAX_PATH + 1];
  if (!::GetVolumePathNameW(path, root, MAX_PATH + 1)) return 0;
  DWORD sectors_per_cluster = 0, bytes_per_sector = 0, free_clusters = 0, clusters = 0;
  if (!::GetDiskFreeSpaceW(root, &sectors_per_cluster, &bytes_per_sector, &free_clusters,
                           &clusters)) {
    return 0;
  }
  return sectors_per_cluster * bytes_per_sector;
}

BOOL DeletePath(const wchar_t* path) {
  if (Enter(Op::kUnlink).fail) return FALSE;
  return ::DeleteFileW(path);
}

BOOL SetEndOfFile(HANDLE h, std::uint64_t size) {
  if (Enter(Op::kTruncate).fail) return FALSE;
  // By handle, without moving the file pointer (ftruncate does not either).
  FILE_END_OF_FILE_INFO info{};
  info.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  return ::SetFileInformationByHandle(h, FileEndOfFileInfo, &info, sizeof info);
}

BOOL SetAllocationSize(HANDLE h, std::uint64_t size) {
  if (Enter(Op::kAllocate).fail) return FALSE;
  FILE_ALLOCATION_INFO info{};
  info.AllocationSize.QuadPart = static_cast<LONGLONG>(size);
  return ::SetFileInformationByHandle(h, FileAllocationInfo, &info, sizeof info);
}

BOOL FlushFileBuffers(HANDLE h) {
  if (Enter(Op::kSync).fail) return FALSE;
  return ::FlushFileBuffers(h);
}

BOOL Sleep(DWORD ms) {
  if (Enter(Op::kSleep).fail) return FALSE;
  ::Sleep(ms);
  return TRUE;
}

BOOL SwitchToThread() {
  if (Enter(Op::kYield).fail) return FALSE;
  return ::SwitchToThread();
}

DWORD GetCurrentProcessId() { return ::GetCurrentProcessId(); }

HANDLE OpenProcess(DWORD access, DWORD pid) {
  if (Enter(Op::kProcessInfo).fail) return nullptr;
  return ::OpenProcess(access, FALSE, pid);
}

BOOL GetProcessCreationTime(HANDLE process, FILETIME* created) {
  if (Enter(Op::kProcessInfo).fail) return FALSE;
  FILETIME exited, kernel, user;
  return ::GetProcessTimes(process, created, &exited, &kernel, &user);
}

DWORD WaitForProcess(HANDLE process, DWORD ms) {
  if (Enter(Op::kWait).fail) return WAIT_FAILED;
  return ::WaitForSingleObject(process, ms);
}

DWORD PollProcess(HANDLE process) {
  if (Enter(Op::kProcessInfo).fail) return WAIT_FAILED;
  return ::WaitForSingleObject(process, 0);
}

BOOL GetExitCodeProcess(HANDLE process, DWORD* code) {
  if (Enter(Op::kWait).fail) return FALSE;
  return ::GetExitCodeProcess(process, code);
}

DWORD ModulePath(wchar_t* buf, DWORD n) {
  if (Enter(Op::kProcessInfo).fail) return 0;
  return ::GetModuleFileNameW(nullptr, buf, n);
}

BOOL CreatePipe(HANDLE* read, HANDLE* write) {
  if (Enter(Op::kSpawn).fail) return FALSE;
  return ::CreatePipe(read, write, nullptr, 0);
}

BOOL DuplicateForChild(HANDLE h, HANDLE* inheritable) {
  if (Enter(Op::kSpawn).fail) return FALSE;
  const HANDLE self = ::GetCurrentProcess();
  return ::DuplicateHandle(self, h, self, inheritable, 0, TRUE, DUPLICATE_SAME_ACCESS);
}

BOOL StartProcess(const wchar_t* application, wchar_t* command_line, STARTUPINFOEXW* startup,
                  PROCESS_INFORMATION* info) {
  if (Enter(Op::kSpawn).fail) return FALSE;
  return ::CreateProcessW(application, command_line, nullptr, nullptr, TRUE,
                          EXTENDED_STARTUPINFO_PRESENT, nullptr, nullptr,
                          &startup->StartupInfo, info);
}

BOOL TerminateProcess(HANDLE process, UINT code) {
  if (Enter(Op::kKill).fail) return FALSE;
  return ::TerminateProcess(process, code);
}

BOOL LockFileRange(HANDLE h, std::uint64_t offset, std::uint64_t len, bool exclusive) {
  if (Enter(Op::kLockRange).fail) return FALSE;
  OVERLAPPED at = OverlappedAt(offset);
  const DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0);
  return ::LockFileEx(h, flags, 0, static_cast<DWORD>(len), static_cast<DWORD>(len >> 32), &at);
}

BOOL UnlockFileRange(HANDLE h, std::uint64_t offset, std::uint64_t len) {
  if (Enter(Op::kLockRange).fail) return FALSE;
  OVERLAPPED at = OverlappedAt(offset);
  return ::UnlockFileEx(h, 0, static_cast<DWORD>(len), static_cast<DWORD>(len >> 32), &at);
}

HANDLE CurrentProcessHandle() { return ::GetCurrentProcess(); }

HANDLE StdError() {
  const HANDLE h = ::GetStdHandle(STD_ERROR_HANDLE);
  return h == INVALID_HANDLE_VALUE ? nullptr : h;
}

BOOL MakeInheritable(HANDLE h) {
  if (Enter(Op::kSpawn).fail) return FALSE;
  return ::SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
}

BOOL InitHandleList(LPPROC_THREAD_ATTRIBUTE_LIST list, SIZE_T* size) {
  return ::InitializeProcThreadAttributeList(list, 1, 0, size);
}

BOOL SetHandleList(LPPROC_THREAD_ATTRIBUTE_LIST list, HANDLE* handles, std::size_t n) {
  return ::UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,
                                     n * sizeof(HANDLE), nullptr, nullptr);
}

void FreeHandleList(LPPROC_THREAD_ATTRIBUTE_LIST list) { ::DeleteProcThreadAttributeList(list); }

}  // namespace osport::os::win32::sys
