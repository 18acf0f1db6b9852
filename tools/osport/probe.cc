// The tool's "is this osport's file?" check: file type first (a FIFO is
// never opened), then the magic word read with read(2).
#include "tools/osport/probe.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/file.h"
#include "region/header.h"

namespace osport::tool {
namespace {

constexpr std::size_t kMagicOffset = 64;  // RegionHeader::magic (static_assert in header.h)

std::uint32_t Swap(std::uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

}  // namespace

absl::StatusOr<Probe> ProbeType(const region::RegionOptions& options) {
  absl::StatusOr<std::string> path = region::RegionPath(options);
  if (!path.ok()) return path.status();
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(*path, ec);
  Probe p;
  if (st.type() == fs::file_type::not_found) return p;
  if (ec) {
    return os::PortableError(absl::StatusCode::kUnavailable, ec.value(),
                             absl::StrCat("cannot look at ", *path, ": ", ec.message()));
  }
  p.exists = true;
  if (st.type() == fs::file_type::symlink) {
    p.symlink = true;
    p.why = "a symbolic link";
    return p;
  }
  if (st.type() != fs::file_type::regular) {
    p.why = st.type() == fs::file_type::directory ? "a directory" : "not a regular file";
    return p;
  }
  p.regular = true;
  return p;
}

absl::StatusOr<Probe> ProbeFile(const region::RegionOptions& options) {
  absl::StatusOr<Probe> t = ProbeType(options);
  if (!t.ok() || !t->regular) return t;
  Probe p = *t;
  absl::StatusOr<std::string> path = region::RegionPath(options);
  if (!path.ok()) return path.status();
  absl::StatusOr<os::File> f = os::Open(*path, os::kOpenReadOnly | os::kOpenNoFollow);
  if (!f.ok()) return f.status();
  std::byte head[kMagicOffset + 8] = {};
  absl::StatusOr<std::size_t> n = os::Read(*f, head);
  if (!n.ok()) return n.status();
  if (*n < sizeof head) {
    p.why = "too short for a region header";
    return p;
  }
  std::uint32_t magic = 0, format = 0;
  std::memcpy(&magic, head + kMagicOffset, 4);
  std::memcpy(&format, head + kMagicOffset + 4, 4);
  // Another byte order's region is still osport's (stat says "incompatible");
  // magic 0 with a plausible format word is one being created or released.
  const auto header_bytes = [](std::uint32_t fmt) { return (fmt & 0xFFu) * 256u == region::kHeaderSize; };
  p.osport = magic == region::kRegionMagic || magic == Swap(region::kRegionMagic) ||
             (magic == 0 && (header_bytes(format) || header_bytes(Swap(format))));
  if (!p.osport) p.why = "no osport region magic in its header";
  p.foreign = !p.osport && magic != 0;
  return p;
}

bool RefusedBeforeRegion(const Probe& probe) {
  return probe.exists && !probe.symlink && (!probe.regular || probe.foreign);
}

std::string NotARegion(const std::string& name, const Probe& probe) {
  return absl::StrCat(name, " is not an osport region or stub (", probe.why, "): left alone");
}

}  // namespace osport::tool
