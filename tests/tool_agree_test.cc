// The osport tool after attacker review 5 (issue 12): every command says
// the same thing of the same file -- the region library's answer (an empty
// file is a dead creator's remnant, which remove --force removes) -- each
// failure line says each thing once, a missing --home is said to be
// missing, and a flag is never taken as another flag's value.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/map.h"
#include "region/header.h"
#include "tests/tool_fixture.h"

namespace osport {
namespace {

using nlohmann::json;

std::string Contents(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "<absent>";
  os::File f = os::Open(path, os::kOpenReadOnly).value();
  std::string bytes(std::filesystem::file_size(path), '\0');
  const std::size_t n =
      os::Read(f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(bytes.data()), bytes.size())).value();
  bytes.resize(n);
  return bytes;
}

// The cause a --json answer gives ("" for a success).
std::string CauseOf(const ToolRun& r) {
  const json j = r.json();
  if (!j.is_object()) return "<no json: " + r.out + ">";
  return j.value("ok", false) ? "" : j.value("error", "<no error>");
}

class AgreeTest : public ToolTest {
 protected:
  // A notes file carrying osport's magic word at its header offset.
  std::string NotesWithMagic(std::size_t size) {
    std::string notes;
    while (notes.size() < size) absl::StrAppend(&notes, "my notes, line ", notes.size(), "\n");
    notes.resize(size);
    const std::uint32_t magic = region::kRegionMagic;
    std::memcpy(&notes[offsetof(region::RegionHeader, magic)], &magic, sizeof magic);
    return notes;
  }
};

// Issue 12, review 5, finding 1: stat, list, lock, recover --dry-run, remove
// and remove --force agree on each file (region or remnant vs not_a_region),
// because they all take the library's answer.
TEST_F(AgreeTest, EveryCommandAgreesWithTheLibraryOnWhatIsARegion) {
  struct Case {
    std::string name;
    std::string bytes;
    const char* is;  // "remnant", "not_a_region", or "" for whatever stat says
  };
  std::vector<Case> cases = {
      {"empty", "", "remnant"},
      {"zero_page", std::string(region::kHeaderSize, '\0'), "not_a_region"},
      {"short_notes", NotesWithMagic(240), "not_a_region"},
      {"page_notes", NotesWithMagic(region::kHeaderSize), "not_a_region"},
  };
  // A byte copy of a stub (another file: its identity is not the copy's).
  os::Backend stub_backend = os::Backend::kFile;
  for (os::Backend b : {os::Backend::kSysV, os::Backend::kPosixShm}) {
    if (os::BackendSupported(b) && !os::config::kZeroOnLastClose && stub_backend == os::Backend::kFile) {
      stub_backend = b;
    }
  }
  if (stub_backend != os::Backend::kFile) {
    ToolRun made = Osport({"create", "original", "--size=64KiB",
                           absl::StrCat("--backend=", os::BackendName(stub_backend))});
    ASSERT_EQ(made.code, 0) << made.out;
    cases.push_back({"stub_copy", Contents(Path("original")), ""});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteBytes(c.name, c.bytes);
    const ToolRun stat = Osport({"stat", c.name, "--json"});
    const std::string stat_cause = CauseOf(stat);
    const bool not_a_region = stat_cause == "not_a_region";
    if (std::string(c.is) == "remnant") {
      EXPECT_EQ(stat_cause, "") << stat.out;
      EXPECT_EQ(stat.json().value("initialised", true), false) << stat.out;
    } else if (std::string(c.is) == "not_a_region") {
      EXPECT_TRUE(not_a_region) << stat.out;
    }

    // list files it where stat does.
    const json list = Osport({"list", "--json"}).json();
    ASSERT_TRUE(list.is_object());
    const auto named = [&](const json& entries, const char* key) {
      return std::count_if(entries.begin(), entries.end(),
                           [&](const json& e) { return e.value(key, "") == c.name; });
    };
    EXPECT_EQ(named(list["other_files"], "name"), not_a_region ? 1 : 0) << list;
    EXPECT_EQ(named(list["regions"], "region"), not_a_region ? 0 : 1) << list;
    for (const json& e : list["regions"]) {
      if (e.value("region", "") == c.name && stat_cause != "") {
        EXPECT_EQ(e.value("error", ""), stat_cause) << e;
      }
    }

    // Every other command, each on a fresh copy of the file.
    const std::vector<std::vector<std::string>> commands = {{"lock", c.name, "--hold=0s"},
                                                           {"recover", c.name, "--dry-run"},
                                                           {"remove", c.name},
                                                           {"remove", c.name, "--force"}};
    for (std::vector<std::string> args : commands) {
      const std::string what = absl::StrJoin(args, " ");
      const bool joins = args[0] == "lock" || (args[0] == "remove" && args.size() == 2);
      WriteBytes(c.name, c.bytes);
      args.push_back("--json");
      const ToolRun r = Osport(args);
      const std::string cause = CauseOf(r);
      EXPECT_EQ(cause == "not_a_region", not_a_region) << what << ": " << r.out << " (stat: " << stat.out << ")";
      if (not_a_region) {
        EXPECT_EQ(Contents(Path(c.name)), c.bytes) << what << ": a file that is not a region is left alone";
      } else if (stat_cause != "" && joins) {
        // lock and remove join it: the library's same cause.
        EXPECT_EQ(cause, stat_cause) << what << ": " << r.out;
      }
    }
    if (std::string(c.is) == "remnant") {
      // The last command above: remove --force of a dead creator's stub
      // removes it, as lock and remove do.
      EXPECT_FALSE(std::filesystem::exists(Path(c.name))) << "remove --force left the remnant";
      for (const char* cmd : {"lock", "remove"}) {
        WriteBytes(c.name, c.bytes);
        std::vector<std::string> args = {cmd, c.name, "--json"};
        if (args[0] == "lock") args.push_back("--hold=0s");
        const ToolRun r = Osport(args);
        EXPECT_NE(CauseOf(r), "not_a_region") << r.out;
        EXPECT_FALSE(std::filesystem::exists(Path(c.name))) << cmd << " left the remnant: " << r.out;
      }
    }
    std::filesystem::remove(Path(c.name));
  }
  if (stub_backend != os::Backend::kFile) {
    // Removing the copy never touched the original's memory.
    ToolRun st = Osport({"stat", "original", "--json"});
    ASSERT_EQ(st.code, 0) << st.out;
    EXPECT_EQ(st.json().value("memory_present", false), true) << st.out;
    EXPECT_EQ(Osport({"remove", "original"}).code, 0);
  }
}

// The text after "osport OP NAME: CAUSE: " on a failure line.
std::string AfterPrefix(const ToolRun& r, const std::string& prefix) {
  EXPECT_EQ(r.lines.size(), 1u) << r.out;
  EXPECT_TRUE(absl::StartsWith(r.out, prefix)) << r.out;
  return absl::StartsWith(r.out, prefix) ? r.out.substr(prefix.size()) : r.out;
}

// Finding 2: "osport remove n1: untrusted: remove: region n1: untrusted: ..."
// said the operation, the region and the cause twice.
TEST_F(AgreeTest, AFailureLineSaysEachThingOnce) {
  if (os::config::kWin32) GTEST_SKIP() << "the text errors are read through /bin/sh (stderr); no mode bits";
  ASSERT_EQ(Osport({"create", "n1", "--size=64KiB", "--mode=0660"}).code, 0);
  for (const char* cmd : {"stat", "lock", "recover", "remove"}) {
    SCOPED_TRACE(cmd);
    std::vector<std::string> args = {cmd, "n1"};
    if (std::string(cmd) == "lock") args.push_back("--hold=0s");
    const std::string rest = AfterPrefix(OsportWithStderr(args), absl::StrCat("osport ", cmd, " n1: untrusted: "));
    for (const char* twice : {"untrusted:", "region n1:", "remove:", "attach region"}) {
      EXPECT_FALSE(absl::StrContains(rest, twice)) << rest;
    }
    EXPECT_TRUE(absl::StrContains(rest, "write bits 0020 beyond the 0600")) << rest;
    args.push_back("--json");
    const json j = Osport(args).json();
    EXPECT_EQ(j.value("error", ""), "untrusted") << j;
    EXPECT_FALSE(absl::StrContains(j.value("message", ""), "untrusted:")) << j;
    EXPECT_FALSE(absl::StrContains(j.value("message", ""), "region n1:")) << j;
  }
  // The same for a hard link, which every command but remove --force refuses.
  std::filesystem::create_hard_link(Path("n1"), Path("hl"));
  const std::string refused =
      AfterPrefix(OsportWithStderr({"stat", "hl", "--mode=0660"}), "osport stat hl: untrusted: ");
  EXPECT_TRUE(absl::StrContains(refused, "2 links")) << refused;
  EXPECT_FALSE(absl::StrContains(refused, "untrusted:")) << refused;
  EXPECT_FALSE(absl::StrContains(refused, "region hl:")) << refused;
  std::filesystem::remove(Path("hl"));
  // And what remove --force refuses: a symbolic link.
  std::filesystem::create_symlink("n1", Path("sl"));
  const std::string forced =
      AfterPrefix(OsportWithStderr({"remove", "sl", "--force"}), "osport remove sl: untrusted: ");
  EXPECT_TRUE(absl::StrContains(forced, "symbolic link")) << forced;
  EXPECT_FALSE(absl::StrContains(forced, "remove:")) << forced;
  EXPECT_FALSE(absl::StrContains(forced, "untrusted:")) << forced;
  EXPECT_FALSE(absl::StrContains(forced, "region sl:")) << forced;
  std::filesystem::remove(Path("sl"));
  EXPECT_EQ(Osport({"remove", "n1", "--mode=0660"}).code, 0);

  // A corrupt header: "corrupt" once, the field named.
  ASSERT_EQ(Osport({"create", "damaged", "--size=64KiB"}).code, 0);
  ASSERT_NO_FATAL_FAILURE(PokeHeader32("damaged", offsetof(region::RegionHeader, flags), 0x80));
  for (const char* cmd : {"stat", "lock", "remove"}) {
    SCOPED_TRACE(cmd);
    const std::string rest =
        AfterPrefix(OsportWithStderr({cmd, "damaged"}), absl::StrCat("osport ", cmd, " damaged: corrupt: "));
    EXPECT_FALSE(absl::StartsWith(rest, "corrupt:")) << rest;
    EXPECT_FALSE(absl::StrContains(rest, "region damaged:")) << rest;
    EXPECT_TRUE(absl::StrContains(rest, "flags")) << rest;
  }
  EXPECT_EQ(Osport({"remove", "damaged", "--force"}).code, 0);
}

// Finding 3: a --home that does not exist is said to be missing, not "not a
// directory" (which stays the answer for a home that is a file).
TEST_F(AgreeTest, AMissingHomeIsSaidToBeMissing) {
  const std::string missing = Path("no_such_home");
  const std::string file = Path("a_file");
  WriteBytes("a_file", "not a directory\n");
  const std::vector<std::vector<std::string>> commands = {
      {"stat", "r"}, {"list"}, {"lock", "r", "--hold=0s"}, {"remove", "r", "--force"}, {"create", "r", "--size=64KiB"}};
  for (std::vector<std::string> args : commands) {
    SCOPED_TRACE(args[0]);
    args.push_back("--json");
    args.push_back("--home=" + missing);
    ToolRun r = Osport(args, false);
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_EQ(r.json().value("error", ""), "not_found") << r.out;
    EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "does not exist")) << r.out;
    EXPECT_FALSE(absl::StrContains(r.out, "not a directory")) << r.out;
    EXPECT_FALSE(std::filesystem::exists(missing));
    args.back() = "--home=" + file;
    r = Osport(args, false);
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_FALSE(absl::StrContains(r.out, "does not exist")) << r.out;
  }
  std::filesystem::remove(file);
}

