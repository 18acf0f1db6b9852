// Implements os/file.h on Win32: CreateFileW handles, ReadFile/WriteFile
// loops, SetFilePointerEx, and the read-only attribute as the only mode bit.
#include "os/file.h"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "os/error.h"
#include "os/internal/file_platform.h"
#include "os/win32/error.h"
#include "os/win32/sys.h"
#include "os/win32/text.h"

namespace osport::os {

namespace sys = win32::sys;
using win32::LastErrorStatus;

// The File keeps its HANDLE in an intptr_t; File's "closed" value (-1) is
// INVALID_HANDLE_VALUE, which CreateFileW also returns on failure.
static_assert(sizeof(std::intptr_t) >= sizeof(HANDLE), "a HANDLE must fit the File handle");
static_assert(std::is_trivially_copyable_v<HANDLE>, "a HANDLE must be trivially copyable");

namespace {

HANDLE Handle(const File& f) { return reinterpret_cast<HANDLE>(f.native()); }

// Everyone may read, write and delete while we hold the file open: the region
// protocol relies on several processes opening one file, and on a remover
// not being refused because another process has it open.
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// One ReadFile/WriteFile moves at most this much (DWORD counts).
constexpr std::size_t kMaxTransfer = std::size_t{1} << 30;

bool IsExists(DWORD e) { return e == ERROR_FILE_EXISTS || e == ERROR_ALREADY_EXISTS; }
bool IsMissing(DWORD e) { return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND; }

}  // namespace

// No fork on Windows: a handle's LockFileEx locks are its own.
void ReleaseInForkedChild(File& file) { (void)file; }

absl::Status File::Close() {
  if (!is_open()) return absl::OkStatus();
  const HANDLE h = reinterpret_cast<HANDLE>(release());
  if (!sys::CloseHandle(h)) return LastErrorStatus("CloseHandle (close)", path_, ::GetLastError());
  return absl::OkStatus();
}

absl::StatusOr<File> Open(const std::string& path, std::uint32_t flags, std::uint32_t mode) {
  if (absl::Status s = internal::ValidateOpenFlags(path, flags); !s.ok()) return s;
  if (absl::Status s = internal::ValidateOpenMode(path, mode); !s.ok()) return s;
  absl::StatusOr<std::wstring> wpath = win32::Widen(path, "CreateFileW (open)");
  if (!wpath.ok()) return wpath.status();

  const DWORD access = (flags & kOpenReadOnly) ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE;
  // Windows keeps one permission bit: a file created without the owner-write
  // bit gets the read-only attribute. It is applied by CreateFileW itself, so
  // a new file never exists with another mode (POSIX needs a second fchmod
  // call because of the umask; Windows has no umask). Attributes are ignored
  // when the file already exists, so an existing file's mode is untouched.
  DWORD attributes = (mode & 0200) ? FILE_ATTRIBUTE_NORMAL : FILE_ATTRIBUTE_READONLY;
  // Open a reparse point (symbolic link, junction) itself rather than its
  // target, so it can be refused below.
  if (flags & kOpenNoFollow) attributes |= FILE_FLAG_OPEN_REPARSE_POINT;

  const bool create = (flags & kOpenCreate) != 0;
  const bool truncate = (flags & kOpenTruncate) != 0;
  HANDLE h = INVALID_HANDLE_VALUE;
  bool created = false;  // by this call: a new, empty, regular file
  if (create && (flags & kOpenExclusive)) {
    // CREATE_NEW is atomic: of N racing processes exactly one creates.
    h = sys::OpenPath(wpath->c_str(), access, kShareAll, CREATE_NEW, attributes);
    created = h != INVALID_HANDLE_VALUE;
  } else if (create && !truncate) {
    h = sys::OpenPath(wpath->c_str(), access, kShareAll, OPEN_ALWAYS, attributes);
    // OPEN_ALWAYS says ERROR_ALREADY_EXISTS when it opened an existing file.
    created = h != INVALID_HANDLE_VALUE && ::GetLastError() != ERROR_ALREADY_EXISTS;
  } else if (create) {
    // Not CREATE_ALWAYS: on an existing file it would also replace its
    // attributes (its mode). Create, or truncate what exists; loop if the
    // file vanishes in between.
    for (;;) {
      h = sys::OpenPath(wpath->c_str(), access, kShareAll, CREATE_NEW, attributes);
      if (h != INVALID_HANDLE_VALUE) {
        created = true;
        break;
      }
      if (!IsExists(::GetLastError())) break;
      h = sys::OpenPath(wpath->c_str(), access, kShareAll, TRUNCATE_EXISTING, attributes);
      if (h != INVALID_HANDLE_VALUE || !IsMissing(::GetLastError())) break;
    }
  } else {
    h = sys::OpenPath(wpath->c_str(), access, kShareAll, truncate ? TRUNCATE_EXISTING : OPEN_EXISTING,
                      attributes);
  }
  if (h == INVALID_HANDLE_VALUE) return LastErrorStatus("CreateFileW (open)", path, ::GetLastError());
  File file = File::Adopt(reinterpret_cast<std::intptr_t>(h), path);

  // A file this call created cannot be a reparse point: creating fails on
  // any existing name, a link's included (FILE_FLAG_OPEN_REPARSE_POINT). Not
  // checking it also means no call after the create that could fail and
  // leave the new file behind (the Wine cell's error sweep: a failed check
  // left an empty region file).
  if ((flags & kOpenNoFollow) && !created) {
    BY_HANDLE_FILE_INFORMATION info;
    if (!sys::GetFileInformationByHandle(h, &info)) {
      return LastErrorStatus("GetFileInformationByHandle (fstat)", path, ::GetLastError());
    }
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
      (void)file.Close();
      return LastErrorStatus("CreateFileW (open)", path, ERROR_CANT_RESOLVE_FILENAME);
    }
  }
  return file;
}

