// The tool's look before region/ opens (probe.h): lstat through os/, and
// region::RefuseSpecialFile's verdict on what is not a regular file.
#include "tools/osport/probe.h"

#include <cerrno>

#include "os/dir.h"
#include "os/error.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/preflight.h"

namespace osport::tool {

absl::StatusOr<Probe> ProbeType(const region::RegionOptions& options) {
  // The name's own checks first (region/options.h), as every call makes them.
  if (absl::StatusOr<std::string> path = region::RegionPath(options); !path.ok()) return path.status();
  Probe p;
  absl::StatusOr<std::string> caller = os::CurrentUser();
  if (!caller.ok()) return caller.status();
  absl::StatusOr<os::Dir> home = os::OpenTrustedHome(options.home, options.trust, *caller);
  if (!home.ok()) {
    const absl::Status& s = home.status();
    const bool missing = !os::IsUntrusted(s) && (os::HasErrno(s, ENOENT) || os::HasErrno(s, ENOTDIR));
    if (!missing) return os::Annotate(s, "region " + options.name);
    return p;  // region/ names the missing home
  }
  absl::StatusOr<os::FileInfo> at = os::StatAt(*home, options.name);
  if (!at.ok()) {
    if (os::HasErrno(at.status(), ENOENT)) return p;
    return os::Annotate(at.status(), "region " + options.name);
  }
  p.exists = true;
  p.regular = at->type == os::FileType::kRegular;
  if (!p.regular && at->type != os::FileType::kSymlink) {
    // Named as region/ names it (the home's own path: on Win32 the full one).
    p.special = region::RefuseSpecialFile(*at, *caller, options, os::JoinPath(*home, options.name));
  }
  return p;
}

bool IsNotARegion(const absl::Status& status) {
  return region::RegionErrcOf(status) == region::RegionErrc::kNotARegion;
}

}  // namespace osport::tool
