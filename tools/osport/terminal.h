// The tool's few platform questions outside os/: whether stdout is a
// terminal (the demo's progress bar), and the stop signals `lock` and `demo`
// catch so that they release what they hold before ending.
#ifndef OSPORT_TOOLS_OSPORT_TERMINAL_H_
#define OSPORT_TOOLS_OSPORT_TERMINAL_H_

#include <string>

namespace osport::tool {

bool IsTerminal();

// From now on SIGINT, SIGTERM and SIGHUP (where the platform has it) only
// record that they arrived; the caller polls StopSignal() and cleans up.
void CatchStopSignals();
// The last stop signal that arrived, or 0.
int StopSignal();
// "SIGTERM" for 15...
std::string SignalName(int sig);

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_TERMINAL_H_
