// Flags, their validation, size parsing, JSON answers and error lines.
#include "tools/osport/cli.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "os/config.h"
#include "os/error.h"
#include "os/trust.h"
#include "region/errors.h"
#include "tools/osport/args.h"
#include "tools/osport/names.h"

ABSL_FLAG(std::string, home, ".", "directory the regions live in");
ABSL_FLAG(bool, json, false, "print machine-readable JSON instead of text");
ABSL_FLAG(std::string, size, "", "region size for create/grow: bytes or 64KiB, 16MiB, 1GiB");
ABSL_FLAG(std::string, backend, "file", "memory for create and demo: file, sysv or posix");
ABSL_FLAG(std::string, mode, "0600",
          "create: the new region's permissions (octal, applied exactly); every other command: the "
          "widest mode you accept on an existing region -- read or write bits beyond it are untrusted");
ABSL_FLAG(bool, prefault, false, "create, grow: fault every page in (file regions' disk blocks are always reserved)");
ABSL_FLAG(bool, force, false, "remove: never attach; works on dead, locked or corrupt regions");
ABSL_FLAG(absl::Duration, hold, absl::Seconds(10), "lock: how long to hold the region lock");
ABSL_FLAG(int, workers, 4, "demo: worker processes (2-16)");
ABSL_FLAG(int, rounds, 5000000, "demo: lock/increment/unlock rounds per worker");
ABSL_FLAG(absl::Duration, timeout, absl::Minutes(10),
          "how long to wait for a region being created or removed and for its lock (default 15s); "
          "demo: give up (kill the workers, clean up) after this long (default 10m)");
ABSL_FLAG(bool, dry_run, false, "recover: report what it finds, change nothing");
ABSL_FLAG(bool, keep, false, "demo: keep the region and its home for `osport stat`");
ABSL_FLAG(std::vector<std::string>, trust_owner, {},
          "owners to trust besides you, comma-separated: uids (1000) or Win32 SIDs (S-1-5-...); "
          "their region files, stubs, memory and homes are used as if yours");
ABSL_FLAG(bool, allow_sticky_home, false,
          "accept a --home others own or can write when it is a sticky directory (like /tmp)");

namespace osport::tool {

std::uint64_t MaxSizeArg() { return os::config::kRegionSizeMax; }

absl::StatusOr<std::uint64_t> ParseSize(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  // Decimal units are a different size (64KB is 64,000 bytes to some, 65,536
  // to others): refused by name, not as a bare bad value.
  for (const char* decimal : {"kb", "mb", "gb", "tb", "pb"}) {
    if (absl::EndsWith(t, decimal)) {
      return os::PortableError(
          absl::StatusCode::kInvalidArgument, EINVAL,
          absl::StrCat("bad --size '", text, "': decimal units (KB, MB, GB, TB) are not accepted; sizes are ",
                       "powers of 1024: write KiB, MiB, GiB, TiB (or K, M, G, T), e.g. 64KiB = 65536 bytes"));
    }
  }
  std::uint64_t unit = 1;
  for (auto [suffix, mult] : {std::pair<const char*, std::uint64_t>{"kib", 1ull << 10}, {"mib", 1ull << 20},
                              {"gib", 1ull << 30}, {"tib", 1ull << 40}, {"pib", 1ull << 50},
                              {"k", 1ull << 10}, {"m", 1ull << 20}, {"g", 1ull << 30}, {"t", 1ull << 40},
                              {"p", 1ull << 50}, {"b", 1}}) {
    if (absl::EndsWith(t, suffix)) {
      t.resize(t.size() - std::string(suffix).size());
      unit = mult;
      break;
    }
  }
  std::uint64_t n = 0;
  // SimpleAtoi accepts a sign; a size never has one.
  const std::uint64_t max = MaxSizeArg();
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || !absl::SimpleAtoi(t, &n) ||
      n > max / unit || n == 0 || region::RoundRegionSize(n * unit) > max) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrCat("bad --size '", text, "' (1 byte to ", HumanSize(max),
                                          ", this build's largest region: bytes or e.g. 64KiB, 16MiB, "
                                          "1GiB)"));
  }
  return n * unit;
}

