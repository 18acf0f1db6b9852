// Windows only: a paging-file region lives exactly as long as some process
// holds its section -- zero-on-last-close is native -- and the next attach
// after the last user left finds the stale stub and makes the region anew
// through the retry path (the seed's Win95 EAGAIN path). The neutral
// NamedTest.TheLastDetachFollowsTheZeroOnLastCloseRule covers one process;
// this covers the lifetime across processes, and a killed last user.
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "os/fault_injection.h"
#include "os/map.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

using testing::Ask;
constexpr std::uint64_t kSize = 64 * 1024;

class PagingFileLifetimeTest : public testing::RegionTest {
 protected:
  RegionOptions Opts() const { return Options("r", kSize, os::Backend::kPagingFile); }

  // A worker process that created the region and wrote 42 into it.
  os::Child Creator() {
    absl::StatusOr<os::Child> w = testing::StartRegionWorker(Opts());
    EXPECT_TRUE(w.ok()) << w.status();
    if (!w.ok()) return {};
    EXPECT_EQ(Ask(*w, "attach"), "ok created=1");
    EXPECT_EQ(Ask(*w, "poke 0 42"), "ok");
    return std::move(*w);
  }

  // The next attach after the last user left: the stale stub is found and,
  // since nobody holds the liveness lock, replaced in place within the first
  // try (no retry back-off): the region is made anew with fresh memory.
  void ExpectRecreated(std::uint64_t old_id) {
    os::CallCounter counter;
    absl::StatusOr<Region> b = Region::Attach(Opts());
    ASSERT_TRUE(b.ok()) << b.status();
    Track(*b);
    EXPECT_TRUE(b->created());
    EXPECT_EQ(counter.calls(os::Op::kSleep), 0u) << "replacing a stale stub needs no retry";
    EXPECT_NE(b->header().system_id, old_id);
    EXPECT_EQ(static_cast<const unsigned char*>(b->data())[0], 0u);
    ASSERT_TRUE(b->Unlock().ok());
    b->header().flags |= kFlagRemoveOnDetach;
    ASSERT_TRUE(b->Detach().ok());
  }
};

TEST_F(PagingFileLifetimeTest, TheSectionLivesWhileAnyProcessHoldsItAndDiesWithTheLast) {
  os::Child w = Creator();
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_FALSE(a->created());
  const std::uint64_t id = a->header().system_id;
  ASSERT_TRUE(a->Unlock().ok());
  EXPECT_EQ(Ask(w, "detach"), "ok");
  ASSERT_TRUE(w.Send("exit").ok());
  EXPECT_EQ(w.Wait().value_or(-1), 0);

  // The creator is gone; this process still holds the section.
  EXPECT_TRUE(testing::SystemMemoryExists(os::Backend::kPagingFile, id));
  std::uint64_t seen = 0;
  std::memcpy(&seen, a->data(), sizeof seen);
  EXPECT_EQ(seen, 42u);

  ASSERT_TRUE(a->Detach().ok());  // the last user
  EXPECT_FALSE(testing::SystemMemoryExists(os::Backend::kPagingFile, id));
  ExpectRecreated(id);
}

TEST_F(PagingFileLifetimeTest, AKilledLastUserTakesTheSectionWithIt) {
  os::Child w = Creator();
  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  const std::uint64_t id = st->system_id;
  EXPECT_TRUE(testing::SystemMemoryExists(os::Backend::kPagingFile, id));
  ASSERT_TRUE(w.Kill().ok());  // TerminateProcess: the kernel closes its handles
  EXPECT_NE(w.Wait().value_or(0), 0);
  EXPECT_FALSE(testing::SystemMemoryExists(os::Backend::kPagingFile, id));
  ExpectRecreated(id);
}

}  // namespace
}  // namespace osport::region
