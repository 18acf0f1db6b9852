// The osport tool's words after attacker review 4 (issue 12): text output
// escapes every character that can move, hide or break text (C1 controls,
// line separators, bidi controls) in names and home paths, JSON escapes
// them too, and every message names the tool's own flags and commands,
// never the region API's option names.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "tests/tool_fixture.h"

namespace osport {
namespace {

using nlohmann::json;

struct Invisible {
  const char* utf8;
  const char* what;
};

// U+0080..U+009F (C1), U+2028/U+2029, Unicode's Bidi_Control set, and the
// invisible format characters.
const std::vector<Invisible>& Invisibles() {
  static const auto* all = new std::vector<Invisible>{
      {"\xC2\x80", "U+0080"},       {"\xC2\x85", "U+0085 NEL"},   {"\xC2\x9B", "U+009B CSI"},
      {"\xC2\x9F", "U+009F"},       {"\xE2\x80\xA8", "U+2028 LS"}, {"\xE2\x80\xA9", "U+2029 PS"},
      {"\xE2\x80\xAA", "U+202A"},   {"\xE2\x80\xAB", "U+202B"},   {"\xE2\x80\xAC", "U+202C"},
      {"\xE2\x80\xAD", "U+202D"},   {"\xE2\x80\xAE", "U+202E RLO"}, {"\xE2\x81\xA6", "U+2066"},
      {"\xE2\x81\xA7", "U+2067"},   {"\xE2\x81\xA8", "U+2068"},   {"\xE2\x81\xA9", "U+2069"},
      {"\xE2\x80\x8E", "U+200E LRM"}, {"\xE2\x80\x8F", "U+200F RLM"}, {"\xD8\x9C", "U+061C ALM"},
      // The invisible format characters (review 5): two names that print alike.
      {"\xEF\xBB\xBF", "U+FEFF BOM"}, {"\xE2\x80\x8B", "U+200B ZWSP"}, {"\xE2\x80\x8C", "U+200C ZWNJ"},
      {"\xE2\x80\x8D", "U+200D ZWJ"}, {"\xE2\x81\xA0", "U+2060 WJ"},  {"\xE2\x81\xA1", "U+2061"},
      {"\xE2\x81\xA2", "U+2062"},     {"\xE2\x81\xA3", "U+2063"},     {"\xE2\x81\xA4", "U+2064"},
      {"\xEF\xBF\xB9", "U+FFF9"},     {"\xEF\xBF\xBA", "U+FFFA"},     {"\xEF\xBF\xBB", "U+FFFB"},
  };
  return *all;
}

// `ls -b`: each byte as \ooo.
std::string Octal(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) absl::StrAppendFormat(&out, "\\%03o", c);
  return out;
}

bool HasAnyInvisible(const std::string& text) {
  for (const Invisible& c : Invisibles()) {
    if (absl::StrContains(text, c.utf8)) return true;
  }
  return false;
}

TEST_F(ToolTest, TextEscapesC1LineSeparatorAndBidiControls) {
  if (os::config::kWin32) GTEST_SKIP() << "the text errors are read through /bin/sh (stderr)";
  for (const Invisible& c : Invisibles()) {
    SCOPED_TRACE(c.what);
    const std::string name = absl::StrCat("a", c.utf8, "b");
    const std::string shown = absl::StrCat("a", Octal(c.utf8), "b");
    ToolRun made = Osport({"create", name, "--size=64KiB"});
    ASSERT_EQ(made.code, 0) << made.out;
    EXPECT_TRUE(absl::StrContains(made.out, shown)) << made.out;
    EXPECT_FALSE(HasAnyInvisible(made.out)) << made.out;

    // list: the header and one line, the name escaped.
    ToolRun list = Osport({"list"});
    ASSERT_EQ(list.code, 0) << list.out;
    EXPECT_EQ(list.lines.size(), 2u) << list.out;
    EXPECT_TRUE(absl::StrContains(list.out, shown)) << list.out;
    EXPECT_FALSE(HasAnyInvisible(list.out)) << list.out;

    ToolRun st = Osport({"stat", name});
    ASSERT_EQ(st.code, 0) << st.out;
    EXPECT_TRUE(absl::StrContains(st.out, shown)) << st.out;
    EXPECT_FALSE(HasAnyInvisible(st.out)) << st.out;

    // JSON: valid, the same name back, but no raw character on the line.
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"stat", name, "--json"}, {"list", "--json"}}) {
      ToolRun j = Osport(args);
      ASSERT_EQ(j.code, 0) << j.out;
      EXPECT_FALSE(HasAnyInvisible(j.out)) << j.out;
      const json parsed = j.json();
      ASSERT_TRUE(parsed.is_object()) << j.out;
      const json& entry = args[0] == "list" ? parsed["regions"][0] : parsed;
      EXPECT_EQ(entry.value("region", ""), name) << j.out;
      EXPECT_FALSE(entry.contains("region_hex")) << "the name is valid UTF-8: " << j.out;
    }

    // Errors: the name, and a home path holding the character.
    ToolRun err = OsportWithStderr({"lock", name + "x", "--hold=0s"});
    EXPECT_EQ(err.code, 1) << err.out;
    EXPECT_EQ(err.lines.size(), 1u) << err.out;
    EXPECT_TRUE(absl::StrContains(err.out, shown + "x")) << err.out;
    EXPECT_FALSE(HasAnyInvisible(err.out)) << err.out;
    const std::string home = Path(absl::StrCat("home", c.utf8, "dir"));
    err = OsportWithStderr({"stat", "r", "--home=" + home}, false);
    EXPECT_EQ(err.code, 1) << err.out;
    EXPECT_EQ(err.lines.size(), 1u) << err.out;
    EXPECT_TRUE(absl::StrContains(err.out, absl::StrCat("home", Octal(c.utf8), "dir"))) << err.out;
    EXPECT_FALSE(HasAnyInvisible(err.out)) << err.out;
    ToolRun jerr = Osport({"stat", "r", "--json", "--home=" + home}, false);
    EXPECT_TRUE(jerr.json().is_object()) << jerr.out;
    EXPECT_FALSE(HasAnyInvisible(jerr.out)) << jerr.out;

    ASSERT_EQ(Osport({"remove", name}).code, 0);
  }
  // Printable UTF-8 stays as it is.
  ASSERT_EQ(Osport({"create", "caf\xC3\xA9", "--size=64KiB"}).code, 0);
  EXPECT_TRUE(absl::StrContains(Osport({"list"}).out, "caf\xC3\xA9"));
  EXPECT_TRUE(absl::StrContains(Osport({"list", "--json"}).out, "caf\xC3\xA9"));
  EXPECT_EQ(Osport({"remove", "caf\xC3\xA9"}).code, 0);
}

