// How a region name (arbitrary bytes) is shown: escaped text like `ls -b`,
// and in JSON a UTF-8 string plus, for names that are not UTF-8, the exact
// bytes in hex. The policy is documented in docs/tool-json.md.
#ifndef OSPORT_TOOLS_OSPORT_NAMES_H_
#define OSPORT_TOOLS_OSPORT_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace osport::tool {

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool IsUtf8(absl::string_view s);

// `ls -b` style: backslash as "\\", control bytes as \n \t \r \a \b \f \v or
// \ooo (octal), DEL and bytes that are not part of valid UTF-8 as \ooo; valid
// multi-byte UTF-8 as is. A name can therefore never forge a line or a
// terminal escape sequence in text output.
std::string EscapeText(absl::string_view s);

// Lower-case hex of every byte: "a\xff" -> "61ff".
std::string Hex(absl::string_view s);

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_NAMES_H_
