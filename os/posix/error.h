// The POSIX error bridge: errno -> absl::Status, the only one on this platform.
#ifndef OSPORT_OS_POSIX_ERROR_H_
#define OSPORT_OS_POSIX_ERROR_H_

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace osport::os::posix {

// The status for `function` failing on `path` with `err` (capture errno at
// once: pass it, don't let this read it).
[[nodiscard]] absl::Status ErrnoStatus(absl::string_view function, absl::string_view path, int err);

// Whether a failed read of this process's or thread's own start stamp may
// succeed if tried again: it ran out of a resource (EMFILE, ENFILE, ENOMEM,
// EAGAIN) or was interrupted (EINTR). Anything else -- no /proc, a policy
// that forbids it (EACCES, EPERM), a format we cannot parse (EIO) -- will
// not change, and the stamp is unknown (0) for good.
[[nodiscard]] bool StampReadMayRecover(const absl::Status& s);

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_ERROR_H_
