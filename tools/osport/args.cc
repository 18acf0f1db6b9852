// Command-line parsing and the help texts of the osport tool.
#include "tools/osport/args.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

// The flags every command on a region takes: where the regions are, the
// answer's form, the widest mode accepted, and what the caller trusts.
constexpr char kRegionFlags[] = "home json mode trust_owner allow_sticky_home";

struct Help {
  const char* command;
  bool region_flags;  // takes kRegionFlags
  // The command's other flags (Abseil names, space-separated): any flag not
  // taken is a usage error. Its help text names every flag it takes.
  const char* flags;
  const char* text;
};

constexpr char kOverview[] = R"(osport -- manage osport shared-memory regions

usage: osport COMMAND [NAME] [--flags]
       osport help [COMMAND] | osport COMMAND --help | osport --version

commands (each takes only the flags shown here and in 'osport help COMMAND'):
  create NAME   create a region: --size=16MiB [--backend=file|sysv|posix] [--mode=0600] [--prefault]
                [--timeout=15s]
  stat NAME     every header field, attachments (live/dead), lock owner [--mode=0600]
  list          the osport regions in --home, one line each (other files are named as such) [--mode=0600]
  grow NAME     grow a file-backed region: --size=32MiB [--prefault] [--mode=0600] [--timeout=15s]
  panic NAME    mark a region panicked (every attach: run recovery) [--mode=0600] [--timeout=15s]
  recover NAME  clear a region's panic after a process died holding its lock [--dry-run] [--mode=0600]
                [--timeout=15s]
  remove NAME   remove a region (see 'osport help remove'); --force for dead, locked or corrupt ones
                [--mode=0600] [--timeout=15s]
  lock NAME     take the region lock and hold it: --hold=10s (Ctrl-C releases it) [--mode=0600]
                [--timeout=15s]
  demo          the multi-process demo in a temporary home of its own: --workers=4 --rounds=5000000
                [--backend=file|sysv|posix] [--keep] [--timeout=10m] [--json]

Every command but demo also takes --home=DIR (default: the current
directory), --json (one JSON object per answer, errors included; see
docs/tool-json.md), --trust-owner and --allow-sticky-home (below).
--mode=MODE (octal, 0600 to 0777; default 0600): for create the new
region's mode, for the other commands but demo the widest mode you accept
on an existing region -- a region created with --mode=0660 needs
--mode=0660 to be stat'ed, listed, locked or removed.
--timeout=DURATION (the commands that wait: all but stat and list): how
long to wait for a region another process is creating or removing and for
its lock (default 15s; demo: the bound of the whole run, default 10m). A
negative, zero or absurd (over 168h) duration is a usage error.
Trust (see README, "Security model"): a home, region file, stub or system
memory another user owns or can write, or with read or write bits beyond --mode, is
refused with the cause `untrusted`, naming the owner. --trust-owner=OWNER[,OWNER...]
(uids; on Win32, SIDs) names owners to trust besides you; --allow-sticky-home
accepts a --home others can write when it is sticky (like /tmp) and owned by
you, root or a trusted owner (never one another user owns). Both are
deliberate choices: trust only owners you would let write your data. Every
directory above --home must be owned by you, root or a trusted owner, and
writable by no one else unless sticky.
A file in the home that is not an osport region (your own directory,
FIFO, socket or device, or a file not osport's by the region library's
reading of its header) is refused by every command alike with the cause
`not_a_region` and never touched (another user's FIFO or directory:
`untrusted`); an empty file is a dead creator's remnant, which lock and
remove remove.
NAME: 1 to 255 bytes, not "." or "..", without '/', '\' or NUL.
Exit status: 0 success, 1 the operation failed (one line naming the command,
the region and the cause), 2 a usage error: an unknown command or flag, a
flag the command does not take, a missing or unusable value (a --backend
this platform cannot share, a duration or size out of range), or a NAME
that can never be a region; 128+N when signal N ended `lock`.
)";

