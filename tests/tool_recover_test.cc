// osport recover and --timeout, driving the real executable: a lock holder
// killed holding the lock, then recovered keeping the data; bounded waits
// for a held lock; timeouts that are usage errors.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "os/process.h"
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
};

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
  EXPECT_EQ(j["panicked"], true) << r.out;  // the dead holder, taken over, panics it
  EXPECT_EQ(j["dead_lock_holder"], pid) << r.out;
  EXPECT_EQ(j["cleared"], false) << r.out;
  EXPECT_EQ(j["dry_run"], true) << r.out;
  r = Osport({"lock", "r", "--hold=0s", "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"error\":\"run_recovery\"")) << r.out;

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
    ToolRun r = Osport({"stat", "r", "--json", t});
    EXPECT_EQ(r.code, 2) << t << ": " << r.out;
    EXPECT_EQ(r.json()["error"], "usage") << t << ": " << r.out;
  }
  EXPECT_EQ(Osport({"recover", "--json"}).code, 2);  // needs a NAME
  ToolRun help = Osport({"help", "recover"});
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "--dry-run")) << help.out;
}

}  // namespace
}  // namespace osport
