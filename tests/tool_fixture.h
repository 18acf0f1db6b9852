// The osport tool run as a real process by the tool tests: its exit code and
// its stdout (lines, and the JSON objects it printed, parsed).
#ifndef OSPORT_TESTS_TOOL_FIXTURE_H_
#define OSPORT_TESTS_TOOL_FIXTURE_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "os/file.h"
#include "os/process.h"
#include "tests/support/resources.h"

namespace osport {

struct ToolRun {
  int code = -1;
  std::string out;                  // stdout, all lines
  std::vector<std::string> lines;   // stdout, one entry per line
  // The one JSON object of a --json answer (null if stdout was not exactly
  // one line of valid JSON: the tests assert on that).
  nlohmann::json json() const {
    if (lines.size() != 1) return nullptr;
    return nlohmann::json::parse(lines[0], nullptr, /*allow_exceptions=*/false);
  }
};

class ToolTest : public testing::ResourceTest {
 protected:
  // Runs `osport ARGS... --home=<scratch dir>` to its end (`demo` works in
  // a home of its own and takes no --home).
  ToolRun Osport(std::vector<std::string> args, bool with_home = true) {
    if (with_home && !(!args.empty() && args[0] == "demo")) args.push_back("--home=" + dir());
    args.insert(args.begin(), OSPORT_TOOL_PATH);
    return Run(args);
  }
  // The same with stderr merged into stdout (text-mode errors and usage
  // lines go to stderr): POSIX only, through /bin/sh.
  ToolRun OsportWithStderr(std::vector<std::string> args, bool with_home = true) {
    if (with_home && !(!args.empty() && args[0] == "demo")) args.push_back("--home=" + dir());
    args.insert(args.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", OSPORT_TOOL_PATH});
    return Run(args);
  }
  ToolRun Run(const std::vector<std::string>& args) {
    absl::StatusOr<os::Child> c = os::Spawn(args);
    EXPECT_TRUE(c.ok()) << c.status();
    ToolRun r;
    if (!c.ok()) return r;
    c->CloseInput();
    for (;;) {
      absl::StatusOr<std::string> line = c->ReadLine();
      if (!line.ok()) break;
      absl::StrAppend(&r.out, *line, "\n");
      r.lines.push_back(*line);
    }
    r.code = c->Wait().value_or(-1);
    return r;
  }
  // Overwrites the 32-bit header field at `offset` of region file `name`.
  void PokeHeader32(const std::string& name, std::size_t offset, std::uint32_t value) {
    os::File f = os::Open(Path(name), 0).value();
    ASSERT_TRUE(os::Seek(f, 0, 0, offset, false, os::Whence::kSet).ok());
    ASSERT_TRUE(os::Write(f, gsl::span<const std::byte>(reinterpret_cast<const std::byte*>(&value), 4)).ok());
  }
  void WriteBytes(const std::string& name, const std::string& bytes) {
    os::File f = os::Open(Path(name), os::kOpenCreate | os::kOpenTruncate).value();
    ASSERT_TRUE(os::Write(f, gsl::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()),
                                                         bytes.size()))
                    .ok());
  }
};

}  // namespace osport

#endif  // OSPORT_TESTS_TOOL_FIXTURE_H_
