// The tool's own check, by file type only (a FIFO is never opened); whether
// a regular file is osport's is region::Stat's answer (probe.h).
#include "tools/osport/probe.h"

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/trust.h"
#include "region/errors.h"

namespace osport::tool {

absl::StatusOr<Probe> ProbeType(const region::RegionOptions& options) {
  absl::StatusOr<std::string> path = region::RegionPath(options);
  if (!path.ok()) return path.status();
  if (absl::StatusOr<os::Dir> home = os::OpenTrustedHome(options.home, options.trust); !home.ok()) {
    const absl::Status& s = home.status();
    const bool missing = !os::IsUntrusted(s) && (os::HasErrno(s, ENOENT) || os::HasErrno(s, ENOTDIR));
    if (!missing) return os::Annotate(s, "region " + options.name);
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(*path, ec);
  Probe p;
  p.path = *path;
  if (st.type() == fs::file_type::not_found) return p;
  if (ec) {
    const bool denied = ec == std::errc::permission_denied;
    return os::PortableError(denied ? absl::StatusCode::kPermissionDenied : absl::StatusCode::kUnavailable,
                             denied ? EACCES : EIO,
                             absl::StrCat("cannot look at ", *path, ": ", ec.message()));
  }
  p.exists = true;
  switch (st.type()) {
    case fs::file_type::symlink:
      p.symlink = true;
      p.why = "a symbolic link";
      return p;
    case fs::file_type::regular: p.regular = true; return p;
    case fs::file_type::directory: p.why = "a directory"; break;
    case fs::file_type::fifo: p.why = "a FIFO"; break;
    case fs::file_type::socket: p.why = "a socket"; break;
    case fs::file_type::block: p.why = "a block device"; break;
    case fs::file_type::character: p.why = "a character device"; break;
    default: p.why = "of another type"; break;
  }
  return p;
}

bool RefusedBeforeRegion(const Probe& probe) { return probe.exists && !probe.symlink && !probe.regular; }

bool IsNotARegion(const absl::Status& status) {
  return region::RegionErrcOf(status) == region::RegionErrc::kNotARegion;
}

std::string NotARegion(const std::string& name, const Probe& probe) {
  return absl::StrCat(name, " is not an osport region or stub (", probe.path, " is ", probe.why,
                      ", not a regular file): left alone");
}

}  // namespace osport::tool
