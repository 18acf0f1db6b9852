// osport: create, inspect, grow, lock and remove shared-memory regions, and
// the multi-process demo. `osport --help` explains every command.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "os/process.h"
#include "region/options.h"
#include "tools/osport/args.h"
#include "tools/osport/cli.h"
#include "tools/osport/commands.h"
#include "tools/osport/demo.h"

#ifndef OSPORT_VERSION
#error "the build defines OSPORT_VERSION (tools/osport/CMakeLists.txt)"
#endif

namespace {

int Run(int argc, char** argv) {
  using namespace osport::tool;  // NOLINT(build/namespaces): the tool's own main
  // The demo's workers are this binary too; they take plain arguments.
  if (argc >= 2 && std::string(argv[1]) == "demo-worker") {
    return DemoWorker(std::vector<std::string>(argv + 2, argv + argc));
  }
  absl::SetFlag(&FLAGS_json, ArgvWantsJson(argc, argv));
  CommandLine partial;
  absl::StatusOr<CommandLine> parsed = ParseCommandLine(argc, argv, &partial);
  // Usage errors carry what every other error of the command does: its op
  // and the region it names (the demo's is always its own).
  const auto region_of = [](const CommandLine& cl) -> std::string {
    if (cl.command == "demo") return kDemoRegionName;
    return cl.command.empty() || cl.command == "list" || cl.operands.empty() ? "" : cl.operands[0];
  };
  if (!parsed.ok()) return Usage(partial.command, parsed.status().message(), region_of(partial));
  const CommandLine& cl = *parsed;
  const std::string& cmd = cl.command;
  if (cl.version) {
    if (WantJson()) {
      Json j = Answer(true, "version", "");
      j["version"] = OSPORT_VERSION;
      PrintJson(j);
    } else {
      std::printf("osport %s\n", OSPORT_VERSION);
    }
    return 0;
  }
  if (cl.help) {
    // Help is for people: text, on stdout, exit 0, with or without --json.
    std::fputs(cmd.empty() ? OverviewHelp() : CommandHelp(cmd), stdout);
    return 0;
  }
  if (cmd.empty()) return Usage("", "no command given");
  const bool no_name = cmd == "demo" || cmd == "list";
  const std::string given = region_of(cl);
  if (absl::Status s = ValidateFlags(); !s.ok()) return Usage(cmd, s.message(), given);
  const std::size_t want = no_name ? 0 : 1;
  if (cl.operands.size() < want) return Usage(cmd, absl::StrCat(cmd, " needs a region NAME"), given);
  if (cl.operands.size() > want) {
    return Usage(cmd, absl::StrCat("unexpected argument '", cl.operands[want], "' for ", cmd), given);
  }
  const bool needs_size = cmd == "create" || cmd == "grow";
  if (needs_size && absl::GetFlag(FLAGS_size).empty()) {
    return Usage(cmd, absl::StrCat(cmd, " needs --size (bytes, or e.g. 64KiB, 16MiB, 1GiB)"), given);
  }
  const std::string name = no_name ? "" : cl.operands[0];
  // A NAME that can never be a region is the command line's fault (exit 2).
  if (!no_name) {
    if (absl::Status s = osport::region::ValidateRegionName(name); !s.ok()) return Usage(cmd, s.message(), name);
  }
  if (cmd == "demo") {
    absl::StatusOr<std::string> self = osport::os::ExecutablePath();
    // Builds without /proc cannot ask: the path this tool was started by.
    if (!self.ok() && self.status().code() == absl::StatusCode::kUnimplemented) self = argv[0];
    if (!self.ok()) return Fail("demo", "", self.status());
    return Demo(*self);
  }
  if (int code = RefuseMissingHome(cmd, name); code >= 0) return code;
  if (cmd == "create") return Create(name);
  if (cmd == "stat") return StatCommand(name);
  if (cmd == "list") return List();
  if (cmd == "grow") return Grow(name);
  if (cmd == "panic") return PanicCommand(name);
  if (cmd == "remove") return RemoveCommand(name);
  if (cmd == "recover") return RecoverCommand(name);
  if (cmd == "lock") return LockCommand(name);
  return Usage("", absl::StrCat("unknown command '", cmd, "'"));
}

}  // namespace

int main(int argc, char** argv) {
  const int code = Run(argc, argv);
  // An answer that could not be written (a full disk, a closed pipe) is not
  // a success: like coreutils, say so on stderr and exit 1 (review 6: '>
  // /dev/full' exited 0). The command's own failure code is kept.
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    std::fprintf(stderr, "osport: writing the output failed: %s\n", std::strerror(errno));
    return code == 0 ? 1 : code;
  }
  return code;
}
