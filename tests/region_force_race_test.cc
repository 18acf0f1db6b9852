// remove --force against the lifecycle (region/liveness.h, "Remove
// (force)"): a forced removal never takes a region from under a process
// that holds its exclusive liveness lock (a creation in progress, a
// destroyer), and forced removals of one file run one at a time. Review 6
// found both: a force during a create leaked the new memory while the
// create reported success for a region no name led to; a force plus a
// create between a destroyer's check and its unlink lost the new region's
// stub. Real processes, paused at an exact os call through the hook table.
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/map.h"
#include "region/errors.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/helper.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

// args: home name backend op nth. A forced removal of `name` paused at call
// `nth` of `op` ("paused"), going on at "go"; replies "removed" or
// "err <status>".
OSPORT_TEST_HELPER(ForceRemovePausedAt) {
  RegionOptions o;
  o.home = args.at(0);
  o.name = args.at(1);
  o.backend = os::ParseBackend(args.at(2)).value();
  const auto op = static_cast<os::Op>(std::stoi(args.at(3)));
  absl::StatusOr<RemoveOutcome> rm;
  {
    os::FaultInjector pause(testing::PauseForParent(op, std::stoull(args.at(4))));
    rm = Remove(o, /*force=*/true);
  }
  testing::TellParent(rm.ok() ? std::string("removed") : absl::StrCat("err ", rm.status().ToString()));
  return rm.ok() ? 0 : 1;
}

class ForceRaceTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  RegionOptions Opts() const { return Options("r", kSize, GetParam()); }

  // A forced removal that may wait only briefly: the other process is
  // paused, so waiting longer changes nothing.
  absl::Status BriefForce() {
    RegionOptions o = Opts();
    o.attach_timeout = absl::Milliseconds(300);
    return Remove(o, true).status();
  }

  void ExpectRefusedAsBusy(const absl::Status& s, const char* who) {
    EXPECT_EQ(RegionErrcOf(s), RegionErrc::kNotReady) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), who)) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "nothing was removed")) << s;
    EXPECT_TRUE(os::Exists(Path("r")).value()) << "the file went all the same";
  }
};

TEST_P(ForceRaceTest, AForcedRemovalWaitsForACreationInProgress) {
  // The creator (region_create_race_test.cc's helper) paused at its first
  // write, the creation record: it holds the exclusive lock, its file is
  // empty, and named memory is already made.
  absl::StatusOr<os::Child> creator = testing::StartHelper(
      "CreatorPausedAt", {dir(), "r", std::string(os::BackendName(GetParam())), absl::StrCat(kSize),
                          absl::StrCat(static_cast<int>(os::Op::kWrite)), "1"});
  ASSERT_TRUE(creator.ok()) << creator.status();
  ASSERT_EQ(creator->ReadLine().value(), "paused");
  ExpectRefusedAsBusy(BriefForce(), "creating, replacing or destroying it");
  ASSERT_TRUE(creator->Send("go").ok());
  const std::string line = creator->ReadLine().value_or("");
  ASSERT_EQ(line.rfind("created ", 0), 0u) << line;
  std::uint64_t id = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line.substr(8), &id)) << line;
  if (os::BackendNamed(GetParam())) Track(GetParam(), id);
  // The region the create reported is the one under the name.
  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->system_id, os::BackendNamed(GetParam()) ? id : 0u);
  EXPECT_EQ(st->live_refcount, 1u);
  // Now the force goes through, under the attached creator (force's job).
  ASSERT_TRUE(Remove(Opts(), true).ok());
  ASSERT_TRUE(creator->Send("detach").ok());
  EXPECT_EQ(creator->Wait().value(), 0);
  // Checked once the creator is gone: Win32 keeps the name of a removed
  // file until its last handle closes (os/win32/file.cc, Unlink).
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(ForceRaceTest, ForcedRemovalsOfOneFileRunOneAtATime) {
  ASSERT_NO_FATAL_FAILURE(MakeDetached(Opts()));
  // The first paused just before it unlinks the name, holding its locks.
  absl::StatusOr<os::Child> first = testing::StartHelper(
      "ForceRemovePausedAt", {dir(), "r", std::string(os::BackendName(GetParam())),
                              absl::StrCat(static_cast<int>(os::Op::kUnlink)), "1"});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->ReadLine().value(), "paused");
  ExpectRefusedAsBusy(BriefForce(), "another forced removal");
  ASSERT_TRUE(first->Send("go").ok());
  EXPECT_EQ(first->ReadLine().value_or(""), "removed");
  EXPECT_EQ(first->Wait().value(), 0);
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

std::string BackendTestName(const ::testing::TestParamInfo<os::Backend>& p) {
  return std::string(os::BackendName(p.param));
}

INSTANTIATE_TEST_SUITE_P(Backends, ForceRaceTest, ::testing::ValuesIn(testing::SharedBackends()),
                         BackendTestName);

}  // namespace
}  // namespace osport::region
