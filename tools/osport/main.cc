// osport: create, inspect, grow, lock and remove shared-memory regions, and
// the multi-process demo. `osport --help` explains every command.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "os/process.h"
#include "tools/osport/cli.h"
#include "tools/osport/commands.h"

namespace {

constexpr char kUsage[] = R"(manages osport shared-memory regions.

usage: osport COMMAND [NAME] [--flags]

  demo                 the multi-process demo: --workers=4 --rounds=5000000
                       [--backend=file|sysv|posix] [--keep]
  create NAME          create a region: --size=16MiB [--backend=file|sysv|posix]
                       [--mode=0600] [--prefault]
  stat NAME            every header field, attachments (live/dead), lock owner
  list                 every region in --home, one line each
  grow NAME            grow a file-backed region: --size=32MiB
  panic NAME           mark a region panicked (every attach: run recovery)
  remove NAME          remove it (fails while others are attached); --force
                       removes even a dead, locked or corrupt region
  lock NAME            take the region lock and hold it: --hold=10s

Every command takes --home=DIR (default: the current directory) and --json.
Exit status: 0 success, 1 the operation failed (one line on stderr naming the
command, the region and the cause), 2 a usage error.)";

}  // namespace

int main(int argc, char** argv) {
  using namespace osport::tool;  // NOLINT(build/namespaces): the tool's own main
  // The demo's workers are this binary too; they take plain arguments.
  if (argc >= 2 && std::string(argv[1]) == "demo-worker") {
    return DemoWorker(std::vector<std::string>(argv + 2, argv + argc));
  }
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() < 2) {
    std::fprintf(stderr, "%s\n", kUsage);
    return kExitUsage;
  }
  const std::string cmd = rest[1];
  const std::string name = rest.size() > 2 ? rest[2] : "";
  const std::size_t want = (cmd == "demo" || cmd == "list") ? 2 : 3;
  if (rest.size() != want) {
    if (cmd != "demo" && cmd != "list" && rest.size() < 3) return Usage(absl::StrCat(cmd, " needs a region NAME"));
    return Usage(absl::StrCat("unexpected arguments for ", cmd));
  }
  if (cmd == "demo") {
    absl::StatusOr<std::string> self = osport::os::ExecutablePath();
    // Builds without /proc cannot ask: the path this tool was started by.
    if (!self.ok() && self.status().code() == absl::StatusCode::kUnimplemented) self = argv[0];
    if (!self.ok()) return Fail("demo", "", self.status());
    return Demo(*self);
  }
  if (cmd == "create") return Create(name);
  if (cmd == "stat") return StatCommand(name);
  if (cmd == "list") return List();
  if (cmd == "grow") return Grow(name);
  if (cmd == "panic") return PanicCommand(name);
  if (cmd == "remove") return RemoveCommand(name);
  if (cmd == "lock") return LockCommand(name);
  return Usage(absl::StrCat("unknown command '", cmd, "'"));
}