namespace internal {

absl::StatusOr<std::uint64_t> SeekTo(File& file, std::int64_t offset, Whence whence) {
  const DWORD method =
      whence == Whence::kSet ? FILE_BEGIN : whence == Whence::kCur ? FILE_CURRENT : FILE_END;
  LARGE_INTEGER distance, pos;
  distance.QuadPart = offset;
  if (!sys::SetFilePointerEx(Handle(file), distance, &pos, method)) {
    // ERROR_NEGATIVE_SEEK comes back as EINVAL, as lseek(2) reports it.
    return LastErrorStatus("SetFilePointerEx (lseek)", file.path(), ::GetLastError());
  }
  return static_cast<std::uint64_t>(pos.QuadPart);
}

}  // namespace internal

absl::StatusOr<std::size_t> Read(File& file, gsl::span<std::byte> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const auto want = static_cast<DWORD>(std::min(buf.size() - done, kMaxTransfer));
    DWORD n = 0;
    if (!sys::ReadFile(Handle(file), buf.data() + done, want, &n)) {
      const DWORD err = ::GetLastError();
      if (err == ERROR_HANDLE_EOF) break;
      return LastErrorStatus("ReadFile (read)", file.path(), err);
    }
    if (n == 0) break;  // end of file
    done += n;
  }
  return done;
}

