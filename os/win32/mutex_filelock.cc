// Implements the byte-range half of os/internal/mutex_platform.h on Win32 with
// LockFileEx/UnlockFileEx on one byte.
//
// Windows byte-range locks belong to the handle they were taken through, not
// to the process, and are not re-entrant: a second exclusive lock on a locked
// byte conflicts even through the same handle, so threads of one process
// sharing the region's one handle already exclude each other
// (tests/win32_lock_test.cc checks this under Wine). The POSIX file's stripe
// mutexes are not needed. Closing a handle releases only that handle's locks.
#include "absl/strings/str_cat.h"
#include "os/internal/mutex_platform.h"
#include "os/win32/error.h"
#include "os/win32/sys.h"

namespace osport::os::internal {

namespace sys = win32::sys;

namespace {
HANDLE Handle(const File& f) { return reinterpret_cast<HANDLE>(f.native()); }
}  // namespace

absl::Status LockByte(File& file, std::uint64_t offset, bool wait, bool* busy) {
  *busy = false;
  if (sys::LockFileByte(Handle(file), offset, wait)) return absl::OkStatus();
  const DWORD err = ::GetLastError();
  // ERROR_LOCK_VIOLATION: held through another handle or by another thread.
  if (!wait && err == ERROR_LOCK_VIOLATION) {
    *busy = true;
    return absl::OkStatus();
  }
  return win32::LastErrorStatus(
      absl::StrCat("LockFileEx (", wait ? "" : "LOCKFILE_FAIL_IMMEDIATELY, ", "byte ", offset, ")"),
      file.path(), err);
}

absl::Status UnlockByte(File& file, std::uint64_t offset) {
  if (sys::UnlockFileByte(Handle(file), offset)) return absl::OkStatus();
  return win32::LastErrorStatus(absl::StrCat("UnlockFileEx (byte ", offset, ")"), file.path(),
                                ::GetLastError());
}

}  // namespace osport::os::internal