constexpr Help kHelp[] = {
    {"create", true, "size backend prefault timeout",
     R"(usage: osport create NAME --size=SIZE [--backend=file|sysv|posix] [--mode=0600] [--prefault]
                     [--timeout=15s] [--home=DIR] [--json] [--trust-owner=OWNER,...] [--allow-sticky-home]

Creates region NAME in --home. SIZE is bytes or 64KiB, 16MiB, 1GiB, 1TiB
(powers of 1024; K, M, G, T mean the same; decimal KB, MB, GB are refused)
(1 byte to this build's largest region, 64 TiB on 64-bit builds unless
OSPORT_REGIONSIZE_MAX says otherwise; rounded up to whole pages, at least two). --backend: file (a mapped file),
sysv (a System V segment plus a stub file) or posix (a POSIX shared memory
object plus a stub file); one this platform cannot share is a usage error.
--mode is octal, 0600 to 0777 (the owner reads and writes), and applied
exactly whatever the umask; later commands on the region need the same
--mode (see 'osport help'). A file region's disk blocks are always reserved
at create (fallocate, or zeros written where the file system cannot: a full
disk fails the create rather than a later write, except on copy-on-write
file systems), so a 1GiB region takes 1 GiB of disk at once; --prefault
also faults every page in. --timeout: how long to wait while another process removes a
region of that name. Fails with already_exists at once if NAME exists, even
while another process holds its lock.
)"},
    {"stat", true, "",
     R"(usage: osport stat NAME [--mode=0600] [--home=DIR] [--json] [--trust-owner=OWNER,...] [--allow-sticky-home]

Prints every header field of region NAME, its attachments (alive or dead) and
the lock owner. Never attaches, never takes the lock, never waits.
)"},
    {"list", true, "",
     R"(usage: osport list [--mode=0600] [--home=DIR] [--json] [--trust-owner=OWNER,...] [--allow-sticky-home]

Lists the osport regions and stubs in --home (each read as 'osport stat'
reads it, never mapped writable). Other files are listed as "not an osport
region" and never touched. Never attaches and never waits.
)"},
    {"grow", true, "size prefault timeout",
     R"(usage: osport grow NAME --size=SIZE [--prefault] [--mode=0600] [--timeout=15s]
                   [--home=DIR] [--json] [--trust-owner=OWNER,...] [--allow-sticky-home]

Grows region NAME to SIZE under its lock (waiting at most --timeout for
it); --prefault faults the new pages in. Only file-backed regions can grow;
SysV and POSIX regions keep their size (create them larger instead).
)"},
    {"panic", true, "timeout",
     R"(usage: osport panic NAME [--mode=0600] [--timeout=15s] [--home=DIR] [--json]
                    [--trust-owner=OWNER,...] [--allow-sticky-home]

Marks region NAME panicked: every later attach gets run_recovery. Waits at
most --timeout for the region lock.
)"},
    {"remove", true, "force timeout",
     R"(usage: osport remove NAME [--force] [--mode=0600] [--timeout=15s] [--home=DIR] [--json]
                     [--trust-owner=OWNER,...] [--allow-sticky-home]

Removes region NAME. Without --force it joins the region and marks it for
removal: "removed" if nothing else is attached; otherwise "marked": the
region stays usable, the last process to detach removes it, and the answer
is still a success (exit 0). It waits for the region lock at most --timeout
(default 15s), saying so when another process holds it; then it fails with
timed_out and marks nothing. --force never attaches: it removes the memory
the stub names and the file, even for a dead, locked or corrupt region; it
waits at most --timeout for a process that is creating or destroying the
region (or another --force of it) to finish, then fails with not_ready and
removes nothing. Processes still attached keep the removed region's memory
(and never see a region made under NAME afterwards): --force names them. Both
refuse files that are not osport regions or stubs. Memory that cannot be
verified as the stub's own (another user's, another token) is never removed:
--force then removes the stub only and fails (untrusted or corrupt), naming
the memory it left. --force on a NAME that does not exist succeeds (like
rm -f) and says "nothing to remove". --mode: the widest mode you accept
(default 0600; --force accepts any mode of your own file). There is no
dry run: 'osport stat NAME' shows what there is.
)"},
    {"recover", true, "dry_run timeout",
     R"(usage: osport recover NAME [--dry-run] [--mode=0600] [--timeout=15s] [--home=DIR] [--json]
                      [--trust-owner=OWNER,...] [--allow-sticky-home]

Joins region NAME for recovery (a panicked region, or one whose lock holder
died: taken over), reports what it found -- panicked or not, a dead lock
holder, dead attachments -- and clears the panic so that every process's
next lock works again, keeping the data. osport cannot check your data's
invariants: repair them first (or accept them). Joining also drops dead
processes' attachments, and removes a stub whose memory is gone or a file a
dead creator left unfinished (when nobody is attached).
--dry-run never joins and changes nothing: it reads the region as 'osport
stat' does and reports what it found -- panicked, a dead lock holder (a
real recover would take the lock over and mark the region panicked before
clearing it), dead attachments, memory gone, not initialised -- and what a
real recover would do.
)"},
    {"lock", true, "hold timeout",
     R"(usage: osport lock NAME [--hold=10s] [--mode=0600] [--timeout=15s] [--home=DIR] [--json]
                   [--trust-owner=OWNER,...] [--allow-sticky-home]

Takes the lock of region NAME (waiting at most --timeout), says so at once
("holding the lock ..."; with --json an object with "event":"locked"), holds
it for --hold (0s to 168h), then releases it and detaches. SIGINT, SIGTERM
and SIGHUP release the lock and detach cleanly, then end the tool with
status 128 + the signal number.
)"},
    {"demo", false, "json workers rounds backend keep timeout",
     R"(usage: osport demo [--workers=4] [--rounds=5000000] [--backend=file|sysv|posix] [--keep]
                   [--timeout=10m] [--json]

Runs N worker processes (--workers, 2 to 16) against one region in a fresh
temporary home of its own (so it takes no home, mode or trust flags):
they race to create it, count under its lock (--rounds each), one grows it
(file backend; the sysv and posix backends cannot grow, and the demo says so
and skips that step), one is killed holding the lock and the next locker
recovers. The parent checks the counter and that nothing is left behind,
even when a step fails; --keep keeps the region and its home for 'osport
stat'. After --timeout (or on SIGINT, SIGTERM, SIGHUP) it kills the workers,
removes the region and its memory, and fails.
)"},
    {"help", false, "",
     R"(usage: osport help [COMMAND]

Prints the overview, or the help of COMMAND.
)"},
};

