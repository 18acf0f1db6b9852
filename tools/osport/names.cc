// UTF-8 validation and the `ls -b` escaping of names in text output.
#include "tools/osport/names.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace osport::tool {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if none does.
std::size_t Utf8Length(absl::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlongs
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

// The code point of the valid n-byte UTF-8 sequence at s[i].
char32_t CodePoint(absl::string_view s, std::size_t i, std::size_t n) {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (n) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

}  // namespace

bool IsInvisibleControl(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) ||     // C1 controls (U+009B CSI, U+0085 NEL...)
         c == 0x2028 || c == 0x2029 ||   // line and paragraph separators
         c == 0x061C || c == 0x200E || c == 0x200F ||  // bidi marks (ALM, LRM, RLM)
         (c >= 0x202A && c <= 0x202E) ||  // bidi embeddings and overrides
         (c >= 0x2066 && c <= 0x2069) ||  // bidi isolates
         (c >= 0x200B && c <= 0x200D) ||  // zero width space, non-joiner, joiner
         (c >= 0x2060 && c <= 0x2064) ||  // word joiner, invisible operators
         c == 0xFEFF ||                   // zero width no-break space (BOM)
         (c >= 0xFFF9 && c <= 0xFFFB);    // interlinear annotation controls
}

bool IsUtf8(absl::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string EscapeText(absl::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = Utf8Length(s, i);
    if (n > 1 && IsInvisibleControl(CodePoint(s, i, n))) {
      // Each byte, as `ls -b` shows bytes it will not print: \302\233.
      for (std::size_t k = 0; k < n; ++k) {
        absl::StrAppendFormat(&out, "\\%03o", static_cast<unsigned char>(s[i + k]));
      }
      i += n;
      continue;
    }
    if (n > 1) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    ++i;
    switch (c) {
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (n == 0 || c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(&out, "\\%03o", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string EscapeJsonInvisibles(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size();) {
    std::size_t n = Utf8Length(json, i);
    if (n > 1 && IsInvisibleControl(CodePoint(json, i, n))) {
      // Every one is in the BMP: one \uXXXX each.
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<std::uint32_t>(CodePoint(json, i, n)));
    } else {
      if (n == 0) n = 1;  // not UTF-8 (dump's replace leaves none): kept as it is
      out.append(json.data() + i, n);
    }
    i += n;
  }
  return out;
}

std::string Hex(absl::string_view s) { return absl::BytesToHexString(s); }

}  // namespace osport::tool
