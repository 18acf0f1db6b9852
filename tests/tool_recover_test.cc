// osport recover and --timeout, driving the real executable: a lock holder
// killed holding the lock, then recovered keeping the data; bounded waits
// for a held lock; timeouts that are usage errors.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/map.h"
#include "os/process.h"
#include "region/header.h"
#include "tests/tool_fixture.h"

namespace osport {
namespace {

class ToolRecoverTest : public ToolTest {
 protected:
  // `osport lock NAME --hold=60s` in the background, once it holds the lock.
  os::Child Holder(const std::string& name) {
    os::Child h = os::Spawn({OSPORT_TOOL_PATH, "lock", name, "--hold=60s", "--home=" + dir()}).value();
    EXPECT_TRUE(absl::StartsWith(h.ReadLine().value_or(""), "holding the lock"));
    return h;
  }
  // Every file of the home: its bytes and its mtime.
  std::map<std::string, std::pair<std::string, std::filesystem::file_time_type>> Home() {
    std::map<std::string, std::pair<std::string, std::filesystem::file_time_type>> files;
    for (const auto& e : std::filesystem::directory_iterator(dir())) {
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      files[e.path().filename().string()] = {bytes.str(), std::filesystem::last_write_time(e.path())};
    }
    return files;
  }
  // `recover NAME --dry-run`, text and JSON, asserting that it changed
  // nothing: the home's files (bytes, mtime) and what stat reads of the
  // region (its memory's header: panic, lock word, attachments).
  nlohmann::json DryRun(const std::string& name, const std::string& text_says) {
    const auto before = Home();
    const ToolRun stat_before = Osport({"stat", name, "--json"});
    ToolRun text = Osport({"recover", name, "--dry-run"});
    EXPECT_EQ(text.code, 0) << text.out;
    EXPECT_TRUE(absl::StrContains(text.out, text_says)) << text.out;
    EXPECT_TRUE(absl::StrContains(text.out, "--dry-run changed nothing")) << text.out;
    ToolRun r = Osport({"recover", name, "--dry-run", "--json"});
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(Home() == before) << name << ": the dry run changed the home";
    EXPECT_EQ(Osport({"stat", name, "--json"}).out, stat_before.out) << name;
    nlohmann::json j = r.json();
    EXPECT_EQ(j.value("dry_run", false), true) << r.out;
    EXPECT_EQ(j.value("cleared", true), false) << r.out;
    return j;
  }
};

bool NamedMemoryOutlivesItsUsers(os::Backend b) {
  return os::BackendSupported(b) && os::BackendShared(b) && !(os::config::kZeroOnLastClose && os::BackendNamed(b));
}

// Review 4 item 1: `recover --dry-run` attached (with recover), which
// panicked a dead holder's region, reconciled attachments and removed
// stubs and abandoned files. It reads the region as stat does, and says what
// it found and what a real recover would do.
TEST_F(ToolRecoverTest, DryRunChangesNothingAndSaysWhatItFound) {
  for (os::Backend b : {os::Backend::kFile, os::Backend::kSysV, os::Backend::kPosixShm}) {
    if (!NamedMemoryOutlivesItsUsers(b)) continue;
    const std::string backend(os::BackendName(b));
    SCOPED_TRACE(backend);
    ASSERT_EQ(Osport({"create", "r", "--size=64KiB", "--backend=" + backend}).code, 0);
    os::Child h = Holder("r");
    const std::uint32_t pid = h.pid();
    ASSERT_TRUE(h.Kill().ok());
    ASSERT_NE(h.Wait().value(), 0);
    nlohmann::json j = DryRun("r", "has died");
    EXPECT_EQ(j["panicked"], false) << j;
    EXPECT_EQ(j["dead_lock_holder"], pid) << j;
    EXPECT_EQ(j["dead_attachments"], 1) << j;
    EXPECT_EQ(j["would"], (nlohmann::json{"take_over_lock", "drop_dead_attachments", "clear_panic"})) << j;
    // The real one does what the dry run said.
    ToolRun real = Osport({"recover", "r", "--json"});
    EXPECT_EQ(real.code, 0) << real.out;
    EXPECT_EQ(real.json()["cleared"], true) << real.out;
    EXPECT_EQ(Osport({"stat", "r", "--json"}).json()["attachments"].size(), 0u);
    EXPECT_EQ(Osport({"remove", "r"}).code, 0);

    if (b == os::Backend::kFile) continue;
    // A stub whose memory was removed behind it (ipcrm, a reboot).
    ToolRun made = Osport({"create", "s", "--size=64KiB", "--backend=" + backend, "--json"});
    ASSERT_EQ(made.code, 0) << made.out;
    ASSERT_TRUE(os::RemoveSystemMemory(b, made.json()["system_id"].get<std::uint64_t>()).ok());
    j = DryRun("s", "memory (system id");
    EXPECT_EQ(j["memory_present"], false) << j;
    EXPECT_EQ(j["would"], (nlohmann::json{"remove_stub"})) << j;
    EXPECT_TRUE(j["dead_lock_holder"].is_null()) << j;
    // stat says the lock, the count and the panic flag went with the memory
    // (null), not the stub's copy of them as of creation (its creator holding
    // the lock); the stub's slots still say who is attached: nobody.
    ToolRun st = Osport({"stat", "s", "--json"});
    EXPECT_EQ(st.json()["memory_present"], false) << st.out;
    EXPECT_TRUE(st.json()["mutex_owner"].is_null()) << st.out;
    EXPECT_TRUE(st.json()["refcount"].is_null()) << st.out;
    EXPECT_TRUE(st.json()["panic"].is_null()) << st.out;
    EXPECT_EQ(st.json()["attachments"].size(), 0u) << st.out;
    ToolRun text = Osport({"stat", "s"});
    EXPECT_TRUE(absl::StrContains(text.out, "memory     gone")) << text.out;
    EXPECT_FALSE(absl::StrContains(text.out, "lock       held")) << text.out;
    EXPECT_TRUE(absl::StrContains(text.out, "the next attach replaces the region")) << text.out;

    // Memory removed under a live attacher: stat names it, as create does.
    ASSERT_EQ(Osport({"create", "t", "--size=64KiB", "--backend=" + backend}).code, 0);
    os::Child holder = Holder("t");
    ToolRun t = Osport({"stat", "t", "--json"});
    ASSERT_TRUE(os::RemoveSystemMemory(b, t.json()["system_id"].get<std::uint64_t>()).ok());
    t = Osport({"stat", "t", "--json"});
    EXPECT_EQ(t.json()["memory_present"], false) << t.out;
    ASSERT_EQ(t.json()["attachments"].size(), 1u) << t.out;
    EXPECT_EQ(t.json()["attachments"][0]["pid"], holder.pid()) << t.out;
    EXPECT_EQ(t.json()["attachments"][0]["alive"], true) << t.out;
    EXPECT_EQ(t.json()["live_refcount"], 1) << t.out;
    text = Osport({"stat", "t"});
    EXPECT_TRUE(absl::StrContains(text.out, "no attach can replace it")) << text.out;
    ASSERT_TRUE(holder.Kill().ok());
    ASSERT_NE(holder.Wait().value(), 0);
    EXPECT_EQ(Osport({"remove", "t", "--force"}).code, 0);
    EXPECT_TRUE(std::filesystem::exists(Path("s")));
    EXPECT_EQ(Osport({"remove", "s", "--force"}).code, 0);
  }
  // An abandoned (empty) file: what a creator that died at once leaves.
  WriteBytes("e", "");
  nlohmann::json j = DryRun("e", "not initialised");
  EXPECT_EQ(j["initialised"], false) << j;
  EXPECT_EQ(j["would"], (nlohmann::json{"remove_abandoned"})) << j;
  // The real recover removes it (as the dry run said it would).
  (void)Osport({"recover", "e", "--timeout=2s"});
  EXPECT_FALSE(std::filesystem::exists(Path("e")));
}

// `remove` that finds a dead lock holder names both ways out -- recover, or
// discard the data with --force -- and does not say it is waiting for a
// process that is dead (it said "the lock is held by pid N; waiting up to
// 15s", then "run recovery" alone).
TEST_F(ToolRecoverTest, RemoveAfterAKilledLockHolderNamesRecoverAndForce) {
  ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);
  os::Child h = Holder("r");
  ASSERT_TRUE(h.Kill().ok());
  ASSERT_NE(h.Wait().value(), 0);
  ToolRun r;
  if (!os::config::kWin32) {  // the text lines are on stderr: merged through /bin/sh
    r = OsportWithStderr({"remove", "r"});
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "run_recovery")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "osport recover r")) << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, "osport remove r --force")) << r.out;
    EXPECT_FALSE(absl::StrContains(r.out, "waiting up to")) << r.out;
  }
  // JSON; by now (POSIX) the region is panicked: the same two ways out.
  r = Osport({"remove", "r", "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(r.json().value("error", ""), "run_recovery") << r.out;
  EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "osport recover r")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "osport remove r --force")) << r.out;
  EXPECT_EQ(Osport({"remove", "r", "--force"}).code, 0);
  EXPECT_EQ(Osport({"stat", "r"}).code, 1);
}