// Finding 4: `osport list --home --json` took "--json" as the home.
TEST_F(AgreeTest, AFlagIsNeverAnotherFlagsValue) {
  struct Case {
    std::vector<std::string> args;
    const char* names;
  };
  const std::vector<Case> cases = {
      {{"list", "--home", "--json"}, "--home"},
      {{"stat", "r", "--home", "--json"}, "--home"},
      {{"stat", "r", "--json", "--home"}, "--home"},
      {{"stat", "r", "--json", "--home=--json"}, "--home"},
      {{"stat", "r", "--trust-owner", "--json"}, "--trust-owner"},
      {{"lock", "r", "--hold", "--json"}, "--hold"},
  };
  for (const Case& c : cases) {
    const std::string what = absl::StrJoin(c.args, " ");
    ToolRun r = Osport(c.args, false);
    EXPECT_EQ(r.code, 2) << what << ": " << r.out;
    const json j = r.json();
    ASSERT_TRUE(j.is_object()) << what << ": --json was taken as a value: " << r.out;
    EXPECT_EQ(j.value("error", ""), "usage") << what << ": " << r.out;
    EXPECT_TRUE(absl::StrContains(j.value("message", ""), c.names)) << what << ": " << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists("--json")) << "a directory named --json was looked for or made";
}

}  // namespace
}  // namespace osport
