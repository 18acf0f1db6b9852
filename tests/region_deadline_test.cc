// Attach never waits for ever (issue 11, item 8): a live process holding the
// region lock past the attach timeout, and a lock word whose owner cannot be
// confirmed, end within bounded time. Memory removed under live attachers is
// refused naming them (item 10). Real processes hold the locks.
#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/file.h"
#include "os/map.h"
#include "os/mutex.h"
#include "os/thread.h"
#include "region/errors.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/ledger.h"
#include "tests/support/mutex_access.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

class DeadlineTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  RegionOptions Opts() const { return Options("r", kSize, GetParam()); }
};

// A live process holds the region lock; a joiner with a short attach timeout
// gets kTimedOut naming the holder (instead of waiting for ever), and joins
// as soon as the holder lets go.
TEST_P(DeadlineTest, AttachWaitsForALiveLockHolderOnlyUntilItsTimeout) {
  absl::StatusOr<os::Child> w = testing::StartRegionWorker(Opts());
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(testing::Ask(*w, "attach").substr(0, 2), "ok");
  ASSERT_EQ(testing::Ask(*w, "lock"), "ok");

  RegionOptions o = Opts();
  o.attach_timeout = absl::Milliseconds(300);
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(RegionErrcOf(r.status()), RegionErrc::kTimedOut) << r.status();
  EXPECT_NE(r.status().message().find(absl::StrCat("pid ", w->pid())), absl::string_view::npos)
      << r.status();
  EXPECT_NE(r.status().message().find("region lock is held"), absl::string_view::npos) << r.status();

  ASSERT_EQ(testing::Ask(*w, "unlock"), "ok");
  absl::StatusOr<Region> j = Region::Attach(o);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_FALSE(j->panicked());
  ASSERT_TRUE(j->Unlock().ok());
  ASSERT_TRUE(j->Detach().ok());
  EXPECT_EQ(testing::Ask(*w, "detach"), "ok");
  EXPECT_EQ(testing::Ask(*w, "exit"), "");
  EXPECT_EQ(w->Wait().value(), 0);
  ASSERT_TRUE(Remove(Opts(), false).ok());
}