TEST_F(ToolRecoverTest, RecoverAfterAKilledLockHolderKeepsTheRegion) {
  ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);
  os::Child h = Holder("r");
  const std::uint32_t pid = h.pid();
  ASSERT_TRUE(h.Kill().ok());
  ASSERT_NE(h.Wait().value(), 0);

  ToolRun r = Osport({"recover", "r", "--dry-run", "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  nlohmann::json j = r.json();
  EXPECT_EQ(j["op"], "recover") << r.out;
  EXPECT_EQ(j["region"], "r") << r.out;
  EXPECT_EQ(j["panicked"], false) << r.out;  // a dry run takes nothing over
  EXPECT_EQ(j["dead_lock_holder"], pid) << r.out;
  EXPECT_EQ(j["cleared"], false) << r.out;
  EXPECT_EQ(j["dry_run"], true) << r.out;
  // The next locker finds the dead holder and panics the region.
  r = Osport({"lock", "r", "--hold=0s", "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"error\":\"run_recovery\"")) << r.out;
  // The message names the tool's command, not the library's option.
  EXPECT_TRUE(absl::StrContains(r.json().value("message", ""), "osport recover r")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "RegionOptions")) << r.out;

  r = Osport({"recover", "r"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "was panicked")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "panic cleared")) << r.out;
  r = Osport({"stat", "r", "--json"});
  EXPECT_EQ(r.json()["panic"], false) << r.out;
  EXPECT_EQ(r.json()["size"], 64 * 1024) << r.out;
  r = Osport({"lock", "r", "--hold=0s"});
  EXPECT_EQ(r.code, 0) << r.out;

  r = Osport({"recover", "r", "--json"});  // nothing to do: still a success
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.json()["panicked"], false) << r.out;
  EXPECT_EQ(r.json()["cleared"], false) << r.out;
  EXPECT_TRUE(r.json()["dead_lock_holder"].is_null()) << r.out;

  r = Osport({"recover", "missing", "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(r.json()["error"], "not_found") << r.out;
  EXPECT_EQ(Osport({"remove", "r"}).code, 0);
}

TEST_F(ToolRecoverTest, TimeoutBoundsTheWaitForAHeldLock) {
  ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);
  os::Child h = Holder("r");
  for (const char* op : {"lock", "remove", "grow"}) {
    std::vector<std::string> args = {op, "r", "--timeout=300ms", "--json"};
    if (std::string(op) == "grow") args.push_back("--size=128KiB");
    ToolRun r = Osport(args);
    EXPECT_EQ(r.code, 1) << op << ": " << r.out;
    EXPECT_EQ(r.json()["error"], "timed_out") << op << ": " << r.out;
    EXPECT_TRUE(absl::StrContains(r.json()["message"].get<std::string>(), "r")) << r.out;
    // The tool's flag, not the library's option name.
    EXPECT_TRUE(absl::StrContains(r.json()["message"].get<std::string>(), "--timeout (300ms)")) << r.out;
    EXPECT_FALSE(absl::StrContains(r.out, "attach timeout")) << r.out;
  }
  // The remove gave up before marking anything.
  ToolRun st = Osport({"stat", "r", "--json"});
  EXPECT_EQ(st.json()["flags"], "none") << st.out;
  ASSERT_TRUE(h.Kill().ok());
  ASSERT_NE(h.Wait().value(), 0);
  EXPECT_EQ(Osport({"remove", "r", "--force"}).code, 0);
}

