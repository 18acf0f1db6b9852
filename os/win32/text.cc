// Implements os/win32/text.h with MultiByteToWideChar / WideCharToMultiByte.
// Pure conversions with no OS resource behind them: not hooked.
#include "os/win32/text.h"

#include <windows.h>

#include <climits>

#include "absl/strings/str_format.h"
#include "os/error.h"

namespace osport::os::win32 {

absl::StatusOr<std::wstring> Widen(absl::string_view utf8, absl::string_view function) {
  if (utf8.empty()) return std::wstring();
  if (utf8.size() > static_cast<std::size_t>(INT_MAX)) {
    return PortableError(absl::StatusCode::kInvalidArgument, ENAMETOOLONG,
                         absl::StrFormat("%s: string too long", function));
  }
  const int in = static_cast<int>(utf8.size());
  const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), in, nullptr, 0);
  if (n <= 0) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("%s(\"%s\"): not valid UTF-8", function, utf8));
  }
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), in, out.data(), n);
  return out;
}

std::string Narrow(std::wstring_view utf16) {
  if (utf16.empty() || utf16.size() > static_cast<std::size_t>(INT_MAX)) return std::string();
  const int in = static_cast<int>(utf16.size());
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), in, nullptr, 0, nullptr, nullptr);
  if (n <= 0) return std::string();
  std::string out(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), in, out.data(), n, nullptr, nullptr);
  return out;
}

}  // namespace osport::os::win32
