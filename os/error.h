// The error model: every failed OS call becomes an absl::Status that names the
// OS function, the path and the native error, and carries a portable errno.
#ifndef OSPORT_OS_ERROR_H_
#define OSPORT_OS_ERROR_H_

#include <cerrno>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace osport::os {

// Builds the status for a failed OS call.
//   portable_errno: a <cerrno> value (EEXIST, EAGAIN, ENOSPC...) the caller
//                   can branch on; it also picks the absl::StatusCode.
//   function:       the OS function that failed ("open", "CreateFileW").
//   path:           the file or object it was applied to; may be empty.
//   native:         the platform's own code (errno, GetLastError()).
//   native_text:    the platform's description of `native`.
// The message reads: `open("/h/f"): No such file or directory (errno 2)`.
[[nodiscard]] absl::Status OsError(int portable_errno, absl::string_view function,
                                   absl::string_view path, long native,
                                   absl::string_view native_text);

// Builds a status for a failure detected by osport itself rather than the OS
// (a corrupt header, a size out of range) that still carries an errno so
// callers can branch uniformly. `code` is the absl code to use.
[[nodiscard]] absl::Status PortableError(absl::StatusCode code, int portable_errno,
                                         absl::string_view message);

// The portable errno carried by `status`, or 0 when it carries none (OK, or a
// status that did not come from osport).
[[nodiscard]] int ErrnoOf(const absl::Status& status);

// Shorthand for ErrnoOf(status) == portable_errno.
[[nodiscard]] inline bool HasErrno(const absl::Status& status, int portable_errno) {
  return ErrnoOf(status) == portable_errno;
}

// Adds context in front of a status message, keeping its code and errno:
// Annotate(s, "attach region") -> "attach region: open(...): ...".
[[nodiscard]] absl::Status Annotate(const absl::Status& status, absl::string_view context);

// A short symbolic name for a portable errno ("ENOENT"), or "errno N".
[[nodiscard]] absl::string_view ErrnoName(int portable_errno);

// Shared data that osport itself finds impossible (a mutex's lock word naming
// a thread id beyond the platform's range...): InvalidArgument + EINVAL, as
// PortableError, plus a payload IsCorrupt recognises (kept by Annotate), so
// that callers -- the region layer, the osport tool's `corrupt` cause --
// tell damaged data from a wrong argument.
[[nodiscard]] absl::Status CorruptError(absl::string_view message);
[[nodiscard]] bool IsCorrupt(const absl::Status& status);

}  // namespace osport::os

#endif  // OSPORT_OS_ERROR_H_
