// Flags, size parsing, JSON and error lines for the osport tool.
#include "tools/osport/cli.h"

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "os/error.h"
#include "region/errors.h"

ABSL_FLAG(std::string, home, ".", "directory the regions live in");
ABSL_FLAG(bool, json, false, "print machine-readable JSON instead of text");
ABSL_FLAG(std::string, size, "", "region size for create/grow: bytes or 64KiB, 16MiB, 1GiB");
ABSL_FLAG(std::string, backend, "file", "memory for create: file, sysv or posix");
ABSL_FLAG(std::string, mode, "0600", "permissions of a new region (octal)");
ABSL_FLAG(bool, prefault, false, "create: fault every page in and guarantee disk blocks");
ABSL_FLAG(bool, force, false, "remove: never attach; works on dead, locked or corrupt regions");
ABSL_FLAG(absl::Duration, hold, absl::Seconds(10), "lock: how long to hold the region lock");
ABSL_FLAG(int, workers, 4, "demo: worker processes (2-16)");
ABSL_FLAG(int, rounds, 5000000, "demo: lock/increment/unlock rounds per worker");
ABSL_FLAG(bool, keep, false, "demo: keep the region and its home for `osport stat`");

namespace osport::tool {

absl::StatusOr<std::uint64_t> ParseSize(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  std::uint64_t unit = 1;
  for (auto [suffix, mult] : {std::pair<const char*, std::uint64_t>{"kib", 1ull << 10}, {"mib", 1ull << 20},
                              {"gib", 1ull << 30}, {"tib", 1ull << 40}, {"k", 1ull << 10},
                              {"m", 1ull << 20}, {"g", 1ull << 30}, {"t", 1ull << 40}, {"b", 1}}) {
    if (absl::EndsWith(t, suffix)) {
      t.resize(t.size() - std::string(suffix).size());
      unit = mult;
      break;
    }
  }
  std::uint64_t n = 0;
  if (t.empty() || !absl::SimpleAtoi(t, &n) || n > UINT64_MAX / unit) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrCat("bad size '", text, "' (use bytes or e.g. 64KiB, 16MiB, 1GiB)"));
  }
  return n * unit;
}

std::string HumanSize(std::uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  std::uint64_t v = bytes;
  while (u < 4 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  return absl::StrCat(v, " ", units[u]);
}

absl::StatusOr<region::RegionOptions> OptionsFor(const std::string& name, bool need_size) {
  region::RegionOptions o;
  o.home = absl::GetFlag(FLAGS_home);
  o.name = name;
  o.create = false;
  const std::string size = absl::GetFlag(FLAGS_size);
  if (need_size && size.empty()) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL, "--size is required");
  }
  if (!size.empty()) {
    absl::StatusOr<std::uint64_t> n = ParseSize(size);
    if (!n.ok()) return n.status();
    o.size = *n;
  }
  absl::StatusOr<os::Backend> b = os::ParseBackend(absl::GetFlag(FLAGS_backend));
  if (!b.ok()) return b.status();
  o.backend = *b;
  std::uint32_t mode = 0;
  const std::string m = absl::GetFlag(FLAGS_mode);
  if (m.empty() || m.find_first_not_of("01234567") != std::string::npos || m.size() > 4) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrCat("bad --mode '", m, "' (octal, like 0600)"));
  }
  mode = static_cast<std::uint32_t>(std::stoul(m, nullptr, 8));
  o.mode = mode;
  o.prefault = absl::GetFlag(FLAGS_prefault);
  o.retry.attempts = 3;
  o.retry.backoff = absl::Milliseconds(200);
  return o;
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

Json& Json::Add(absl::string_view key, absl::string_view value) {
  fields_.emplace_back(std::string(key), JsonString(value));
  return *this;
}
Json& Json::Add(absl::string_view key, std::uint64_t value) {
  fields_.emplace_back(std::string(key), absl::StrCat(value));
  return *this;
}
Json& Json::Add(absl::string_view key, bool value) {
  fields_.emplace_back(std::string(key), value ? "true" : "false");
  return *this;
}
Json& Json::AddRaw(absl::string_view key, absl::string_view json) {
  fields_.emplace_back(std::string(key), std::string(json));
  return *this;
}
std::string Json::str() const {
  std::vector<std::string> parts;
  for (const auto& [k, v] : fields_) parts.push_back(absl::StrCat(JsonString(k), ":", v));
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

namespace {
std::string CauseOf(const absl::Status& s) {
  const region::RegionErrc e = region::RegionErrcOf(s);
  if (e != region::RegionErrc::kNone) return std::string(region::RegionErrcName(e));
  return absl::AsciiStrToLower(absl::StatusCodeToString(s.code()));
}
}  // namespace

int Fail(absl::string_view op, absl::string_view region, const absl::Status& status) {
  std::string message(status.message());
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", Json()
                            .Add("ok", false)
                            .Add("op", op)
                            .Add("region", region)
                            .Add("error", CauseOf(status))
                            .Add("message", message)
                            .str()
                            .c_str());
  } else {
    std::fprintf(stderr, "osport %s %s: %s: %s\n", std::string(op).c_str(), std::string(region).c_str(),
                 CauseOf(status).c_str(), message.c_str());
  }
  return kExitFailed;
}

int Usage(absl::string_view message) {
  std::fprintf(stderr, "osport: %s (osport --help explains the commands)\n", std::string(message).c_str());
  return kExitUsage;
}

}  // namespace osport::tool