std::string HumanSize(std::uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  std::uint64_t v = bytes;
  while (u < 5 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  return absl::StrCat(v, " ", units[u]);
}

namespace {

absl::Status Bad(absl::string_view message) {
  return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL, message);
}

// "file, sysv or posix": the backends a named region can use here.
std::string SharedBackends() {
  std::vector<std::string> names;
  for (os::Backend b : {os::Backend::kFile, os::Backend::kSysV, os::Backend::kPosixShm, os::Backend::kPagingFile}) {
    if (os::BackendShared(b) && os::BackendSupported(b)) names.emplace_back(os::BackendName(b));
  }
  if (names.size() < 2) return absl::StrJoin(names, "");
  return absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "), " or ", names.back());
}

// The region module's rule (region/options.cc): permission bits only, and
// the owner reads and writes.
absl::StatusOr<std::uint32_t> ParseMode(const std::string& m) {
  const bool octal = !m.empty() && m.size() <= 4 && m.find_first_not_of("01234567") == std::string::npos;
  const std::uint32_t mode = octal ? static_cast<std::uint32_t>(std::stoul(m, nullptr, 8)) : 0;
  if (!octal || (mode & ~0777u) != 0 || (mode & 0600u) != 0600u) {
    return Bad(absl::StrCat("bad --mode '", m,
                            "' (octal 0600 to 0777, like 0600 or 0660: the owner must read and write; "
                            "no setuid, setgid or sticky bits)"));
  }
  return mode;
}

}  // namespace

absl::Status ValidateFlags() {
  if (const std::string size = absl::GetFlag(FLAGS_size); !size.empty()) {
    if (absl::StatusOr<std::uint64_t> n = ParseSize(size); !n.ok()) return n.status();
  } else if (FlagGiven("size")) {
    return Bad("--size needs a value (bytes, or e.g. 64KiB, 16MiB, 1GiB)");
  }
  if (absl::StatusOr<std::uint32_t> m = ParseMode(absl::GetFlag(FLAGS_mode)); !m.ok()) return m.status();
  // A backend the tool cannot use for a named region here (a private one,
  // or one this platform lacks) is as unusable as a misspelt one.
  const std::string backend = absl::GetFlag(FLAGS_backend);
  if (absl::StatusOr<os::Backend> b = os::ParseBackend(backend);
      !b.ok() || !os::BackendShared(*b) || !os::BackendSupported(*b)) {
    return Bad(absl::StrCat("bad --backend '", backend, "' (", SharedBackends(),
                            ": the shared memory this platform has)"));
  }
  const absl::Duration hold = absl::GetFlag(FLAGS_hold);
  if (hold < absl::ZeroDuration() || hold > kMaxHold) {
    return Bad(absl::StrCat("bad --hold '", ShownDuration(hold), "' (0s to 168h, like 10s or 500ms)"));
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  if (timeout <= absl::ZeroDuration() || timeout > kMaxHold) {
    return Bad(absl::StrCat("bad --timeout '", ShownDuration(timeout), "' (above 0s, up to 168h)"));
  }
  const int workers = absl::GetFlag(FLAGS_workers);
  if (workers < kMinWorkers || workers > kMaxWorkers) {
    return Bad(absl::StrCat("bad --workers ", workers, " (", kMinWorkers, "-", kMaxWorkers, ")"));
  }
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < kMinRounds || rounds > kMaxRounds) {
    return Bad(absl::StrCat("bad --rounds ", rounds, " (", kMinRounds, "-", kMaxRounds, ")"));
  }
  if (absl::GetFlag(FLAGS_home).empty()) return Bad("--home must not be empty");
  // Owners in the form this platform's files have (os/trust.h): uids on
  // POSIX, SIDs on Win32; the other form could never match an owner.
  const char* const form = os::config::kWin32 ? "a SID like S-1-5-21-..." : "a uid like 1000";
  const std::vector<std::string> owners = absl::GetFlag(FLAGS_trust_owner);
  if (FlagGiven("trust_owner") && owners.empty()) {
    return Bad(absl::StrCat("--trust-owner needs a value (", form, ")"));
  }
  for (const std::string& owner : owners) {
    std::uint32_t uid = 0;
    // (uid_t)-1 is no user: chown(2)'s "leave unchanged".
    const bool number = !owner.empty() && owner.find_first_not_of("0123456789") == std::string::npos &&
                        absl::SimpleAtoi(owner, &uid) && uid != UINT32_MAX;
    const bool sid = absl::StartsWith(owner, "S-1-") && owner.size() > 4 &&
                     owner.find_first_not_of("S0123456789-") == std::string::npos;
    if (os::config::kWin32 ? !sid : !number) {
      return Bad(absl::StrCat("bad --trust-owner '", owner, "' (", form, ")"));
    }
  }
  return absl::OkStatus();
}

