// Shared pieces of the osport tool: flags, output (human or JSON), errors.
#ifndef OSPORT_TOOLS_OSPORT_CLI_H_
#define OSPORT_TOOLS_OSPORT_CLI_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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
ABSL_DECLARE_FLAG(bool, keep);

namespace osport::tool {

// Exit codes: 0 success, 1 the operation failed, 2 the command line is wrong.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// "64MiB", "1G", "4k", "65536" -> bytes; InvalidArgument naming the text.
absl::StatusOr<std::uint64_t> ParseSize(absl::string_view text);
// 65536 -> "64 KiB".
std::string HumanSize(std::uint64_t bytes);

// Region options for NAME from the common flags.
absl::StatusOr<region::RegionOptions> OptionsFor(const std::string& name, bool need_size);

// A flat JSON object built in order; values are escaped.
class Json {
 public:
  Json& Add(absl::string_view key, absl::string_view value);
  Json& Add(absl::string_view key, const char* value) { return Add(key, absl::string_view(value)); }
  Json& Add(absl::string_view key, std::uint64_t value);
  Json& Add(absl::string_view key, bool value);
  Json& AddRaw(absl::string_view key, absl::string_view json);  // a nested value
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};
std::string JsonString(absl::string_view s);

// Prints the one-line failure of `op` on `region` (or its JSON) and returns
// kExitFailed. The line names the operation, the region and the cause.
int Fail(absl::string_view op, absl::string_view region, const absl::Status& status);
// Prints a usage error and returns kExitUsage.
int Usage(absl::string_view message);

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_CLI_H_