absl::Status Write(File& file, gsl::span<const std::byte> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const auto want = static_cast<DWORD>(std::min(buf.size() - done, kMaxTransfer));
    DWORD n = 0;
    if (!sys::WriteFile(Handle(file), buf.data() + done, want, &n)) {
      return LastErrorStatus("WriteFile (write)", file.path(), ::GetLastError());
    }
    if (n == 0) return LastErrorStatus("WriteFile (write)", file.path(), ERROR_IO_DEVICE);
    done += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::size_t> ReadAt(File& file, std::uint64_t offset, gsl::span<std::byte> buf) {
  if (absl::Status s = internal::ValidateRange(file, "pread", offset, buf.size()); !s.ok()) return s;
  std::size_t done = 0;
  while (done < buf.size()) {
    const auto want = static_cast<DWORD>(std::min(buf.size() - done, kMaxTransfer));
    DWORD n = 0;
    if (!sys::ReadFileAt(Handle(file), buf.data() + done, want, offset + done, &n)) {
      const DWORD err = ::GetLastError();
      if (err == ERROR_HANDLE_EOF) break;
      return LastErrorStatus("ReadFile (pread)", file.path(), err);
    }
    if (n == 0) break;  // end of file
    done += n;
  }
  return done;
}

absl::Status WriteAt(File& file, std::uint64_t offset, gsl::span<const std::byte> buf) {
  if (absl::Status s = internal::ValidateRange(file, "pwrite", offset, buf.size()); !s.ok()) return s;
  std::size_t done = 0;
  while (done < buf.size()) {
    const auto want = static_cast<DWORD>(std::min(buf.size() - done, kMaxTransfer));
    DWORD n = 0;
    if (!sys::WriteFileAt(Handle(file), buf.data() + done, want, offset + done, &n)) {
      return LastErrorStatus("WriteFile (pwrite)", file.path(), ::GetLastError());
    }
    if (n == 0) return LastErrorStatus("WriteFile (pwrite)", file.path(), ERROR_IO_DEVICE);
    done += n;
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::uint64_t> SizeOf(const File& file) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!sys::GetFileInformationByHandle(Handle(file), &info)) {
    return LastErrorStatus("GetFileInformationByHandle (fstat)", file.path(), ::GetLastError());
  }
  return (std::uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
}

}  // namespace

absl::StatusOr<IoInfo> GetIoInfo(File& file) {
  absl::StatusOr<std::uint64_t> size = SizeOf(file);
  if (!size.ok()) return size.status();
  IoInfo info;
  info.mbytes = static_cast<std::uint32_t>(*size / IoInfo::kMegabyte);
  info.bytes = static_cast<std::uint32_t>(*size % IoInfo::kMegabyte);
  // The volume's cluster size is the unit Windows allocates in; it is only
  // advice, so when the volume cannot say, the seed's 8 KiB default stands.
  info.iosize = IoInfo::kDefaultIoSize;
  if (absl::StatusOr<std::wstring> w = win32::Widen(file.path(), "GetVolumePathNameW"); w.ok()) {
    if (const DWORD cluster = sys::ClusterSize(w->c_str()); cluster != 0) info.iosize = cluster;
  }
  return info;
}

absl::StatusOr<bool> Exists(const std::string& path, bool* is_dir) {
  absl::StatusOr<std::wstring> wpath = win32::Widen(path, "GetFileAttributesW (stat)");
  if (!wpath.ok()) return wpath.status();
  const DWORD attributes = sys::PathAttributes(wpath->c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    const DWORD err = ::GetLastError();
    if (IsMissing(err) || err == ERROR_INVALID_NAME) return false;
    return LastErrorStatus("GetFileAttributesW (stat)", path, err);
  }
  if (is_dir != nullptr) *is_dir = (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  return true;
}

// A file's identity is its volume serial number and its index on that
// volume (NTFS's file reference; the inode under Wine). The path is opened
// with no access at all (only attributes can be read through it), as a
// directory if it is one, and a final reparse point is not followed.
absl::StatusOr<bool> IsSameFile(File& file, const std::string& path) {
  BY_HANDLE_FILE_INFORMATION mine;
  if (!sys::GetFileInformationByHandle(Handle(file), &mine)) {
    return LastErrorStatus("GetFileInformationByHandle (fstat)", file.path(), ::GetLastError());
  }
  absl::StatusOr<std::wstring> wpath = win32::Widen(path, "CreateFileW (lstat)");
  if (!wpath.ok()) return wpath.status();
  const HANDLE h = sys::OpenPath(wpath->c_str(), 0, kShareAll, OPEN_EXISTING,
                                 FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (IsMissing(err) || err == ERROR_INVALID_NAME) return false;
    return LastErrorStatus("CreateFileW (lstat)", path, err);
  }
  BY_HANDLE_FILE_INFORMATION named;
  const BOOL got = sys::GetFileInformationByHandle(h, &named);
  const DWORD err = ::GetLastError();
  (void)sys::CloseHandle(h);
  if (!got) return LastErrorStatus("GetFileInformationByHandle (lstat)", path, err);
  return mine.dwVolumeSerialNumber == named.dwVolumeSerialNumber &&
         mine.nFileIndexHigh == named.nFileIndexHigh && mine.nFileIndexLow == named.nFileIndexLow;
}

// Windows removes a name differently from POSIX:
// - A file another handle has open without FILE_SHARE_DELETE cannot be
//   deleted (ERROR_SHARING_VIOLATION -> EBUSY). osport always shares delete.
// - With FILE_SHARE_DELETE, DeleteFileW succeeds but on classic Windows only
//   marks the file delete-pending: the name stays until the last handle
//   closes, and until then opening or re-creating that name fails with
//   ERROR_ACCESS_DENIED. Recent Windows 10/11 on NTFS remove the name at once
//   (POSIX semantics). Wine 8 (checked by tests/win32_file_test.cc) keeps the
//   name until the last handle closes, but the file stays openable and an
//   exclusive create reports ERROR_FILE_EXISTS. So a region's remover must
//   not expect to re-create the name while others still have it open, and a
//   joiner may still open a removed region: the header's cleared magic is
//   what tells it to retry.
// - A read-only file (created without the owner-write bit) refuses deletion;
//   POSIX unlink ignores the file's own mode, so the attribute is cleared and
//   the delete retried.
absl::Status Unlink(const std::string& path) {
  absl::StatusOr<std::wstring> wpath = win32::Widen(path, "DeleteFileW (unlink)");
  if (!wpath.ok()) return wpath.status();
  if (sys::DeletePath(wpath->c_str())) return absl::OkStatus();
  DWORD err = ::GetLastError();
  if (err == ERROR_ACCESS_DENIED) {
    const DWORD attributes = sys::PathAttributes(wpath->c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_READONLY) &&
        !(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
      if (sys::SetPathAttributes(wpath->c_str(), attributes & ~DWORD{FILE_ATTRIBUTE_READONLY})) {
        if (sys::DeletePath(wpath->c_str())) return absl::OkStatus();
        err = ::GetLastError();
        (void)sys::SetPathAttributes(wpath->c_str(), attributes);  // put the mode back
      } else {
        err = ::GetLastError();
      }
    }
  }
  return LastErrorStatus("DeleteFileW (unlink)", path, err);
}

absl::Status Truncate(File& file, std::uint64_t size) {
  if (absl::Status s = internal::ValidateRange(file, "truncate", size, 0); !s.ok()) return s;
  if (!sys::SetEndOfFile(Handle(file), size)) {
    return LastErrorStatus("SetFileInformationByHandle (ftruncate)", file.path(), ::GetLastError());
  }
  return absl::OkStatus();
}

absl::Status SetMode(File& file, std::uint32_t mode) {
  // No permission bits to set here (os/file.h).
  return internal::ValidateOpenMode(file.path(), mode);
}

namespace {

// The fallback: zeros from the current end of file to `end`, never over
// existing data; the file pointer is put back where it was.
absl::Status WriteZerosPastEnd(File& file, std::uint64_t offset, std::uint64_t end) {
  absl::StatusOr<std::uint64_t> size = SizeOf(file);
  if (!size.ok()) return size.status();
  std::uint64_t pos = std::max(offset, *size);
  if (pos >= end) return absl::OkStatus();
  LARGE_INTEGER zero, saved;
  zero.QuadPart = 0;
  if (!sys::SetFilePointerEx(Handle(file), zero, &saved, FILE_CURRENT)) {
    return LastErrorStatus("SetFilePointerEx (lseek)", file.path(), ::GetLastError());
  }
  const std::vector<std::byte> zeros(
      static_cast<std::size_t>(std::min(internal::kZeroChunk, end - pos)));
  absl::Status status;
  while (pos < end && status.ok()) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), end - pos));
    status = WriteAt(file, pos, gsl::span<const std::byte>(zeros.data(), want));
    pos += want;
  }
  if (!sys::SetFilePointerEx(Handle(file), saved, nullptr, FILE_BEGIN) && status.ok()) {
    status = LastErrorStatus("SetFilePointerEx (lseek)", file.path(), ::GetLastError());
  }
  return status;
}

}  // namespace

