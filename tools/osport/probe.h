// Whether a file in the home is osport's, as the region library says it:
// region::Stat's answer (RegionErrc::kNotARegion, from region/preflight.h's
// MayBeOsportFile and the header checks) is the one source for every
// command, so that stat, list, lock, recover and remove say the same thing
// of the same file. The tool itself only refuses what must never be opened
// at all: a file that is not a regular file (a FIFO, device, directory).
#ifndef OSPORT_TOOLS_OSPORT_PROBE_H_
#define OSPORT_TOOLS_OSPORT_PROBE_H_

#include <string>

#include "absl/status/statusor.h"
#include "region/options.h"
#include "region/stat.h"

namespace osport::tool {

struct Probe {
  bool exists = false;
  bool symlink = false;  // a symbolic link: region calls refuse it themselves
  bool regular = false;  // a regular file (anything else -- FIFO, device, directory -- is never opened)
  std::string why;       // what it is when not regular ("a directory", "a FIFO", "a socket"...)
  std::string path;      // the path looked at
};

// The file type alone (no open, no read): a FIFO cannot hang the tool in
// open(2), and a directory or device is never handed to region/. The home is
// checked first, as region/ checks it (os::OpenTrustedHome): an untrusted
// home, or one the caller may not enter, is that error (untrusted,
// permission denied) -- not a verdict on what is in it (review 10). A home
// that does not exist is left to region/, whose message says so.
absl::StatusOr<Probe> ProbeType(const region::RegionOptions& options);

// Whether a probed file is refused before region/ sees it: it exists and is
// neither a regular file nor a symbolic link (which region/ refuses itself).
bool RefusedBeforeRegion(const Probe& probe);

// Whether the library called it not an osport file (RegionErrc::kNotARegion).
bool IsNotARegion(const absl::Status& status);

// The message for a file that is not a regular file (cause "not_a_region").
std::string NotARegion(const std::string& name, const Probe& probe);
inline constexpr char kNotARegion[] = "not_a_region";

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_PROBE_H_
