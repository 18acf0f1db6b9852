// Implements the Win32 side of os/error.h: GetLastError() codes become the
// portable errno values the region logic branches on.
#include "os/win32/error.h"

#include <windows.h>

#include <string>

#include "os/error.h"
#include "os/win32/text.h"

namespace osport::os::win32 {
namespace {
// Codes from newer SDKs than mingw-w64's winerror.h.
constexpr unsigned long kErrorDirectoryNotSupported = 336;
constexpr unsigned long kErrorStoppedOnSymlink = 681;
}  // namespace

// Decisions worth knowing (everything else is the obvious pairing):
// - ERROR_SHARING_VIOLATION is EBUSY: another handle's share mode refuses us,
//   i.e. the object is in use -- what region removal reports as Busy.
// - ERROR_LOCK_VIOLATION is EAGAIN: a byte range another handle has locked,
//   the errno POSIX fcntl(F_SETLK) gives for the same conflict, so a file-lock
//   mutex's "held by someone else" branch is one test on both platforms.
// - ERROR_NEGATIVE_SEEK is EINVAL, as lseek(2) reports a negative position.
// - ERROR_CANT_RESOLVE_FILENAME and ERROR_STOPPED_ON_SYMLINK are ELOOP: a
//   reparse point we refused or could not resolve.
// - ERROR_NO_DATA ("the pipe is being closed") is EPIPE like ERROR_BROKEN_PIPE.
int PortableErrno(unsigned long code) {
  switch (code) {
    case ERROR_SUCCESS: return 0;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS: return EEXIST;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_MOD_NOT_FOUND: return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_CANNOT_MAKE:
    case ERROR_NETWORK_ACCESS_DENIED: return EACCES;
    case ERROR_PRIVILEGE_NOT_HELD: return EPERM;
    case ERROR_SHARING_VIOLATION:
    case ERROR_BUSY:
    case ERROR_USER_MAPPED_FILE: return EBUSY;
    case ERROR_LOCK_VIOLATION:
    case ERROR_RETRY: return EAGAIN;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return ENOSPC;
    case ERROR_INVALID_PARAMETER:
    case ERROR_NEGATIVE_SEEK:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
    case ERROR_INVALID_FLAGS: return EINVAL;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT: return ENOMEM;
    case ERROR_NOT_ENOUGH_QUOTA: return ENOMEM;
    case ERROR_CANT_RESOLVE_FILENAME:
    case kErrorStoppedOnSymlink: return ELOOP;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA: return EPIPE;
    case ERROR_INVALID_HANDLE: return EBADF;
    case ERROR_TOO_MANY_OPEN_FILES: return EMFILE;
    case ERROR_WRITE_PROTECT: return EROFS;
    case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
    case ERROR_DIRECTORY: return ENOTDIR;
    case kErrorDirectoryNotSupported: return EISDIR;
    case ERROR_DIR_NOT_EMPTY: return ENOTEMPTY;
    case ERROR_FILE_TOO_LARGE: return EFBIG;
    case ERROR_ARITHMETIC_OVERFLOW: return EOVERFLOW;
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION: return EOPNOTSUPP;
    case ERROR_CALL_NOT_IMPLEMENTED: return ENOSYS;
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT: return ETIMEDOUT;
    case ERROR_OPERATION_ABORTED: return EINTR;
    case ERROR_WAIT_NO_CHILDREN: return ECHILD;
    case ERROR_NOT_LOCKED: return ENOLCK;
    case ERROR_POSSIBLE_DEADLOCK: return EDEADLK;
    case ERROR_ABANDONED_WAIT_0: return EOWNERDEAD;
    case ERROR_CRC:
    case ERROR_IO_DEVICE:
    case ERROR_GEN_FAILURE: return EIO;
    default: return EIO;
  }
}

unsigned long NativeError(int e) {
  switch (e) {
    case 0: return ERROR_SUCCESS;
    case EEXIST: return ERROR_FILE_EXISTS;
    case ENOENT: return ERROR_FILE_NOT_FOUND;
    case EACCES: return ERROR_ACCESS_DENIED;
    case EPERM: return ERROR_PRIVILEGE_NOT_HELD;
    case EBUSY: return ERROR_SHARING_VIOLATION;
    case EAGAIN: return ERROR_LOCK_VIOLATION;
    case ENOSPC: return ERROR_DISK_FULL;
    case EINVAL: return ERROR_INVALID_PARAMETER;
    case ENOMEM: return ERROR_NOT_ENOUGH_MEMORY;
    case ELOOP: return ERROR_CANT_RESOLVE_FILENAME;
    case EPIPE: return ERROR_BROKEN_PIPE;
    case EBADF: return ERROR_INVALID_HANDLE;
    case EMFILE: return ERROR_TOO_MANY_OPEN_FILES;
    case EROFS: return ERROR_WRITE_PROTECT;
    case ENAMETOOLONG: return ERROR_FILENAME_EXCED_RANGE;
    case ENOTDIR: return ERROR_DIRECTORY;
    case EISDIR: return kErrorDirectoryNotSupported;
    case ENOTEMPTY: return ERROR_DIR_NOT_EMPTY;
    case EFBIG: return ERROR_FILE_TOO_LARGE;
    case EOVERFLOW: return ERROR_ARITHMETIC_OVERFLOW;
    case EOPNOTSUPP: return ERROR_NOT_SUPPORTED;
#if ENOTSUP != EOPNOTSUPP
    case ENOTSUP: return ERROR_NOT_SUPPORTED;  // comes back as EOPNOTSUPP
#endif
    case ENOSYS: return ERROR_CALL_NOT_IMPLEMENTED;
    case ETIMEDOUT: return ERROR_TIMEOUT;
    case EINTR: return ERROR_OPERATION_ABORTED;
    case ECHILD: return ERROR_WAIT_NO_CHILDREN;
    case ENOLCK: return ERROR_NOT_LOCKED;
    case EDEADLK: return ERROR_POSSIBLE_DEADLOCK;
    case EOWNERDEAD: return ERROR_ABANDONED_WAIT_0;
    case EIO: return ERROR_IO_DEVICE;
    default: return ERROR_GEN_FAILURE;  // maps back to EIO
  }
}

namespace {

// The system's text for `code`, UTF-8, without the trailing CR/LF.
std::string MessageText(unsigned long code) {
  wchar_t* buf = nullptr;
  const DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  std::string text;
  if (n > 0 && buf != nullptr) text = Narrow(std::wstring_view(buf, n));
  if (buf != nullptr) ::LocalFree(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.empty()) text = "Win32 error " + std::to_string(code);
  return text;
}

}  // namespace

absl::Status LastErrorStatus(absl::string_view function, absl::string_view path,
                             unsigned long code) {
  return OsError(PortableErrno(code), function, path, static_cast<long>(code), MessageText(code));
}

}  // namespace osport::os::win32
