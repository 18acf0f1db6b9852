// Regions after crashes and on hostile files: killed lock holders, killed
// attachers, a creator paused mid-initialisation, memory gone behind its
// stub, the Win95 rule, and corrupt headers.
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "region/errors.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/helper.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

using testing::Ask;
constexpr std::uint64_t kSize = 64 * 1024;

class CrashTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  RegionOptions Opts() const { return Options("r", kSize, GetParam()); }

  // Starts a worker attached to the region.
  os::Child Worker() {
    absl::StatusOr<os::Child> w = testing::StartRegionWorker(Opts());
    EXPECT_TRUE(w.ok()) << w.status();
    if (!w.ok()) return {};
    EXPECT_EQ(Ask(*w, "attach").substr(0, 2), "ok");
    return std::move(*w);
  }
};

TEST_P(CrashTest, AProcessKilledHoldingTheLockPanicsTheRegion) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->Unlock().ok());
  os::Child w = Worker();
  ASSERT_EQ(Ask(w, "lock"), "ok");
  ASSERT_TRUE(w.Kill().ok());
  EXPECT_NE(w.Wait().value(), 0);

  // The next attach finds the dead owner and panics the region: kRunRecovery
  // saying so, the lock NOT held (kOwnerDied always means "held": only Lock
  // returns it).
  absl::StatusOr<Region> b = Region::Attach(Opts());
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(IsRunRecovery(b.status())) << b.status();
  EXPECT_FALSE(os::IsOwnerDead(b.status()));
  EXPECT_NE(b.status().message().find("died holding the region lock"), absl::string_view::npos)
      << b.status();
  absl::StatusOr<Region> c = Region::Attach(Opts());
  EXPECT_TRUE(IsRunRecovery(c.status())) << c.status();
  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->panic);
  // Force removal cleans up what nobody can attach to any more.
  ASSERT_TRUE(Remove(Opts(), true).ok());
  ASSERT_TRUE(a->Detach().ok());
}