// What a flag's value looks like, for the usage line (the flag library's
// own text only repeats the value and its internal flag name).
const char* ExpectedValue(const absl::CommandLineFlag& flag) {
  if (flag.IsOfType<bool>()) return "true or false";
  if (flag.IsOfType<int>()) return "a whole number";
  if (flag.IsOfType<absl::Duration>()) return "a duration like 10s, 500ms or 2m";
  return "see the help";
}

const Help* FindHelp(absl::string_view command) {
  for (const Help& h : kHelp) {
    if (command == h.command) return &h;
  }
  return nullptr;
}

}  // namespace

const char* OverviewHelp() { return kOverview; }

const char* CommandHelp(const std::string& command) {
  const Help* h = FindHelp(command);
  return h == nullptr ? "" : h->text;
}

bool CommandTakes(const std::string& command, absl::string_view flag) {
  const Help* h = FindHelp(command);
  if (h == nullptr) return false;
  for (const char* list : {h->region_flags ? kRegionFlags : "", h->flags}) {
    for (absl::string_view f : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
      if (f == flag) return true;
    }
  }
  return false;
}

std::string DashedFlag(absl::string_view name) {
  std::string dashed = absl::StrCat("--", name);
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  return dashed;
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

namespace {

// One flag as the command line gave it, parsed once the command is known.
struct GivenFlag {
  absl::CommandLineFlag* flag;
  std::string spelled;  // "--force", "--noforce": how the message names it
  std::string value;
};

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv, CommandLine* partial) {
  CommandLine& cl = *partial;
  std::vector<std::string> positional;
  std::vector<GivenFlag> flags;
  // The first problem, in argv order; the scan goes on so that `partial`
  // still gets the command and the NAME (the JSON error names the region).
  absl::Status first = absl::OkStatus();
  const auto note = [&first](absl::Status s) {
    if (first.ok()) first = std::move(s);
  };
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      positional.emplace_back(arg);
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
    std::string dashed(body), value;
    bool has_value = false;
    if (const std::size_t eq = dashed.find('='); eq != std::string::npos) {
      value = dashed.substr(eq + 1);
      dashed.resize(eq);
      has_value = true;
    }
    // --dry-run and --dry_run alike.
    std::replace(dashed.begin(), dashed.end(), '-', '_');
    const absl::string_view name = dashed;
    absl::CommandLineFlag* flag = IsToolFlag(name) ? absl::FindCommandLineFlag(name) : nullptr;
    std::string spelled = DashedFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no") && !has_value) {
      // --nojson, --noforce...: Abseil's spelling of a false boolean.
      flag = IsToolFlag(name.substr(2)) ? absl::FindCommandLineFlag(name.substr(2)) : nullptr;
      if (flag != nullptr && flag->IsOfType<bool>()) {
        value = "false";
        has_value = true;
      } else {
        flag = nullptr;
      }
    }
    if (flag == nullptr) {
      note(Bad(absl::StrCat("unknown flag '", arg, "'")));
      continue;
    }
    if (!has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc && !absl::StartsWith(argv[i + 1], "--")) {
        value = argv[++i];
      } else {
        // `--home --json`: the next flag is never taken as the value (it is
        // parsed as the flag it is, so a JSON answer stays JSON).
        note(Bad(i + 1 < argc ? absl::StrCat(spelled, " needs a value (the next argument '", argv[i + 1],
                                             "' is a flag; write ", spelled, "=VALUE)")
                              : absl::StrCat(spelled, " needs a value")));
        continue;
      }
    } else if (name == "home" && absl::StartsWith(value, "--")) {
      // A path where a flag was meant (`--home=--json`): never a home.
      note(Bad(absl::StrCat(spelled, " needs a directory, not '", value, "' (write ./", value,
                            " for a directory of that name)")));
      continue;
    }
    flags.push_back(GivenFlag{flag, std::move(spelled), std::move(value)});
  }
  if (!positional.empty()) {
    cl.command = positional[0];
    cl.operands.assign(positional.begin() + 1, positional.end());
  }
  if (cl.command == "help") {
    cl.help = true;
    cl.command = cl.operands.empty() ? "" : cl.operands[0];
    if (cl.operands.size() > 1) note(Bad("help takes at most one COMMAND"));
    cl.operands.clear();
  }
  if (!cl.command.empty() && !IsCommand(cl.command)) {
    const std::string c = cl.command;
    cl.command.clear();
    note(Bad(absl::StrCat("unknown command '", c, "'")));
  }
  if (!first.ok()) return first;
  // Help and --version answer whatever else was given; a command takes only
  // its own flags (a flag meant for another command is never ignored).
  if (!cl.help && !cl.version && !cl.command.empty()) {
    for (const GivenFlag& f : flags) {
      if (!CommandTakes(cl.command, f.flag->Name())) {
        return Bad(absl::StrCat(f.spelled, " is not an option of '", cl.command, "'"));
      }
    }
  }
  for (const GivenFlag& f : flags) {
    std::string error;
    if (!f.flag->ParseFrom(f.value, &error)) {
      return Bad(absl::StrCat("bad value '", f.value, "' for ", DashedFlag(f.flag->Name()), " (",
                              ExpectedValue(*f.flag), ")"));
    }
    Given().insert(std::string(f.flag->Name()));
  }
  return cl;
}

}  // namespace osport::tool
