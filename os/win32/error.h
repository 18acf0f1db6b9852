// The Win32 error bridge: GetLastError() -> absl::Status, the only one on this
// platform, and the reverse table the hook gate uses to inject a portable errno.
#ifndef OSPORT_OS_WIN32_ERROR_H_
#define OSPORT_OS_WIN32_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace osport::os::win32 {

// The status for `function` failing on `path` with Win32 error `code`
// (capture GetLastError() at once: pass it, don't let this read it).
[[nodiscard]] absl::Status LastErrorStatus(absl::string_view function, absl::string_view path,
                                           unsigned long code);

// The portable errno a Win32 error code stands for (EIO when none fits).
[[nodiscard]] int PortableErrno(unsigned long code);

// A representative Win32 error code for a portable errno, chosen so that
// PortableErrno(NativeError(e)) == e for every errno osport uses: what an
// injected failure sets as the last error.
[[nodiscard]] unsigned long NativeError(int portable_errno);

}  // namespace osport::os::win32

#endif  // OSPORT_OS_WIN32_ERROR_H_
