// os/process.h: identity, liveness (including a reused pid), helper children.
#include "os/process.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/file.h"
#include "tests/support/helper.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

using ProcessTest = testing::ResourceTest;

OSPORT_TEST_HELPER(ReportIdentity) {
  const ProcessIdentity me = CurrentProcess();
  testing::TellParent(absl::StrCat(me.pid, " ", me.start));
  testing::ReadParentLine();  // stay alive until the parent says
  return 7;
}

TEST_F(ProcessTest, ChildReportsItsOwnIdentity) {
  absl::StatusOr<Child> c = testing::StartHelper("ReportIdentity");
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string line = c->ReadLine().value();
  std::uint32_t pid = 0;
  std::uint64_t start = 0;
  const std::size_t sp = line.find(' ');
  ASSERT_TRUE(absl::SimpleAtoi(line.substr(0, sp), &pid)) << line;
  ASSERT_TRUE(absl::SimpleAtoi(line.substr(sp + 1), &start)) << line;
  EXPECT_EQ(pid, c->pid());
  EXPECT_NE(pid, CurrentProcess().pid);
  const ProcessIdentity child{pid, start};
  EXPECT_TRUE(IsAlive(child).value());
  EXPECT_EQ(ProcessStartStamp(pid).value(), start);
  ASSERT_TRUE(c->Send("bye").ok());
  EXPECT_EQ(c->Wait().value(), 7);
  EXPECT_FALSE(IsAlive(child).value());
  EXPECT_EQ(ProcessStartStamp(pid).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ProcessTest, AReusedPidIsNotTheSameProcess) {
  const ProcessIdentity me = CurrentProcess();
  EXPECT_TRUE(IsAlive(me).value());
  EXPECT_TRUE(IsAlive(ProcessIdentity{me.pid, 0}).value());  // pid only
  // Same pid, another start: what a recycled pid looks like. The portable
  // POSIX build cannot read start stamps (no /proc): the pid alone answers,
  // so a recycled pid looks alive (docs/PORTING.md).
  EXPECT_EQ(IsAlive(ProcessIdentity{me.pid, me.start + 1}).value(), !config::kProcessStartStamps);
  EXPECT_FALSE(IsAlive(ProcessIdentity{0, 0}).value());
}

TEST_F(ProcessTest, AKilledChildIsDeadBeforeItIsReaped) {
  absl::StatusOr<Child> c = testing::StartHelper("ReportIdentity");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_FALSE(c->ReadLine().value().empty());
  const ProcessIdentity child{c->pid(), ProcessStartStamp(c->pid()).value()};
  ASSERT_TRUE(c->Kill().ok());
  // Not yet waited for: the OS keeps its entry, but it is not alive. Death
  // is asynchronous, so poll until the kernel has finished it -- bounded by
  // time, not by a count of polls: 10,000 polls (21 ms) were too few once in
  // the posix_generic cell with two CI jobs on 2 cores.
  bool alive = true;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (alive && absl::Now() < give_up) {
    alive = IsAlive(child).value();
    if (alive) std::this_thread::yield();
  }
  EXPECT_FALSE(alive);
  const int code = c->Wait().value();
  EXPECT_NE(code, 0);
  EXPECT_NE(code, 7);
}

TEST_F(ProcessTest, ChildOutputEndIsOutOfRange) {
  absl::StatusOr<Child> c = testing::StartHelper("ReportIdentity");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_FALSE(c->ReadLine().value().empty());
  c->CloseInput();  // its ReadParentLine() sees end of input
  EXPECT_EQ(c->ReadLine().status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(c->Wait().value(), 7);
  EXPECT_EQ(c->Wait().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ProcessTest, DestroyingARunningChildKillsAndReapsIt) {
  std::uint32_t pid = 0;
  {
    absl::StatusOr<Child> c = testing::StartHelper("ReportIdentity");
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_FALSE(c->ReadLine().value().empty());
    pid = c->pid();
  }
  EXPECT_FALSE(IsAlive(ProcessIdentity{pid, 0}).value());
}

TEST_F(ProcessTest, SpawningAMissingProgramIsNotFound) {
  absl::StatusOr<Child> c = Spawn({Path("no-such-program")});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
  EXPECT_EQ(Spawn({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ProcessTest, ExecutablePathIsThisBinary) {
  if constexpr (!config::kProcessStartStamps) {
    // POSIX has no call for it; without /proc the build says so.
    absl::StatusOr<std::string> path = ExecutablePath();
    if (!path.ok()) {
      EXPECT_EQ(path.status().code(), absl::StatusCode::kUnimplemented) << path.status();
      return;
    }
  }
  bool is_dir = true;
  EXPECT_TRUE(Exists(ExecutablePath().value(), &is_dir).value());
  EXPECT_FALSE(is_dir);
}

}  // namespace
}  // namespace osport::os
