// Command-line parsing and the help texts of the osport tool.
#include "tools/osport/args.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "os/error.h"

namespace osport::tool {
namespace {

// The tool's own flags; Abseil's built-in ones (--flagfile, --fromenv...)
// are not part of its interface.
constexpr const char* kFlags[] = {"home", "json", "size", "backend", "mode", "prefault",
                                  "force", "hold", "workers", "rounds", "keep", "timeout",
                                  "dry_run", "trust_owner", "allow_sticky_home"};

std::set<std::string>& Given() {
  static std::set<std::string>* given = new std::set<std::string>;
  return *given;
}

bool IsToolFlag(absl::string_view name) {
  for (const char* f : kFlags) {
    if (name == f) return true;
  }
  return false;
}

absl::Status Bad(absl::string_view message) {
  return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL, message);
}

struct Help {
  const char* command;
  const char* text;
};

constexpr char kOverview[] = R"(osport -- manage osport shared-memory regions

usage: osport COMMAND [NAME] [--flags]
       osport help [COMMAND] | osport COMMAND --help | osport --version

commands:
  create NAME   create a region: --size=16MiB [--backend=file|sysv|posix] [--mode=0600] [--prefault]
  stat NAME     every header field, attachments (live/dead), lock owner
  list          the osport regions in --home, one line each (other files are named as such)
  grow NAME     grow a file-backed region: --size=32MiB
  panic NAME    mark a region panicked (every attach: run recovery)
  recover NAME  clear a region's panic after a process died holding its lock [--dry-run]
  remove NAME   remove a region (see 'osport help remove'); --force for dead, locked or corrupt ones
  lock NAME     take the region lock and hold it: --hold=10s (Ctrl-C releases it)
  demo          the multi-process demo: --workers=4 --rounds=5000000 [--backend=file|sysv|posix]
                [--keep] [--timeout=10m]

Every command takes --home=DIR (default: the current directory), --json
(one JSON object per answer, errors included; see docs/tool-json.md),
--mode=MODE (octal, 0600 to 0777; default 0600): for create the new region's
mode, for every command on an existing region the widest mode you accept --
a region created with --mode=0660 needs --mode=0660 to be stat'ed, locked or
removed -- and --timeout=DURATION: how long to wait for a region another process is
creating or removing and for its lock (default 15s; demo: the bound of the
whole run, default 10m). A negative, zero or absurd (over 168h) duration is
a usage error.
Trust (see README, "Security model"): a home, region file, stub or system
memory another user owns or can write, or with write bits beyond --mode, is
refused with the cause `untrusted`, naming the owner. --trust-owner=UID[,UID...] (Win32: SIDs)
names owners to trust besides you; --allow-sticky-home accepts a --home
others own or can write when it is sticky (like /tmp). Both are deliberate
choices: trust only owners you would let write your data.
A file in the home that is not an osport region (not a regular file, or a
magic that is not osport's) is refused by every command with the cause
`not_a_region` and never touched.
Exit status: 0 success, 1 the operation failed (one line naming the command,
the region and the cause), 2 a usage error (also a NAME that can never be a
region: empty, ".", "..", with '/', over 255 bytes), 128+N when signal N
ended `lock`.
)";

constexpr Help kHelp[] = {
    {"create", R"(usage: osport create NAME --size=SIZE [--backend=file|sysv|posix] [--mode=0600] [--prefault]

Creates region NAME in --home. SIZE is bytes or 64KiB, 16MiB, 1GiB, 1TiB
(1 byte to this build's largest region, 64 TiB on 64-bit builds unless
OSPORT_REGIONSIZE_MAX says otherwise; rounded up to the page size). --backend: file (a mapped file),
sysv (a System V segment plus a stub file) or posix (a POSIX shared memory
object plus a stub file). --mode is octal, 0600 to 0777 (the owner reads
and writes), and applied exactly whatever the umask; later commands on the
region need the same --mode (see 'osport help'). Fails with already_exists
if NAME exists.
)"},
    {"stat", R"(usage: osport stat NAME [--json] [--mode=0600]

Prints every header field of region NAME, its attachments (alive or dead) and
the lock owner. Never attaches and never takes the lock.
)"},
    {"list", R"(usage: osport list [--json] [--mode=0600]

Lists the osport regions and stubs in --home (the header magic is read with
an ordinary read first). Other files are listed as "not an osport region" and
never touched.
)"},
    {"grow", R"(usage: osport grow NAME --size=SIZE [--mode=0600]

Grows region NAME to SIZE under its lock. Only file-backed regions can grow;
SysV and POSIX regions keep their size (create them larger instead).
)"},
    {"panic", R"(usage: osport panic NAME [--mode=0600]

Marks region NAME panicked: every later attach gets run_recovery.
)"},
    {"remove", R"(usage: osport remove NAME [--force] [--mode=0600]

Removes region NAME. Without --force it joins the region and marks it for
removal: "removed" if nothing else is attached; otherwise "marked": the
region stays usable, the last process to detach removes it, and the answer
is still a success (exit 0). It waits for the region lock at most --timeout
(default 15s), saying so when another process holds it; then it fails with
timed_out and marks nothing. --force never attaches: it removes the memory
the stub names and the file, even for a dead, locked or corrupt region. Both
refuse files that are not osport regions or stubs. Memory that cannot be
verified as the stub's own (another user's, another token) is never removed:
--force then removes the stub only and fails (untrusted or corrupt), naming
the memory it left. --force on a NAME that does not exist succeeds (like
rm -f) and says "nothing to remove". --mode: the widest mode you accept
(default 0600; --force accepts any mode of your own file).
)"},
    {"recover", R"(usage: osport recover NAME [--dry-run] [--mode=0600]

Joins region NAME for recovery (a panicked region, or one whose lock holder
died: taken over), reports what it found -- panicked or not, a dead lock
holder, dead attachments -- and clears the panic so that every process's
next lock works again, keeping the data. osport cannot check your data's
invariants: repair them first (or accept them). --dry-run reports and
changes nothing (a dead lock holder still marks the region panicked).
)"},
    {"lock", R"(usage: osport lock NAME [--hold=10s] [--mode=0600]

Takes the lock of region NAME, says so at once ("holding the lock ..."; with
--json an object with "event":"locked"), holds it for --hold (0s to 168h),
then releases it and detaches. SIGINT, SIGTERM and SIGHUP release the lock
and detach cleanly, then end the tool with status 128 + the signal number.
)"},
    {"demo", R"(usage: osport demo [--workers=4] [--rounds=5000000] [--backend=file|sysv|posix] [--keep]
                   [--timeout=10m]

Runs N worker processes against one region in a fresh temporary home: they
race to create it, count under its lock, one grows it (file backend; the
sysv and posix backends cannot grow, and the demo says so and skips that
step), one is killed holding the lock and the next locker recovers. The
parent checks the counter and that nothing is left behind, even when a step
fails. After --timeout (or on SIGINT, SIGTERM, SIGHUP) it kills the workers,
removes the region and its memory, and fails.
)"},
    {"help", R"(usage: osport help [COMMAND]

Prints the overview, or the help of COMMAND.
)"},
};

}  // namespace

