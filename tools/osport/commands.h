// The osport subcommands; each returns the process exit code.
#ifndef OSPORT_TOOLS_OSPORT_COMMANDS_H_
#define OSPORT_TOOLS_OSPORT_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "region/options.h"

namespace osport::tool {

// Refuses, before region/ opens it, a file that is not a regular file (a
// device is never opened; a directory, FIFO or socket is never a region)
// with the library's verdict on it, region::RefuseSpecialFile: not_a_region,
// or untrusted when another user's; with `ask_stat` (for callers that
// never attach: remove --force) also one region::Stat calls not an osport
// region (kNotARegion). Callers that attach get the same kNotARegion from
// the attach itself. Either way the same answer from every command and the
// API. Returns the exit code of the refusal, or -1 to go on.
int RefuseNonRegion(absl::string_view op, const region::RegionOptions& o, bool ask_stat);
// A --home that does not exist: not_found, "region home ... does not exist".
// Returns the exit code of the refusal, or -1 to go on.
int RefuseMissingHome(absl::string_view op, const std::string& name);

int Create(const std::string& name);
int StatCommand(const std::string& name);
int List();
int Grow(const std::string& name);
int PanicCommand(const std::string& name);
int RemoveCommand(const std::string& name);
int RecoverCommand(const std::string& name);
int LockCommand(const std::string& name);
// The multi-process demo and its worker (started by the demo, not by users).
int Demo(const std::string& self);
int DemoWorker(const std::vector<std::string>& args);

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_COMMANDS_H_