// Windows reserves clusters for a file through its allocation size
// (FileAllocationInfo); the end of file is then moved separately. A range
// that ends inside the file needs nothing: a file that is not sparse has every
// cluster below its end allocated. The allocation size is never lowered: that
// would cut the file.
absl::Status Allocate(File& file, std::uint64_t offset, std::uint64_t len) {
  if (absl::Status s = internal::ValidateRange(file, "allocate", offset, len); !s.ok()) return s;
  if (len == 0) return absl::OkStatus();
  const std::uint64_t end = offset + len;
  absl::StatusOr<std::uint64_t> size = SizeOf(file);
  if (!size.ok()) return size.status();
  if (end <= *size) return absl::OkStatus();
  if (!sys::SetAllocationSize(Handle(file), end)) {
    const DWORD err = ::GetLastError();
    // ERROR_NOT_SUPPORTED / ERROR_INVALID_FUNCTION: the filesystem cannot;
    // ERROR_CALL_NOT_IMPLEMENTED: Wine 8 (FileAllocationInfo is a stub there).
    const int e = win32::PortableErrno(err);
    if (e != EOPNOTSUPP && e != ENOSYS) {
      return LastErrorStatus("SetFileInformationByHandle (fallocate)", file.path(), err);
    }
    // The filesystem cannot reserve space: write zeros past the end instead.
    return WriteZerosPastEnd(file, offset, end);
  }
  if (!sys::SetEndOfFile(Handle(file), end)) {
    return LastErrorStatus("SetFileInformationByHandle (ftruncate)", file.path(), ::GetLastError());
  }
  return absl::OkStatus();
}

