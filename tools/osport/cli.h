// Shared pieces of the osport tool: flags, output (text or one JSON object
// per answer, see docs/tool-json.md), errors and exit codes.
#ifndef OSPORT_TOOLS_OSPORT_CLI_H_
#define OSPORT_TOOLS_OSPORT_CLI_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "region/options.h"

ABSL_DECLARE_FLAG(std::string, home);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, size);
ABSL_DECLARE_FLAG(std::string, backend);
ABSL_DECLARE_FLAG(std::string, mode);
ABSL_DECLARE_FLAG(bool, prefault);
ABSL_DECLARE_FLAG(bool, force);
ABSL_DECLARE_FLAG(absl::Duration, hold);
ABSL_DECLARE_FLAG(int, workers);
ABSL_DECLARE_FLAG(int, rounds);
ABSL_DECLARE_FLAG(absl::Duration, timeout);
ABSL_DECLARE_FLAG(bool, keep);
ABSL_DECLARE_FLAG(bool, dry_run);
ABSL_DECLARE_FLAG(std::vector<std::string>, trust_owner);
ABSL_DECLARE_FLAG(bool, allow_sticky_home);

namespace osport::tool {

// Exit codes: 0 success, 1 the operation failed, 2 the command line is wrong;
// 128 + N when signal N ended `lock` (after it released the lock).
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Limits of the command line: beyond them a value is a usage error.
inline constexpr absl::Duration kMaxHold = absl::Hours(24 * 7);
inline constexpr int kMinWorkers = 2, kMaxWorkers = 16;
inline constexpr int kMinRounds = 100, kMaxRounds = 1000000000;

// The largest --size: this build's largest region (os::config::kRegionSizeMax,
// 64 TiB on 64-bit targets unless OSPORT_REGIONSIZE_MAX says otherwise).
std::uint64_t MaxSizeArg();
// "64MiB", "1G", "4k", "65536" -> bytes, 1 to MaxSizeArg() once rounded up
// to the page size; InvalidArgument naming the text.
absl::StatusOr<std::uint64_t> ParseSize(absl::string_view text);
// 65536 -> "64 KiB".
std::string HumanSize(std::uint64_t bytes);

// Checks every flag value (sizes, mode, backend, durations, counts) once,
// before any command runs: InvalidArgument with the one-line reason, which
// the caller reports as a usage error.
absl::Status ValidateFlags();

// Region options for NAME from the (validated) common flags.
region::RegionOptions OptionsFor(const std::string& name);

// --- output -------------------------------------------------------------------

// Field order is kept as written: ok, op, region first.
using Json = nlohmann::ordered_json;

bool WantJson();
// {"ok":ok,"op":op} plus "region" (and "region_hex" when the name is not
// UTF-8) unless `region` is empty.
Json Answer(bool ok, absl::string_view op, absl::string_view region);
// One line of JSON on stdout: valid UTF-8 always (bytes that are not UTF-8
// inside strings become U+FFFD; names keep their bytes in "region_hex").
void PrintJson(const Json& j);

// Prints the success of `op` on `name`: `text` (a line on stdout), or with
// --json one object with `fields` after ok, op, region.
void PrintOk(absl::string_view op, absl::string_view name, const std::string& text, Json fields = Json::object());

// Prints the failure of `op` on `region` (empty: none) -- one JSON object on
// stdout with --json, else one line on stderr naming the operation, the
// region and the cause, control bytes escaped -- and returns kExitFailed.
int Fail(absl::string_view op, absl::string_view region, const absl::Status& status);
// The same with an explicit cause word and message.
int FailWith(absl::string_view op, absl::string_view region, absl::string_view cause,
             absl::string_view message);
// A library message as the tool prints it: the region API's option names
// (RegionOptions::recover, allow_sticky_shared_home, the attach timeout...)
// become the tool's commands and flags (osport recover NAME,
// --allow-sticky-home, --timeout); `region` is the NAME ("" for none).
std::string ToolMessage(absl::string_view message, absl::string_view region);
// What a failure's line says after "osport OP NAME: CAUSE: ": `message`
// without what the line names already -- the library's context prefixes
// ("remove region NAME: ", "region NAME: ") and pieces that are only the
// operation or the cause word ("remove: ", "untrusted: ") -- so that each
// thing is said once. The JSON `message` is the same text.
std::string Reason(absl::string_view message, absl::string_view op, absl::string_view region,
                   absl::string_view cause);
// The short cause word of a status: a RegionErrc name or the status code.
std::string CauseOf(const absl::Status& status);
// A duration in the form the help and the flags use: absl::FormatDuration
// writes zero as "0" (`--timeout=0s` was echoed as "bad --timeout '0'", and
// `lock --hold=0s` said "for 0"); "0s" here, FormatDuration otherwise.
std::string ShownDuration(absl::Duration d);
// Prints a usage error (one line and a hint; JSON with --json) and returns
// kExitUsage. `op` is the command, or "" when there is none yet; `region`
// the NAME operand when one was given.
int Usage(absl::string_view op, absl::string_view message, absl::string_view region = "");

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_CLI_H_