region::RegionOptions OptionsFor(const std::string& name) {
  region::RegionOptions o;
  o.home = absl::GetFlag(FLAGS_home);
  o.name = name;
  o.create = false;
  // ValidateFlags checked every value before any command runs.
  if (const std::string size = absl::GetFlag(FLAGS_size); !size.empty()) o.size = ParseSize(size).value_or(0);
  // --backend is for create (and the demo): every other command takes the
  // region whatever its backend (a set backend is a join's requirement).
  o.mode = ParseMode(absl::GetFlag(FLAGS_mode)).value_or(0600);
  o.prefault = absl::GetFlag(FLAGS_prefault);
  o.retry.attempts = 3;
  o.retry.backoff = absl::Milliseconds(200);
  // --timeout bounds every wait of the attach, the region lock's included
  // (RegionOptions' default otherwise).
  if (FlagGiven("timeout")) o.attach_timeout = absl::GetFlag(FLAGS_timeout);
  // The trust boundary's two explicit allowances (os/trust.h): nothing is
  // trusted beyond the caller unless named here.
  o.trust.trusted_owners = absl::GetFlag(FLAGS_trust_owner);
  o.trust.allow_sticky_shared_home = absl::GetFlag(FLAGS_allow_sticky_home);
  return o;
}

bool WantJson() { return absl::GetFlag(FLAGS_json); }

Json Answer(bool ok, absl::string_view op, absl::string_view region) {
  Json j;
  j["ok"] = ok;
  j["op"] = std::string(op);
  if (!region.empty()) {
    j["region"] = std::string(region);
    if (!IsUtf8(region)) j["region_hex"] = Hex(region);
  }
  return j;
}

void PrintJson(const Json& j) {
  // nlohmann escapes only C0 controls: C1 controls, line separators and
  // bidi controls are escaped here (names.h).
  std::printf("%s\n", EscapeJsonInvisibles(j.dump(-1, ' ', false, Json::error_handler_t::replace)).c_str());
  std::fflush(stdout);
}

void PrintOk(absl::string_view op, absl::string_view name, const std::string& text, Json fields) {
  if (WantJson()) {
    Json j = Answer(true, op, name);
    j.update(fields);
    PrintJson(j);
  } else {
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }
}

std::string CauseOf(const absl::Status& s) {
  const region::RegionErrc e = region::RegionErrcOf(s);
  if (e != region::RegionErrc::kNone) return std::string(region::RegionErrcName(e));
  // Another user's (or a link's, a FIFO's...) object: its own word, not the
  // generic permission_denied a plain EACCES gets.
  if (os::IsUntrusted(s)) return "untrusted";
  // Damaged shared data os/ found (a lock word naming an impossible owner).
  if (os::IsCorrupt(s)) return "corrupt";
  return absl::AsciiStrToLower(absl::StatusCodeToString(s.code()));
}

std::string ToolMessage(absl::string_view message, absl::string_view region) {
  const std::string name = region.empty() ? std::string("NAME") : std::string(region);
  const std::string recover = absl::StrCat("osport recover ", name);
  std::string out = absl::StrReplaceAll(
      message,
      {{"(attach with RegionOptions::recover, repair, Region::ClearPanic)",
        absl::StrCat("(repair the data, then ", recover, ")")},
       {"attach with RegionOptions::recover to repair it and ClearPanic()",
        absl::StrCat("repair the data, then ", recover)},
       {"repair the data, or Panic()", absl::StrCat("repair the data, or osport panic ", name)},
       {"allow_sticky_shared_home accepts it", "--allow-sticky-home accepts it"},
       {"nor an owner you trust", "nor an owner you trust (--trust-owner)"},
       {"within the attach timeout (", "within --timeout ("},
       {"so that remove --force", "so that osport remove --force"},
       {"it is: remove --force", "it is: osport remove --force"},
       {"or use the file backend", "or use --backend=file"},
       {"or use the posix or file backend", "or use --backend=posix or --backend=file"}});
  // os/trust.h's "write bits 0020 beyond the 0600 asked for" (or read
  // bits): asked with --mode.
  if (const std::size_t beyond = out.find("beyond the "); beyond != std::string::npos) {
    const std::size_t asked = out.find(" asked for", beyond);
    if (asked != std::string::npos && asked - beyond <= 16) out.insert(asked + 10, " with --mode");
  }
  return out;
}