// What the region API calls its options; the tool's messages never do.
void ExpectToolWords(const std::string& message) {
  for (const char* library : {"RegionOptions", "Region::", "ClearPanic", "Panic()", "allow_sticky",
                              "trust_owner", "trusted_owners", "dry_run", "attach timeout"}) {
    EXPECT_FALSE(absl::StrContains(message, library)) << message;
  }
}

TEST_F(ToolTest, MessagesNameTheToolsFlagsAndCommands) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> usage = {
      {{"stat", "r", "--trust_owner=bob"}, "bad --trust-owner 'bob'"},
      {{"stat", "r", "--trust-owner="}, "--trust-owner needs a value"},
      {{"recover", "r", "--dry_run=maybe"}, "bad value 'maybe' for --dry-run"},
      {{"lock", "r", "--allow_sticky_home=x"}, "for --allow-sticky-home"},
      {{"stat", "r", "--dry_run"}, "--dry-run is not an option of 'stat'"},
  };
  for (const Case& c : usage) {
    std::vector<std::string> args = c.args;
    args.push_back("--json");
    ToolRun r = Osport(args);
    EXPECT_EQ(r.code, 2) << r.out;
    const std::string message = r.json().value("message", "");
    EXPECT_TRUE(absl::StrContains(message, c.says)) << message;
    ExpectToolWords(r.out);
  }

  // A panicked region: recovery is `osport recover NAME`.
  ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);
  ASSERT_EQ(Osport({"panic", "r"}).code, 0);
  ToolRun r = Osport({"lock", "r", "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(r.json().value("error", ""), "run_recovery") << r.out;
  EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "osport recover r")) << r.out;
  ExpectToolWords(r.out);
  if (!os::config::kWin32) {
    r = OsportWithStderr({"grow", "r", "--size=128KiB"});
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "osport recover r")) << r.out;
    ExpectToolWords(r.out);
  }
  ASSERT_EQ(Osport({"recover", "r"}).code, 0);

  if (!os::config::kWin32) {
    // The mode asked for is --mode's.
    ASSERT_EQ(Osport({"create", "g", "--size=64KiB", "--mode=0660"}).code, 0);
    r = Osport({"stat", "g", "--json"});
    EXPECT_EQ(r.json().value("error", ""), "untrusted") << r.out;
    EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "beyond the 0600 asked for with --mode")) << r.out;
    EXPECT_EQ(Osport({"remove", "g", "--mode=0660"}).code, 0);

    // A sticky home others can write: --allow-sticky-home, not the option.
    namespace fs = std::filesystem;
    const std::string sticky = Path("sticky");
    fs::create_directory(sticky);
    fs::permissions(sticky, fs::perms::all | fs::perms::sticky_bit);
    r = Osport({"create", "s", "--size=64KiB", "--json", "--home=" + sticky}, false);
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_EQ(r.json().value("error", ""), "untrusted") << r.out;
    EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "--allow-sticky-home accepts it")) << r.out;
    ExpectToolWords(r.out);
    r = OsportWithStderr({"stat", "s", "--home=" + sticky}, false);
    EXPECT_TRUE(absl::StrContains(r.out, "--allow-sticky-home accepts it")) << r.out;
    ExpectToolWords(r.out);
    fs::remove(sticky);
  }
  // Durations as the flags take them: zero is "0s" (it said "for 0").
  r = Osport({"lock", "r", "--hold=0s"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, " for 0s\n")) << r.out;
  EXPECT_EQ(Osport({"remove", "r"}).code, 0);
}

}  // namespace
}  // namespace osport
