// The osport subcommands; each returns the process exit code.
#ifndef OSPORT_TOOLS_OSPORT_COMMANDS_H_
#define OSPORT_TOOLS_OSPORT_COMMANDS_H_

#include <string>
#include <vector>

namespace osport::tool {

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