TEST_F(ToolRecoverTest, ANegativeZeroOrAbsurdTimeoutIsAUsageError) {
  for (const char* t : {"--timeout=-1s", "--timeout=0s", "--timeout=200h", "--timeout=inf", "--timeout=soon",
                        "--timeout"}) {
    ToolRun r = Osport({"lock", "r", "--json", t});
    EXPECT_EQ(r.code, 2) << t << ": " << r.out;
    EXPECT_EQ(r.json()["error"], "usage") << t << ": " << r.out;
  }
  EXPECT_EQ(Osport({"recover", "--json"}).code, 2);  // needs a NAME
  ToolRun help = Osport({"help", "recover"});
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "--dry-run")) << help.out;
}

// Pids of another pid namespace are judged neither alive nor dead (review 10:
// they name another process here, or none): the JSON says null and the text
// says whose they are, for the attachments and the lock holder alike.
TEST_F(ToolRecoverTest, StatJudgesNoPidOfAnotherPidNamespace) {
  ASSERT_EQ(Osport({"create", "n", "--size=64KiB", "--backend=file"}).code, 0);
  const std::uint64_t ns = Osport({"stat", "n", "--json"}).json().value("pid_namespace", std::uint64_t{0});
  if (ns == 0) {
    EXPECT_EQ(Osport({"remove", "n"}).code, 0);
    GTEST_SKIP() << "one pid space here: no pid namespaces to tell apart";
  }
  os::Child holder = Holder("n");  // attached, holding the lock, alive
  // The field's first four bytes, as they lie in the file (either byte order).
  const std::size_t at = offsetof(region::RegionHeader, pid_namespace);
  std::uint32_t first = 0;
  std::memcpy(&first, &ns, sizeof first);
  ASSERT_NO_FATAL_FAILURE(PokeHeader32("n", at, first ^ 1u));
  const nlohmann::json j = Osport({"stat", "n", "--json"}).json();
  EXPECT_EQ(j.value("pid_namespace_is_callers", true), false) << j;
  ASSERT_EQ(j["attachments"].size(), 1u) << j;
  EXPECT_TRUE(j["attachments"][0]["alive"].is_null()) << j;
  EXPECT_TRUE(j["mutex_owner"]["alive"].is_null()) << j;
  const ToolRun text = Osport({"stat", "n"});
  EXPECT_TRUE(absl::StrContains(text.out, "not judged alive or dead here")) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "(of another pid namespace: not judged)")) << text.out;  // the lock
  EXPECT_TRUE(absl::StrContains(text.out, "x1  of another pid namespace: not judged")) << text.out;  // the slot
  EXPECT_FALSE(absl::StrContains(text.out, "alive\n")) << text.out;
  EXPECT_FALSE(absl::StrContains(text.out, "(alive)")) << text.out;
  EXPECT_FALSE(absl::StrContains(text.out, "DEAD")) << text.out;
  ASSERT_NO_FATAL_FAILURE(PokeHeader32("n", at, first));
  ASSERT_TRUE(holder.Kill().ok());
  ASSERT_NE(holder.Wait().value(), 0);
  EXPECT_EQ(Osport({"remove", "n", "--force"}).code, 0);
}

}  // namespace
}  // namespace osport
