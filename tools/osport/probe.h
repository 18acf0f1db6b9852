// Whether a file in the home is an osport region or stub, found by an
// ordinary read of its header (never a mapping, never opened for writing), so
// that `list` and `remove` act only on osport files and say so about others.
#ifndef OSPORT_TOOLS_OSPORT_PROBE_H_
#define OSPORT_TOOLS_OSPORT_PROBE_H_

#include <string>

#include "absl/status/statusor.h"
#include "region/options.h"

namespace osport::tool {

struct Probe {
  bool exists = false;
  bool symlink = false;  // a symbolic link: region calls refuse it themselves
  bool regular = false;  // a regular file (anything else -- FIFO, device, directory -- is never opened)
  bool osport = false;   // a regular file whose header carries the region magic
  // A regular file whose magic word was read and is neither osport's (either
  // byte order) nor 0 (a region being created or released): never a region.
  bool foreign = false;
  std::string why;       // why it is not osport's ("a directory", "no region magic"...)
};

// Looks at options.home/options.name; errors only for bad options or I/O.
absl::StatusOr<Probe> ProbeFile(const region::RegionOptions& options);
// The file type alone (no open, no read): for commands that then hand the
// file to region/, so that a FIFO cannot hang them in open(2).
absl::StatusOr<Probe> ProbeType(const region::RegionOptions& options);

// What a command that hands the file to region/ refuses first: a file that
// exists and is not a regular file (a FIFO would hang open(2)), or a regular
// file with a foreign magic. Files shorter than a header or with magic 0 go
// on to region/, which waits for a creator or says what is wrong.
bool RefusedBeforeRegion(const Probe& probe);

// The message for a file that is not osport's (cause "not_a_region").
std::string NotARegion(const std::string& name, const Probe& probe);
inline constexpr char kNotARegion[] = "not_a_region";

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_PROBE_H_