TEST_P(CrashTest, AKilledAttacherIsReconciledAndTheLastDetachStillRemoves) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->Unlock().ok());
  os::Child w1 = Worker();
  os::Child w2 = Worker();
  const std::uint32_t dead_pid = w1.pid();
  ASSERT_TRUE(w1.Kill().ok());
  ASSERT_NE(w1.Wait().value(), 0);
  EXPECT_EQ(Ask(w2, "exit"), "");  // exits without detaching
  ASSERT_EQ(w2.Wait().value(), 0);

  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->refcount, 3u);       // as recorded
  EXPECT_EQ(st->live_refcount, 1u);  // only us
  int dead = 0;
  for (const AttachmentStat& at : st->attachments) {
    if (!at.alive) ++dead;
    if (at.pid == dead_pid) {
      EXPECT_FALSE(at.alive);
    }
  }
  EXPECT_EQ(dead, 2);

  // Non-force remove: the dead are reconciled, so only we remain: marked
  // because we are attached; our detach is the last and removes it.
  EXPECT_EQ(Remove(Opts(), false).value_or(RemoveOutcome::kRemoved), RemoveOutcome::kMarked);
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(CrashTest, AfterACrashNonForceRemoveWorks) {
  {
    os::Child w = Worker();  // creates it
    ASSERT_TRUE(w.Kill().ok());
    ASSERT_NE(w.Wait().value(), 0);
  }
  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  Track(st->backend, st->system_id);
  EXPECT_EQ(st->live_refcount, 0u);
  EXPECT_EQ(Remove(Opts(), false).value_or(RemoveOutcome::kMarked), RemoveOutcome::kRemoved);  // the dead attachment does not count
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(CrashTest, AJoinerRetriesWhileTheCreatorIsPausedMidInitialisation) {
  // The creator is paused after its memory exists but before the header is
  // written: at its first mapping call.
  absl::StatusOr<os::Child> creator = testing::StartHelper(
      "PausedCreator", {dir(), "r", std::string(os::BackendName(GetParam())), absl::StrCat(kSize)});
  ASSERT_TRUE(creator.ok()) << creator.status();
  ASSERT_EQ(creator->ReadLine().value(), "paused");

  absl::StatusOr<os::Child> joiner = testing::StartHelper(
      "CountingJoiner", {dir(), "r", std::string(os::BackendName(GetParam())), absl::StrCat(kSize)});
  ASSERT_TRUE(joiner.ok()) << joiner.status();
  ASSERT_EQ(joiner->ReadLine().value(), "retrying");  // it found the region unready
  ASSERT_TRUE(creator->Send("go").ok());
  EXPECT_EQ(creator->ReadLine().value(), "created");
  const std::string joined = joiner->ReadLine().value();
  EXPECT_EQ(joined.substr(0, 6), "joined") << joined;
  EXPECT_EQ(joiner->Wait().value(), 0);
  ASSERT_TRUE(creator->Send("detach").ok());
  EXPECT_EQ(creator->Wait().value(), 0);
  absl::StatusOr<RegionStat> st = Stat(Options("r", kSize, GetParam()));
  ASSERT_TRUE(st.ok()) << st.status();
  Track(st->backend, st->system_id);
  EXPECT_EQ(st->live_refcount, 0u);
  ASSERT_TRUE(Remove(Options("r", kSize, GetParam()), true).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

RegionOptions HelperOptions(const std::vector<std::string>& args) {
  RegionOptions o;
  o.home = args.at(0);
  o.name = args.at(1);
  o.backend = os::ParseBackend(args.at(2)).value();
  o.size = std::stoull(args.at(3));
  o.retry.attempts = 1000;
  o.retry.backoff = absl::Microseconds(200);
  return o;
}

OSPORT_TEST_HELPER(PausedCreator) {
  RegionOptions o = HelperOptions(args);
  os::FaultInjector pause(testing::PauseForParent(os::Op::kMap, 1));
  absl::StatusOr<Region> r = Region::Attach(o);
  if (!r.ok() || !r->created() || !r->Unlock().ok()) return 1;
  testing::TellParent("created");
  // Stay attached until the joiner has joined: under the Win95 rule a last
  // detach releases the memory, which would make the joiner a creator.
  testing::ReadParentLine();
  return r->Detach().ok() ? 0 : 1;
}

OSPORT_TEST_HELPER(CountingJoiner) {
  RegionOptions o = HelperOptions(args);
  // Its first retry sleep tells the parent it found the region not ready.
  os::FaultInjector counter(os::FaultRule::Pause(os::Op::kSleep, 1, [] { testing::TellParent("retrying"); }));
  absl::StatusOr<Region> r = Region::Attach(o);
  if (!r.ok() || r->created()) {
    testing::TellParent(r.ok() ? "created?" : std::string(r.status().message()));
    return 1;
  }
  testing::TellParent(absl::StrCat("joined after ", counter.calls(os::Op::kSleep), " retries"));
  return r->Unlock().ok() && r->Detach().ok() ? 0 : 1;
}

// --- named memory that disappears --------------------------------------------

class NamedTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {};

TEST_P(NamedTest, MemoryRemovedBehindItsStubIsRecreated) {
  RegionOptions o = Options("r", kSize, GetParam());
  std::uint64_t old_id = 0;
  {
    absl::StatusOr<Region> a = Region::Attach(o);
    ASSERT_TRUE(a.ok()) << a.status();
    old_id = a->header().system_id;
    ASSERT_TRUE(a->Unlock().ok());
    ASSERT_TRUE(a->Detach().ok());
  }
  // What a reboot does: the memory goes, the stub file stays.
  ASSERT_TRUE(os::RemoveSystemMemory(GetParam(), old_id).ok());
  absl::StatusOr<Region> b = Region::Attach(o);
  ASSERT_TRUE(b.ok()) << b.status();
  Track(*b);
  EXPECT_TRUE(b->created());  // the stale stub was replaced and the region made anew
  // A POSIX shm name is derived from the stub, so the new memory may well
  // have the old id; SysV hands out a new segment id.
  if (GetParam() == os::Backend::kSysV) {
    EXPECT_NE(b->header().system_id, old_id);
  }
  ASSERT_TRUE(b->Unlock().ok());
  b->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(b->Detach().ok());
}

TEST_P(NamedTest, TheLastDetachFollowsTheZeroOnLastCloseRule) {
  RegionOptions o = Options("r", kSize, GetParam());
  std::uint64_t id = 0;
  {
    absl::StatusOr<Region> a = Region::Attach(o);
    ASSERT_TRUE(a.ok()) << a.status();
    id = a->header().system_id;
    std::memcpy(a->data(), "kept?", 6);
    ASSERT_TRUE(a->Unlock().ok());
    ASSERT_TRUE(a->Detach().ok());  // the last user leaves
  }
  os::CallCounter counter;
  absl::StatusOr<Region> b = Region::Attach(o);
  ASSERT_TRUE(b.ok()) << b.status();
  Track(*b);
  if (os::config::kZeroOnLastClose) {
    // Win95: the memory was released; the joiner saw magic 0 with nobody
    // else attached (it got the exclusive liveness lock), removed the stale
    // memory and re-created the region in place, within its first try.
    EXPECT_TRUE(b->created());
    EXPECT_EQ(counter.calls(os::Op::kSleep), 0u);  // no retry, no back-off
    if (GetParam() == os::Backend::kSysV) {  // a POSIX shm name is derived from the stub: it may come back
      EXPECT_NE(b->header().system_id, id);
      EXPECT_FALSE(testing::SystemMemoryExists(GetParam(), id));
    }
    EXPECT_EQ(static_cast<const char*>(b->data())[0], '\0');
  } else {
    // Elsewhere named memory lives until it is removed.
    EXPECT_FALSE(b->created());
    EXPECT_EQ(b->header().system_id, id);
    EXPECT_STREQ(static_cast<const char*>(b->data()), "kept?");
  }
  ASSERT_TRUE(b->Unlock().ok());
  b->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(b->Detach().ok());
}

std::vector<os::Backend> NamedBackends() {
  std::vector<os::Backend> out;
  for (os::Backend b : testing::SharedBackends()) {
    if (os::BackendNamed(b)) out.push_back(b);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Backends, NamedTest, ::testing::ValuesIn(NamedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
