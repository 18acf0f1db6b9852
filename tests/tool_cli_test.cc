// The osport tool's command-line conventions and its one JSON shape, driven
// through the real executable: help and version, usage errors (exit 2, one
// line, a hint), JSON for every answer, names that are not UTF-8, and
// files that are not osport's.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "tests/tool_fixture.h"

namespace osport {
namespace {

using nlohmann::json;

TEST_F(ToolTest, HelpInEveryConventionalSpellingExitsZero) {
  const std::vector<std::vector<std::string>> overview = {{"-h"}, {"--help"}, {"help"}};
  for (const auto& args : overview) {
    ToolRun r = Osport(args);
    EXPECT_EQ(r.code, 0) << args[0] << ": " << r.out;
    EXPECT_TRUE(absl::StartsWith(r.out, "osport -- manage")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "lock NAME")) << r.out;
    // No flag-library text.
    EXPECT_FALSE(absl::StrContains(r.out, "Flags from")) << r.out;
    EXPECT_FALSE(absl::StrContains(r.out, "No flags matched")) << r.out;
  }
  for (const char* cmd : {"create", "stat", "list", "grow", "panic", "remove", "lock", "demo"}) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"help", cmd}, {cmd, "--help"}, {cmd, "-h"}, {cmd, "somename", "--help"}}) {
      ToolRun r = Osport(args);
      EXPECT_EQ(r.code, 0) << absl::StrJoin(args, " ") << ": " << r.out;
      EXPECT_TRUE(absl::StartsWith(r.out, absl::StrCat("usage: osport ", cmd))) << r.out;
    }
  }
}