const char* OverviewHelp() { return kOverview; }

const char* CommandHelp(const std::string& command) {
  for (const Help& h : kHelp) {
    if (command == h.command) return h.text;
  }
  return "";
}

bool IsCommand(const std::string& command) { return *CommandHelp(command) != '\0'; }

bool FlagGiven(const std::string& name) { return Given().count(name) != 0; }

bool ArgvWantsJson(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--json" || a == "-json" || a == "--json=true" || a == "--json=1") json = true;
    if (a == "--nojson" || a == "--json=false" || a == "--json=0") json = false;
  }
  return json;
}

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv, CommandLine* partial) {
  CommandLine& cl = *partial;
  std::vector<std::string> positional;
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      positional.emplace_back(arg);
      if (positional.size() == 1) cl.command = positional[0];
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      cl.help = true;
      continue;
    }
    if (arg == "--version" || arg == "-version") {
      cl.version = true;
      continue;
    }
    absl::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string dashed(body), value_text;
    absl::string_view value;
    bool has_value = false;
    if (const std::size_t eq = dashed.find('='); eq != std::string::npos) {
      value_text = dashed.substr(eq + 1);
      dashed.resize(eq);
      value = value_text;
      has_value = true;
    }
    // --dry-run and --dry_run alike.
    std::replace(dashed.begin(), dashed.end(), '-', '_');
    const absl::string_view name = dashed;
    absl::CommandLineFlag* flag = IsToolFlag(name) ? absl::FindCommandLineFlag(name) : nullptr;
    std::string owned;
    if (flag == nullptr && absl::StartsWith(name, "no") && !has_value) {
      // --nojson, --noforce...: Abseil's spelling of a false boolean.
      flag = IsToolFlag(name.substr(2)) ? absl::FindCommandLineFlag(name.substr(2)) : nullptr;
      if (flag != nullptr && flag->IsOfType<bool>()) {
        owned = "false";
        value = owned;
        has_value = true;
      } else {
        flag = nullptr;
      }
    }
    if (flag == nullptr) return Bad(absl::StrCat("unknown flag '", arg, "'"));
    if (!has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return Bad(absl::StrCat("--", name, " needs a value"));
      }
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return Bad(absl::StrCat("bad value '", value, "' for --", name, ": ", error));
    }
    Given().insert(std::string(flag->Name()));
  }
  if (!positional.empty()) {
    cl.operands.assign(positional.begin() + 1, positional.end());
  }
  if (cl.command == "help") {
    cl.help = true;
    cl.command = cl.operands.empty() ? "" : cl.operands[0];
    if (cl.operands.size() > 1) return Bad("help takes at most one COMMAND");
    cl.operands.clear();
  }
  if (!cl.command.empty() && !IsCommand(cl.command) && cl.command != "demo-worker") {
    const std::string c = cl.command;
    cl.command.clear();
    return Bad(absl::StrCat("unknown command '", c, "'"));
  }
  return cl;
}

}  // namespace osport::tool