// A lock word that names a live thread which never wrote its owner record
// (an owner that died between taking the word and writing the record, its
// id then reused): Attach does not wait for ever. Within a short timeout it
// is kTimedOut; with room for the mutex's bounded judgement (2 s) it is
// resolved as an owner death: the region is panicked, the lock not held.
TEST_P(DeadlineTest, ALockWordWhoseOwnerCannotBeConfirmedIsResolvedInBoundedTime) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->Unlock().ok());
  // A live thread of this process lends its id; it never locks anything.
  std::promise<std::uint32_t> tid;
  std::promise<void> finish;
  std::thread lender([&] {
    tid.set_value(os::CurrentThread().tid);
    finish.get_future().wait();
  });
  os::MutexAccess::SetWord(a->header().mutex, tid.get_future().get());

  RegionOptions quick = Opts();
  quick.attach_timeout = absl::Milliseconds(200);
  absl::StatusOr<Region> r = Region::Attach(quick);
  EXPECT_EQ(RegionErrcOf(r.status()), RegionErrc::kTimedOut) << r.status();

  RegionOptions patient = Opts();
  patient.attach_timeout = absl::Seconds(10);
  absl::StatusOr<Region> p = Region::Attach(patient);
  EXPECT_TRUE(IsRunRecovery(p.status())) << p.status();
  EXPECT_FALSE(os::IsOwnerDead(p.status()));  // not held: one status, one meaning
  EXPECT_NE(p.status().message().find("died"), absl::string_view::npos) << p.status();
  EXPECT_TRUE(a->panicked());
  EXPECT_FALSE(a->header().mutex.owner().held);  // the joiner let it go
  finish.set_value();
  lender.join();

  // Recovery keeps the region.
  RegionOptions ro = Opts();
  ro.recover = true;
  absl::StatusOr<Region> c = Region::Attach(ro);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->ClearPanic().ok());
  ASSERT_TRUE(c->Unlock().ok());
  ASSERT_TRUE(c->Detach().ok());
  ASSERT_TRUE(a->Lock().ok());
  ASSERT_TRUE(a->Unlock().ok());
  ASSERT_TRUE(a->Detach().ok());
  ASSERT_TRUE(Remove(Opts(), false).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, DeadlineTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

// Memory removed under a live attacher (ipcrm, systemd RemoveIPC): a new
// Attach refuses to create over it, naming the attacher's pid (from the
// stub's slots: the kernel does not name OFD lock owners); once it detaches,
// the region is replaced.
class MemoryGoneTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {};

TEST_P(MemoryGoneTest, CreatingOverLiveAttachersIsRefusedNamingThem) {
  if (GetParam() == os::Backend::kFile) GTEST_SKIP() << "a file region's memory is its file";
  if (GetParam() == os::Backend::kPagingFile) {
    GTEST_SKIP() << "a paging-file section cannot be removed while it has users";
  }
  const RegionOptions o = Options("r", kSize, GetParam());
  absl::StatusOr<os::Child> w = testing::StartRegionWorker(o);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(testing::Ask(*w, "attach"), "ok created=1");
  absl::StatusOr<RegionStat> st = Stat(o);
  ASSERT_TRUE(st.ok()) << st.status();
  Track(GetParam(), st->system_id);
  ASSERT_TRUE(os::RemoveSystemMemory(GetParam(), st->system_id).ok());

  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(RegionErrcOf(r.status()), RegionErrc::kBusy) << r.status();
  EXPECT_NE(r.status().message().find(absl::StrCat("process ", w->pid())), absl::string_view::npos)
      << r.status();
  EXPECT_NE(r.status().message().find("memory is gone"), absl::string_view::npos) << r.status();

  EXPECT_EQ(testing::Ask(*w, "detach"), "ok");  // its memory, still mapped
  EXPECT_EQ(testing::Ask(*w, "exit"), "");
  EXPECT_EQ(w->Wait().value(), 0);
  absl::StatusOr<Region> fresh = Region::Attach(o);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(fresh->created());
  Track(*fresh);
  ASSERT_TRUE(fresh->Unlock().ok());
  ASSERT_TRUE(fresh->Detach().ok());
  ASSERT_TRUE(Remove(o, false).ok());
  EXPECT_EQ(testing::LedgerLeftovers(), std::vector<std::string>{});
}

// An attach that may not create (osport lock, grow, panic) finds a stub
// whose memory is gone with nobody attached: it removes the stub and says
// the region does not exist -- and why: the memory is gone, not a dead
// creator (review 4 saw "abandoned by a dead creator" for this).
TEST_P(MemoryGoneTest, AJoinOnlyAttachSaysTheMemoryIsGone) {
  if (!os::BackendNamed(GetParam())) GTEST_SKIP() << "a file region's memory is its file";
  if (GetParam() == os::Backend::kPagingFile) {
    GTEST_SKIP() << "a paging-file section dies with its last user: nothing to remove behind it";
  }
  RegionOptions o = Options("r", kSize, GetParam());
  ASSERT_NO_FATAL_FAILURE(MakeDetached(o));
  absl::StatusOr<RegionStat> st = Stat(o);
  ASSERT_TRUE(st.ok()) << st.status();
  if (os::config::kZeroOnLastClose) {
    // The memory died with its last user already.
    ASSERT_TRUE(Remove(o, true).ok());
    GTEST_SKIP() << "named memory dies with its last user in this build";
  }
  ASSERT_TRUE(os::RemoveSystemMemory(GetParam(), st->system_id).ok());
  o.create = false;
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_NE(r.status().message().find("is gone"), absl::string_view::npos) << r.status();
  EXPECT_EQ(r.status().message().find("dead creator"), absl::string_view::npos) << r.status();
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, MemoryGoneTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
