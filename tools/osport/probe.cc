// The tool's own check, by file type only (a FIFO is never opened); whether
// a regular file is osport's is region::Stat's answer (probe.h).
#include "tools/osport/probe.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "region/errors.h"

namespace osport::tool {

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

bool RefusedBeforeRegion(const Probe& probe) { return probe.exists && !probe.symlink && !probe.regular; }

bool IsNotARegion(const absl::Status& status) {
  return region::RegionErrcOf(status) == region::RegionErrc::kNotARegion;
}

std::string NotARegion(const std::string& name, const Probe& probe) {
  return absl::StrCat(name, " is not an osport region or stub (", probe.why, "): left alone");
}

}  // namespace osport::tool
