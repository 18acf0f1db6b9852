// Whether standard output is a terminal (for the demo's progress bar).
#ifndef OSPORT_TOOLS_OSPORT_TERMINAL_H_
#define OSPORT_TOOLS_OSPORT_TERMINAL_H_

namespace osport::tool {
bool IsTerminal();
}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_TERMINAL_H_
