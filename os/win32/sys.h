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

// Names avoid the A/W macros of <windows.h> (CreateFile, DeleteFile...).

// Files (os/file.h).
HANDLE OpenPath(const wchar_t* path, DWORD access, DWORD share, DWORD disposition,
                  DWORD flags_and_attributes);                                  // kOpen
BOOL CloseHandle(HANDLE h);                                                     // kClose
BOOL ReadFile(HANDLE h, void* buf, DWORD n, DWORD* done);                       // kRead
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