absl::Status Sync(File& file) {
  if (!sys::FlushFileBuffers(Handle(file))) {
    return LastErrorStatus("FlushFileBuffers (fsync)", file.path(), ::GetLastError());
  }
  return absl::OkStatus();
}

// Liveness locks: LockFileEx locks belong to the handle and are released
// when the process ends. They are mandatory, so callers lock bytes past
// their data. A handle cannot take an exclusive lock over its own shared
// one (or the reverse): there is no in-place conversion.
bool RangeLocksPerOpenFile() { return true; }
bool RangeLockConvertsInPlace() { return false; }

absl::StatusOr<bool> TryLockRange(File& file, std::uint64_t offset, std::uint64_t len, RangeLock kind) {
  if (absl::Status s = internal::ValidateLockRange(file, offset, len); !s.ok()) return s;
  if (sys::LockFileRange(Handle(file), offset, len, kind == RangeLock::kExclusive)) return true;
  const DWORD err = ::GetLastError();
  if (err == ERROR_LOCK_VIOLATION || err == ERROR_IO_PENDING) return false;
  return LastErrorStatus("LockFileEx", file.path(), err);
}

absl::Status UnlockRange(File& file, std::uint64_t offset, std::uint64_t len) {
  if (absl::Status s = internal::ValidateLockRange(file, offset, len); !s.ok()) return s;
  if (sys::UnlockFileRange(Handle(file), offset, len)) return absl::OkStatus();
  const DWORD err = ::GetLastError();
  if (err == ERROR_NOT_LOCKED) return absl::OkStatus();  // nothing held: as fcntl(F_UNLCK)
  return LastErrorStatus("UnlockFileEx", file.path(), err);
}

}  // namespace osport::os
