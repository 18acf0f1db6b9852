// The tool's bounded waits run on the monotonic clock (os::MonotonicNow):
// a step of the wall clock neither stretches nor cuts them (review 10: with
// the wall clock stepped back an hour, `osport lock --timeout=3s` waited
// until the holder left). The tool runs under an LD_PRELOAD shim
// (tests/support/clock_step_shim.cc) that steps CLOCK_REALTIME back one hour
// 200 ms after the process first reads it, while this test holds the
// region's liveness byte exclusively (what a creator does while it
// initialises): the attach must give up after its --timeout, while the byte
// is still held. Native Linux builds (tests/CMakeLists.txt says why).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/file.h"
#include "region/liveness.h"
#include "tests/tool_fixture.h"

namespace osport {
namespace {

TEST_F(ToolTest, AWallClockStepNeitherStretchesNorCutsTheAttachTimeout) {
  ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);
  os::File f = os::Open(Path("r"), 0).value();
  // A creator's exclusive liveness lock: every attach waits for it.
  ASSERT_TRUE(os::TryLockRange(f, region::kLivenessOffset, 1, os::RangeLock::kExclusive).value());
  // `timeout -s KILL 60` only turns the failure this test is about (a wait
  // of an hour) into exit status 137 instead of a hung suite (KILL: `lock`
  // holds off stop signals while it attaches).
  ToolRun run = Run({"/bin/sh", "-c",
                     "LD_PRELOAD=\"$0\" exec timeout -s KILL 60 \"$1\" lock r --hold=0s --timeout=2s --json "
                     "--home=\"$2\"",
                     OSPORT_CLOCK_STEP_SHIM, OSPORT_TOOL_PATH, dir()});
  EXPECT_NE(run.code, 137) << "the 2 s attach timeout ran on the wall clock: " << run.out;
  EXPECT_EQ(run.code, 1) << run.out;
  const nlohmann::json j = run.json();
  ASSERT_TRUE(j.is_object()) << run.out;
  EXPECT_EQ(j["ok"], false) << run.out;
  EXPECT_TRUE(absl::StrContains(j.value("message", ""), "2s")) << run.out;
  // Still held: the tool gave up on its own timeout, not because we let go.
  ASSERT_TRUE(os::UnlockRange(f, region::kLivenessOffset, 1).ok());
  ASSERT_TRUE(f.Close().ok());
  EXPECT_EQ(Osport({"lock", "r", "--hold=0s"}).code, 0);
  EXPECT_EQ(Osport({"remove", "r"}).code, 0);
}

}  // namespace
}  // namespace osport
