// Whether a file in the home is osport's, as the region library says it:
// region::Stat's answer (RegionErrc::kNotARegion, from region/preflight.h's
// MayBeOsportFile and the header checks) is the one source for every
// command, so that stat, list, lock, recover and remove say the same thing
// of the same file. The tool itself only looks before the library opens:
// what is not a regular file (a FIFO, device, directory, socket) is never
// opened by the tool, and gets the library's verdict on it
// (region::RefuseSpecialFile) -- the same words an API caller gets.
#ifndef OSPORT_TOOLS_OSPORT_PROBE_H_
#define OSPORT_TOOLS_OSPORT_PROBE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "region/options.h"

namespace osport::tool {

struct Probe {
  bool exists = false;
  bool regular = false;   // a regular file: region/ answers for it
  absl::Status special;   // not OK: a directory, FIFO, socket or device (never opened)
};

// Looks at the name with lstat through os/ (no open, no read): a FIFO
// cannot hang the tool in open(2), and a device is never opened. The home is
// checked first, as region/ checks it (os::OpenTrustedHome): an untrusted
// home, or one the caller may not enter, is that error (untrusted,
// permission denied) -- not a verdict on what is in it (review 10). A home
// that does not exist is left to region/, whose message says so. A symbolic
// link is left to region/ too (untrusted, ELOOP).
absl::StatusOr<Probe> ProbeType(const region::RegionOptions& options);

// Whether the library called it not an osport file (RegionErrc::kNotARegion).
bool IsNotARegion(const absl::Status& status);
inline constexpr char kNotARegion[] = "not_a_region";

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_PROBE_H_