TEST_F(ToolTest, VersionPrintsTheProjectVersion) {
  ToolRun r = Osport({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, absl::StrCat("osport ", OSPORT_VERSION, "\n"));
  r = Osport({"--version", "--json"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.json(), (json{{"ok", true}, {"op", "version"}, {"version", OSPORT_VERSION}})) << r.out;
}

TEST_F(ToolTest, EveryUsageErrorExitsTwoWithOneLineAndAHint) {
  const std::vector<std::vector<std::string>> cases = {
      {},                                      // no command
      {"frobnicate", "x"},                     // unknown command
      {"help", "frobnicate"},                  // help for an unknown command
      {"stat"},                                // missing NAME
      {"stat", "a", "b"},                      // extra operand
      {"stat", "a", "--bogus"},                // unknown flag
      {"stat", "a", "-x"},                     // unknown short flag
      {"create", "a"},                         // missing --size
      {"create", "a", "--size"},               // flag without its value
      {"create", "a", "--size=lots"},          // malformed size
      {"create", "a", "--size=-5"},            // negative size
      {"create", "a", "--size=0"},             // empty region
      {"create", "a", "--size=99999TiB"},      // absurd size
      {"create", "a", "--size=1MiB", "--mode=0999"},
      {"create", "a", "--size=1MiB", "--backend=floppy"},
      {"lock", "a", "--hold=-1s"},             // negative duration (issue 12 F13)
      {"lock", "a", "--hold=abc"},             // malformed duration
      {"lock", "a", "--hold=100000h"},         // absurd duration
      {"lock", "a", "--hold=inf"},
      {"demo", "--workers=1"},
      {"demo", "--workers=many"},
      {"demo", "--rounds=-3"},
      {"demo", "--timeout=-1s"},
      {"list", "--flagfile=/etc/passwd"},      // the flag library's own flags are not the tool's
  };
  for (std::vector<std::string> args : cases) {
    const std::string what = absl::StrJoin(args, " ");
    ToolRun text = Osport(args);
    EXPECT_EQ(text.code, 2) << what << ": " << text.out;
    EXPECT_EQ(text.out, "") << what << ": the usage line goes to stderr";
    args.push_back("--json");
    ToolRun r = Osport(args);
    EXPECT_EQ(r.code, 2) << what << ": " << r.out;
    const json j = r.json();
    ASSERT_TRUE(j.is_object()) << what << ": " << r.out;
    EXPECT_EQ(j["ok"], false) << what;
    EXPECT_EQ(j["error"], "usage") << what;
    EXPECT_TRUE(j["op"].is_string()) << what;
    EXPECT_FALSE(j.value("message", "").empty()) << what;
    EXPECT_TRUE(absl::StartsWith(j.value("hint", ""), "osport")) << what << ": " << r.out;
  }
}

// One JSON shape: every answer is one object with ok, op and (where there is
// one) region, a string.
TEST_F(ToolTest, EveryAnswerIsOneJsonObjectWithOkOpRegion) {
  struct Step {
    std::vector<std::string> args;
    bool ok;
    bool has_region;
  };
  const std::vector<Step> steps = {
      {{"create", "r", "--size=64KiB"}, true, true},
      {{"create", "r", "--size=64KiB"}, false, true},
      {{"stat", "r"}, true, true},
      {{"grow", "r", "--size=128KiB"}, true, true},
      {{"lock", "r", "--hold=0s"}, true, true},
      {{"panic", "r"}, true, true},
      {{"lock", "r"}, false, true},
      {{"remove", "r", "--force"}, true, true},
      {{"stat", "r"}, false, true},
      {{"remove", "r"}, false, true},
  };
  for (const Step& s : steps) {
    std::vector<std::string> args = s.args;
    args.push_back("--json");
    ToolRun r = Osport(args);
    const std::string what = absl::StrJoin(s.args, " ");
    EXPECT_EQ(r.code, s.ok ? 0 : 1) << what << ": " << r.out;
    // lock prints "locked" when it has the lock and "released" at the end.
    if (s.args[0] == "lock" && s.ok) {
      ASSERT_EQ(r.lines.size(), 2u) << r.out;
      EXPECT_EQ(json::parse(r.lines[0])["event"], "locked");
      r.lines.erase(r.lines.begin());
    }
    const json j = r.json();
    ASSERT_TRUE(j.is_object()) << what << ": " << r.out;
    // ok and op come first, in that order.
    EXPECT_TRUE(absl::StartsWith(r.lines[0], absl::StrCat("{\"ok\":", s.ok ? "true" : "false", ",\"op\":")))
        << r.lines[0];
    EXPECT_EQ(j["ok"], s.ok) << what;
    EXPECT_EQ(j["op"], s.args[0]) << what;
    if (s.has_region) {
      EXPECT_EQ(j["region"], "r") << what;
    }
    if (!s.ok) {
      EXPECT_TRUE(j["error"].is_string()) << what;
      EXPECT_TRUE(j["message"].is_string()) << what;
    }
  }
  ASSERT_EQ(Osport({"create", "a", "--size=64KiB"}).code, 0);
  ToolRun r = Osport({"list", "--json"});
  EXPECT_EQ(r.code, 0) << r.out;
  const json j = r.json();
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["op"], "list");
  ASSERT_TRUE(j["regions"].is_array()) << r.out;
  ASSERT_EQ(j["regions"].size(), 1u) << r.out;
  EXPECT_EQ(j["regions"][0]["region"], "a");
  EXPECT_EQ(j["regions"][0]["size"], 64 * 1024);
  EXPECT_EQ(Osport({"remove", "a"}).code, 0);
}

// Names that are not UTF-8, or hold control bytes: JSON stays valid and
// keeps the exact bytes in region_hex; text escapes them like `ls -b`, so a
// name cannot forge a line.
TEST_F(ToolTest, HostileNamesCannotBreakJsonOrForgeLines) {
  if (os::config::kWin32) GTEST_SKIP() << "Windows file names cannot hold these bytes";
  const std::string name = "evil\xff\n\x1b[2Jname";
  ToolRun r = Osport({"create", name, "--size=64KiB", "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  json j = r.json();
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["region_hex"], "6576696cff0a1b5b324a6e616d65");
  EXPECT_TRUE(j["region"].is_string());
  ASSERT_EQ(Osport({"create", "plain", "--size=64KiB"}).code, 0);

  r = Osport({"list", "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  j = r.json();
  ASSERT_TRUE(j.is_object()) << r.out;
  ASSERT_EQ(j["regions"].size(), 2u) << r.out;
  int with_hex = 0;
  for (const json& e : j["regions"]) with_hex += e.contains("region_hex") ? 1 : 0;
  EXPECT_EQ(with_hex, 1);

  r = Osport({"stat", name, "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(r.json().is_object()) << r.out;

  r = Osport({"list"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.lines.size(), 3u) << r.out;  // header + two regions: no forged line
  EXPECT_TRUE(absl::StrContains(r.out, "evil\\377\\n\\033[2Jname")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "\x1b")) << r.out;

  r = Osport({"stat", name});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "\x1b")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "evil\\377\\n")) << r.out;

  EXPECT_EQ(Osport({"remove", name}).code, 0);
  EXPECT_EQ(Osport({"remove", "plain"}).code, 0);
}

TEST_F(ToolTest, ListAndRemoveTouchOnlyOsportFiles) {
  ASSERT_EQ(Osport({"create", "real", "--size=64KiB"}).code, 0);
  WriteBytes("notes.txt", "my notes\n");
  WriteBytes("zeros", std::string(8192, '\0'));
  std::filesystem::create_directory(Path("subdir"));

  ToolRun r = Osport({"list", "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  const json j = r.json();
  ASSERT_TRUE(j.is_object()) << r.out;
  ASSERT_EQ(j["regions"].size(), 1u) << r.out;
  EXPECT_EQ(j["regions"][0]["region"], "real");
  ASSERT_EQ(j["other_files"].size(), 3u) << r.out;
  r = Osport({"list"});
  EXPECT_TRUE(absl::StrContains(r.out, "notes.txt")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "not an osport region")) << r.out;

  for (const char* n : {"notes.txt", "zeros", "subdir"}) {
    for (const char* force : {"--force", "--noforce"}) {
      ToolRun rm = Osport({"remove", n, force, "--json"});
      EXPECT_EQ(rm.code, 1) << n << " " << force << ": " << rm.out;
      EXPECT_EQ(rm.json().value("error", ""), "not_a_region") << rm.out;
      EXPECT_TRUE(std::filesystem::exists(Path(n))) << n;
    }
  }
  EXPECT_EQ(Osport({"remove", "real"}).code, 0);
  std::filesystem::remove(Path("notes.txt"));
  std::filesystem::remove(Path("zeros"));
  std::filesystem::remove(Path("subdir"));
}

}  // namespace
}  // namespace osport
