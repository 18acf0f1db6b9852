// Implements the POSIX side of os/error.h: errno values are already portable.
#include "os/posix/error.h"

#include <cerrno>
#include <cstring>

#include "os/error.h"

namespace osport::os::posix {

absl::Status ErrnoStatus(absl::string_view function, absl::string_view path, int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char* text = strerror_r(err, buf, sizeof buf);
#else
  const char* text = strerror_r(err, buf, sizeof buf) == 0 ? buf : "unknown error";
#endif
  return OsError(err, function, path, err, text);
}

bool StampReadMayRecover(const absl::Status& s) {
  return HasErrno(s, EMFILE) || HasErrno(s, ENFILE) || HasErrno(s, ENOMEM) || HasErrno(s, EAGAIN) ||
         HasErrno(s, EINTR);
}

}  // namespace osport::os::posix
