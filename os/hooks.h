// The hook table: every system call the os layer makes passes one decision
// point here first, so tests can make the Nth call of an operation fail, be
// interrupted, transfer short, or pause (the seed's db_jump_set, made neutral).
#ifndef OSPORT_OS_HOOKS_H_
#define OSPORT_OS_HOOKS_H_

#include <atomic>
#include <cstdint>
#include "absl/strings/string_view.h"

#include "absl/base/optimization.h"

namespace osport::os {

// The operations the os layer performs, named neutrally. Each platform maps its
// own system calls onto these (POSIX open(2) and Win32 CreateFileW are both
// kOpen), so one test drives the same fault on every platform.
enum class Op : std::uint8_t {
  kOpen,        // open / CreateFileW
  kClose,       // close / CloseHandle
  kRead,        // read / ReadFile
  kWrite,       // write / WriteFile
  kSeek,        // lseek / SetFilePointerEx
  kStat,        // fstat, stat / GetFileInformationByHandle
  kUnlink,      // unlink / DeleteFileW
  kAllocate,    // posix_fallocate / SetFileInformationByHandle
  kTruncate,    // ftruncate / SetEndOfFile
  kSync,        // fsync / FlushFileBuffers
  kSleep,       // nanosleep / Sleep
  kYield,       // sched_yield / SwitchToThread
  kLockRange,   // fcntl(F_SETLK*) / LockFileEx, UnlockFileEx
  kFutexWait,   // futex(FUTEX_WAIT), _umtx_op(UMTX_OP_WAIT_UINT) / WaitOnAddress-like waits
  kFutexWake,   // futex(FUTEX_WAKE), _umtx_op(UMTX_OP_WAKE)
  kMap,         // mmap, shmat / MapViewOfFile
  kUnmap,       // munmap, shmdt / UnmapViewOfFile
  kAdvise,      // madvise
  kShmCreate,   // shmget, shm_open / CreateFileMappingW
  kShmRemove,   // shmctl(IPC_RMID), shm_unlink
  kProcessInfo, // kill(pid, 0), /proc reads, thr_kill2(pid, tid, 0) / OpenProcess, GetProcessTimes
  kSpawn,       // pipe, fork, execv / CreatePipe, CreateProcessW
  kWait,        // waitpid / WaitForSingleObject
  kKill,        // kill(SIGKILL) / TerminateProcess
  kListDir,     // opendir, readdir / FindFirstFileW
  kRename,      // renameat / MoveFileExW
  kLink,        // linkat / CreateHardLinkW
  kCount
};

// "open", "read"... for messages and test names.
[[nodiscard]] absl::string_view OpName(Op op);

// What the hook decides for one call.
struct HookResult {
  enum class Action : std::uint8_t {
    kProceed,    // make the real call
    kFail,       // do not make it; fail with `error` (a portable errno)
    kInterrupt,  // fail with EINTR where the platform has it (the os layer
                 // retries); proceed where it has not (Win32)
    kShort,      // for read/write: transfer at most half the bytes (at least 1)
  };
  Action action = Action::kProceed;
  int error = 0;
};

// A hook sees every operation before it is made. It may block (to pause a
// process at a chosen point) and must be thread-safe: os calls come from any
// thread. It must not make os-layer calls of its own.
using HookFn = HookResult (*)(Op op, void* context);

// Installs `fn` (nullptr removes it) for the whole process; returns nothing
// because hooks do not nest: the fault-injection helpers own the slot while
// they live. Install before starting threads that make os calls, remove after
// they finish.
void InstallHook(HookFn fn, void* context);

// What an observer is told about: a named system object (SysV segment, POSIX
// shm object) that this process's os layer has just created.
enum class ObjectEvent : std::uint8_t { kCreated };

// An observer hears, after the fact, of each named system object the os layer
// made in this process, under the system's own name: "sysv:<shmid>",
// "posix:<shm name>". Unlike a hook it cannot change anything; it exists so
// a caller (a test's leak check, a diagnostic log) can attribute objects to
// the process that made them instead of scanning the whole host. It runs on
// the creating thread right after the system call returns, before any other
// os call, and must not make os-layer calls. Install before the os calls
// start, remove (nullptr) after; one observer per process.
using ObserverFn = void (*)(ObjectEvent event, absl::string_view object, void* context);
void InstallObserver(ObserverFn fn, void* context);

namespace internal {
struct ObserverSlot {
  ObserverFn fn;
  void* context;
};
extern std::atomic<const ObserverSlot*> g_observer;

// Whether an observer is installed (one predictable branch for callers that
// must format a name first).
inline bool Observed() {
  return ABSL_PREDICT_FALSE(g_observer.load(std::memory_order_acquire) != nullptr);
}
void NotifyObserver(ObjectEvent event, absl::string_view object);

struct HookSlot {
  HookFn fn;
  void* context;
};
extern std::atomic<const HookSlot*> g_hook;

// The single predictable branch every os call pays when no hook is installed.
inline HookResult CheckHook(Op op) {
  const HookSlot* slot = g_hook.load(std::memory_order_acquire);
  if (ABSL_PREDICT_TRUE(slot == nullptr)) return {};
  return slot->fn(op, slot->context);
}
}  // namespace internal

}  // namespace osport::os

#endif  // OSPORT_OS_HOOKS_H_
