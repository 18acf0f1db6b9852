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

// Characters that are valid UTF-8 but move, hide or break text on a
// terminal: the C1 controls U+0080..U+009F (U+009B is CSI, U+0085 NEL), the
// line and paragraph separators U+2028/U+2029, and Unicode's Bidi_Control
// characters (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), and
// the invisible format characters (U+200B..U+200D, U+2060..U+2064, U+FEFF,
// U+FFF9..U+FFFB), which would let two different names print the same.
bool IsInvisibleControl(char32_t c);

// `ls -b` style: backslash as "\\", control bytes as \n \t \r \a \b \f \v or
// \ooo (octal), DEL, bytes that are not part of valid UTF-8 and the bytes of
// an IsInvisibleControl character as \ooo; other valid multi-byte UTF-8 as
// is. A name can therefore never forge a line, a terminal escape sequence or
// reordered text in text output.
std::string EscapeText(absl::string_view s);

// `json` (a dump: valid UTF-8) with every IsInvisibleControl character as a
// \uXXXX escape, which nlohmann::json leaves raw. Outside strings a dump is
// ASCII, so only string contents change, and they parse to the same text.
std::string EscapeJsonInvisibles(absl::string_view json);

// Lower-case hex of every byte: "a\xff" -> "61ff".
std::string Hex(absl::string_view s);

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_NAMES_H_