std::string Reason(absl::string_view message, absl::string_view op, absl::string_view region,
                   absl::string_view cause) {
  // The library's own context annotations (os::Annotate: "remove region N: ",
  // "region N: ") name what the answer names already.
  constexpr const char* kVerbs[] = {"attach", "detach", "remove", "grow", "remap", "create", "stat"};
  std::string text(message);
  if (!region.empty()) {
    std::vector<std::pair<std::string, std::string>> drop;
    for (const char* verb : kVerbs) drop.emplace_back(absl::StrCat(verb, " region ", region, ": "), "");
    drop.emplace_back(absl::StrCat(op, " region ", region, ": "), "");
    drop.emplace_back(absl::StrCat("region ", region, ": "), "");
    text = absl::StrReplaceAll(text, drop);
  }
  // Then whole ": "-separated pieces that are only the operation or the
  // cause word ("remove: ", "untrusted: "), which the line names before.
  std::vector<absl::string_view> kept;
  for (absl::string_view piece : absl::StrSplit(text, ": ")) {
    bool redundant = piece == op || piece == cause;
    for (const char* verb : kVerbs) redundant = redundant || piece == verb;
    if (!redundant) kept.push_back(piece);
  }
  const std::string reason = absl::StrJoin(kept, ": ");
  return reason.empty() ? std::string(message) : reason;
}

int Fail(absl::string_view op, absl::string_view region, const absl::Status& status) {
  std::string message(status.message());
  // A region no attach can use (damaged, cut short, another layout) has one
  // way out the answer should name (review 10): discarding it.
  const region::RegionErrc e = region::RegionErrcOf(status);
  const bool unusable = e == region::RegionErrc::kCorrupt || e == region::RegionErrc::kTruncated ||
                        e == region::RegionErrc::kIncompatible;
  if (unusable && !region.empty() && op != "remove" && !absl::StrContains(message, "remove --force")) {
    // "and its data" would overpromise for a copied stub, whose memory is
    // another stub's and stays (remove.cc: only memory proven its own goes).
    absl::StrAppend(&message, "; to discard it: osport remove ", region,
                    " --force (removes its file, and the memory it names if proven its own)");
  }
  return FailWith(op, region, CauseOf(status), message);
}

int FailWith(absl::string_view op, absl::string_view region, absl::string_view cause,
             absl::string_view message) {
  if (WantJson()) {
    Json j = Answer(false, op, region);
    j["error"] = std::string(cause);
    j["message"] = Reason(ToolMessage(message, region), op, region, cause);
    PrintJson(j);
  } else {
    std::fprintf(stderr, "osport %s%s%s: %s: %s\n", std::string(op).c_str(), region.empty() ? "" : " ",
                 EscapeText(region).c_str(), std::string(cause).c_str(),
                 EscapeText(Reason(ToolMessage(message, region), op, region, cause)).c_str());
  }
  return kExitFailed;
}

std::string ShownDuration(absl::Duration d) {
  return d == absl::ZeroDuration() ? "0s" : absl::FormatDuration(d);
}

int Usage(absl::string_view op, absl::string_view message, absl::string_view region) {
  const std::string hint = op.empty() ? "osport --help" : absl::StrCat("osport help ", op);
  if (WantJson()) {
    Json j = Answer(false, op.empty() ? "osport" : op, region);
    j["error"] = "usage";
    j["message"] = std::string(message);
    j["hint"] = hint;
    PrintJson(j);
  } else {
    std::fprintf(stderr, "osport: %s (see '%s')\n", EscapeText(message).c_str(), hint.c_str());
  }
  return kExitUsage;
}

}  // namespace osport::tool
