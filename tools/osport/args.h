// The osport command line: COMMAND [OPERANDS] [--flags], help and version.
// Flag values are parsed by Abseil's flag registry (each flag's own parser);
// every problem is returned, never printed, so the caller can report it as
// one usage line (exit 2) instead of the flag library's text and exit 1.
#ifndef OSPORT_TOOLS_OSPORT_ARGS_H_
#define OSPORT_TOOLS_OSPORT_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace osport::tool {

struct CommandLine {
  std::string command;                // "" when none was given
  std::vector<std::string> operands;  // after the command
  bool help = false;                  // -h, --help, or the command `help`
  bool version = false;               // --version
};

// Parses argv[1..]; sets the tool's flags. InvalidArgument with the reason
// (unknown flag, missing or malformed value) on a usage error; `partial`
// still receives the command, for the hint.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv, CommandLine* partial);

// Whether argv asks for JSON (looked at before parsing, so that even a usage
// error found while parsing is answered in JSON).
bool ArgvWantsJson(int argc, char** argv);

// The help texts: the overview, and one per command ("" for an unknown one).
const char* OverviewHelp();
const char* CommandHelp(const std::string& command);
bool IsCommand(const std::string& command);
// Whether `command` takes flag `name` ("dry_run"): a flag it does not take
// is a usage error, never silently ignored.
bool CommandTakes(const std::string& command, absl::string_view name);

// How the tool spells a flag: "dry_run" -> "--dry-run".
std::string DashedFlag(absl::string_view name);

// Whether flag `name` ("timeout") was given on the command line (parsed by
// ParseCommandLine), as opposed to keeping its default.
bool FlagGiven(const std::string& name);

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_ARGS_H_
