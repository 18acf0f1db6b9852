// The Win32 calls of the os layer, each behind the hook table: the only place
// in os/win32 that calls the system directly. Each returns what the real call
// returns and sets the last error the same way, so callers cannot tell an
// injected failure from a real one. Internal header: it includes <windows.h>.
#ifndef OSPORT_OS_WIN32_SYS_H_
#define OSPORT_OS_WIN32_SYS_H_

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <cstddef>
#include <cstdint>

#include "os/hooks.h"
#include "os/win32/error.h"

namespace osport::os::win32::sys {

// The outcome of consulting the hook for one call.
struct Gate {
  bool fail = false;     // return the failure value; the last error is set
  bool shorten = false;  // transfer fewer bytes
};

// kFail sets a Win32 code that the error bridge maps back to the same errno.
// kInterrupt proceeds: Win32 calls are not interrupted by signals, so there
// is nothing to retry.
inline Gate Enter(Op op) {
  const HookResult r = internal::CheckHook(op);
  switch (r.action) {
    case HookResult::Action::kProceed:
    case HookResult::Action::kInterrupt: return {};
    case HookResult::Action::kFail: ::SetLastError(NativeError(r.error)); return {true, false};
    case HookResult::Action::kShort: return {false, true};
  }
  return {};
}

// Half of n, at least 1: what a short transfer moves.
inline DWORD Shortened(DWORD n) { return n > 1 ? n / 2 : n; }

// An OVERLAPPED naming a 64-bit file offset, as LockFileEx / UnlockFileEx
// take their range start.
inline OVERLAPPED OverlappedAt(std::uint64_t offset) {
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(offset);
  at.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return at;
}

// Names avoid the A/W macros of <windows.h> (CreateFile, DeleteFile...).

// Files (os/file.h).
HANDLE OpenPath(const wchar_t* path, DWORD access, DWORD share, DWORD disposition,
                  DWORD flags_and_attributes);                                  // kOpen
BOOL CloseHandle(HANDLE h);                                                     // kClose
BOOL ReadFile(HANDLE h, void* buf, DWORD n, DWORD* done);                       // kRead
BOOL ReadFileAt(HANDLE h, void* buf, DWORD n, std::uint64_t offset, DWORD* done); // kRead
BOOL WriteFile(HANDLE h, const void* buf, DWORD n, DWORD* done);                // kWrite
BOOL WriteFileAt(HANDLE h, const void* buf, DWORD n, std::uint64_t offset,
                 DWORD* done);                                                  // kWrite
BOOL SetFilePointerEx(HANDLE h, LARGE_INTEGER distance, LARGE_INTEGER* pos,
                      DWORD method);                                            // kSeek
BOOL GetFileInformationByHandle(HANDLE h, BY_HANDLE_FILE_INFORMATION* info);    // kStat
DWORD PathAttributes(const wchar_t* path);                                   // kStat
BOOL SetPathAttributes(const wchar_t* path, DWORD attributes);                  // kUnlink
DWORD ClusterSize(const wchar_t* path);  // 0 if unknown                        // kStat
BOOL DeletePath(const wchar_t* path);                                           // kUnlink
BOOL SetEndOfFile(HANDLE h, std::uint64_t size);                                // kTruncate
BOOL SetAllocationSize(HANDLE h, std::uint64_t size);                           // kAllocate
BOOL FlushFileBuffers(HANDLE h);                                                // kSync

// Time (os/time.h).
BOOL Sleep(DWORD ms);  // FALSE only when a hook fails it                       // kSleep
BOOL SwitchToThread();                                                          // kYield

// Processes (os/process.h).
DWORD GetCurrentProcessId();  // cannot fail: no hook
HANDLE OpenProcess(DWORD access, DWORD pid);                                    // kProcessInfo
BOOL GetProcessCreationTime(HANDLE process, FILETIME* created);                 // kProcessInfo
DWORD WaitForProcess(HANDLE process, DWORD ms);  // WAIT_FAILED on error        // kWait
DWORD PollProcess(HANDLE process);  // zero-timeout wait for liveness           // kProcessInfo
BOOL GetExitCodeProcess(HANDLE process, DWORD* code);                           // kWait
DWORD ModulePath(wchar_t* buf, DWORD n);                                 // kProcessInfo
BOOL CreatePipe(HANDLE* read, HANDLE* write);  // not inheritable               // kSpawn
BOOL DuplicateForChild(HANDLE h, HANDLE* inheritable);                          // kSpawn
BOOL StartProcess(const wchar_t* application, wchar_t* command_line,
                   STARTUPINFOEXW* startup, PROCESS_INFORMATION* info);         // kSpawn
BOOL TerminateProcess(HANDLE process, UINT code);                               // kKill

// Memory (os/map.h), in sys_map.cc. `file` INVALID_HANDLE_VALUE: a
// paging-file section. Sections and views are never inheritable.
HANDLE CreateSection(HANDLE file, SECURITY_ATTRIBUTES* security, std::uint64_t size,
                     const wchar_t* name);                                      // kShmCreate
HANDLE OpenSection(const wchar_t* name, bool read_only = false);                 // kShmCreate
void* MapView(HANDLE section, std::size_t size, bool read_only = false);  // 0: whole // kMap
BOOL UnmapView(const void* addr);                                               // kUnmap
void* AllocatePages(std::size_t size);  // VirtualAlloc, committed               // kMap
BOOL FreePages(void* addr);             // VirtualFree(MEM_RELEASE)             // kUnmap
SIZE_T ViewSize(const void* addr);      // VirtualQuery; 0 on failure           // kStat

// A security descriptor whose DACL admits only the user of this process's
// token (never a NULL DACL, which would admit everyone). Self-contained: the
// pointers in `attributes` point into the struct, so do not copy or move it.
struct OwnerOnlySecurity {
  SECURITY_ATTRIBUTES attributes;
  SECURITY_DESCRIPTOR descriptor;
  alignas(8) unsigned char user[256];  // TOKEN_USER + SID (a SID is <= 68 bytes)
  alignas(8) unsigned char acl[256];   // ACL header + one ACCESS_ALLOWED_ACE
};
BOOL InitOwnerOnlySecurity(OwnerOnlySecurity* s);  // token queries             // kShmCreate

// Threads (os/thread.h), in sys_thread.cc.
DWORD GetCurrentThreadId();  // cannot fail: no hook
HANDLE CurrentThreadHandle();  // the pseudo-handle; never closed
HANDLE OpenThread(DWORD access, DWORD tid);                                     // kProcessInfo
BOOL GetThreadCreationTime(HANDLE thread, FILETIME* created);                   // kProcessInfo
DWORD ProcessOfThread(HANDLE thread);  // 0 on failure                          // kProcessInfo
DWORD PollThread(HANDLE thread);  // zero-timeout wait: WAIT_OBJECT_0 = ended   // kProcessInfo

// Byte-range locks (the file-lock mutex), in sys_thread.cc.
BOOL LockFileByte(HANDLE h, std::uint64_t offset, bool wait);                   // kLockRange
BOOL UnlockFileByte(HANDLE h, std::uint64_t offset);                            // kLockRange

// Byte-range locks of any length (the region's liveness locks), in sys.cc.
BOOL LockFileRange(HANDLE h, std::uint64_t offset, std::uint64_t len, bool exclusive);  // kLockRange, never waits
BOOL UnlockFileRange(HANDLE h, std::uint64_t offset, std::uint64_t len);                // kLockRange

// Bookkeeping with no OS resource behind it: not hooked.
HANDLE CurrentProcessHandle();  // the pseudo-handle; never closed
HANDLE StdError();              // nullptr when there is none
BOOL MakeInheritable(HANDLE h);                                                 // kSpawn
// A one-entry attribute list naming the only handles a child may inherit.
BOOL InitHandleList(LPPROC_THREAD_ATTRIBUTE_LIST list, SIZE_T* size);  // list may be null: size query
BOOL SetHandleList(LPPROC_THREAD_ATTRIBUTE_LIST list, HANDLE* handles, std::size_t n);
void FreeHandleList(LPPROC_THREAD_ATTRIBUTE_LIST list);

}  // namespace osport::os::win32::sys

#endif  // OSPORT_OS_WIN32_SYS_H_
