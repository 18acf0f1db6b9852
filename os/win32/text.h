// UTF-8 <-> UTF-16 for the Win32 layer: osport's strings are UTF-8, the W
// functions take UTF-16.
#ifndef OSPORT_OS_WIN32_TEXT_H_
#define OSPORT_OS_WIN32_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace osport::os::win32 {

// UTF-16 for `utf8`; InvalidArgument (EINVAL) naming `function` if it is not
// valid UTF-8.
[[nodiscard]] absl::StatusOr<std::wstring> Widen(absl::string_view utf8, absl::string_view function);

// UTF-8 for `utf16`; invalid sequences become U+FFFD (for messages and paths
// the OS gave us, which cannot be refused).
[[nodiscard]] std::string Narrow(std::wstring_view utf16);

}  // namespace osport::os::win32

#endif  // OSPORT_OS_WIN32_TEXT_H_
