// Region create / join / detach / remove / grow on every shared backend, in
// one process and across real processes.
#include "region/region.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "region/errors.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

using testing::Ask;
constexpr std::uint64_t kSize = 64 * 1024;

std::uint64_t& Word(Region& r, std::uint64_t offset = 0) {
  return *reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(r.data()) + offset);
}

class BackendTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  RegionOptions Opts(std::uint64_t size = kSize) const {
    return Options("r", size, GetParam());
  }
};

TEST_P(BackendTest, CreateJoinDetachRemoveInOneProcess) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  EXPECT_TRUE(a->created());
  EXPECT_EQ(a->backend(), GetParam());
  EXPECT_EQ(a->size(), kSize);
  EXPECT_EQ(a->data_size(), kSize - kHeaderSize);
  Word(*a) = 42;
  ASSERT_TRUE(a->Unlock().ok());

  absl::StatusOr<Region> b = Region::Attach(Opts());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->created());
  EXPECT_EQ(Word(*b), 42u);
  EXPECT_EQ(b->header().refcount, 2u);
  ASSERT_TRUE(b->Unlock().ok());

  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->refcount, 2u);
  EXPECT_EQ(st->live_refcount, 2u);
  EXPECT_EQ(st->backend, GetParam());
  EXPECT_EQ(st->stub, os::BackendNamed(GetParam()));
  EXPECT_EQ(st->size, kSize);
  ASSERT_EQ(st->attachments.size(), 1u);  // one process, attached twice
  EXPECT_EQ(st->attachments[0].count, 2u);
  EXPECT_FALSE(st->owner.held);

  ASSERT_TRUE(b->Detach().ok());
  // Non-force remove while `a` is attached: marked (not an error).
  absl::StatusOr<RemoveOutcome> marked = Remove(Opts(), false);
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_EQ(*marked, RemoveOutcome::kMarked);
  EXPECT_TRUE(os::Exists(Path("r")).value());
  // The last detach of a marked region removes it.
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(BackendTest, ForceRemoveNeverAttaches) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  // Still locked by us: force removal does not care.
  ASSERT_TRUE(Remove(Opts(), true).ok());
  if (!os::config::kWin32) {
    // POSIX removes the name at once. On Win32 the name of a deleted file
    // stays until its last handle (ours) closes: checked after the detach.
    EXPECT_FALSE(os::Exists(Path("r")).value());
    EXPECT_TRUE(Remove(Opts(), true).ok());  // nothing left: still fine
  }
  // Our mapping stays valid until we detach.
  Word(*a) = 7;
  ASSERT_TRUE(a->Unlock().ok());
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
  EXPECT_TRUE(Remove(Opts(), true).ok());
}

TEST_P(BackendTest, SecondProcessJoinsAndSeesWrites) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  Word(*a, 8) = 1234;
  ASSERT_TRUE(a->Unlock().ok());

  absl::StatusOr<os::Child> w = testing::StartRegionWorker(Opts());
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(Ask(*w, "attach"), "ok created=0");
  EXPECT_EQ(Ask(*w, "peek 8"), "1234");
  EXPECT_EQ(Ask(*w, "add 1000"), "ok");
  ASSERT_TRUE(a->Lock().ok());
  EXPECT_EQ(Word(*a), 1000u);
  EXPECT_EQ(a->header().refcount, 2u);
  ASSERT_TRUE(a->Unlock().ok());
  EXPECT_EQ(Ask(*w, "detach"), "ok");
  EXPECT_EQ(Ask(*w, "exit"), "");
  EXPECT_EQ(w->Wait().value(), 0);
  // `a` is still attached: marked; our detach then removes it.
  EXPECT_EQ(Remove(Opts(), false).value_or(RemoveOutcome::kRemoved), RemoveOutcome::kMarked);
  EXPECT_TRUE(os::Exists(Path("r")).value());
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(BackendTest, GrowIsSeenAndRemappedByAnotherProcess) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->Unlock().ok());
  absl::StatusOr<os::Child> w = testing::StartRegionWorker(Opts());
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(Ask(*w, "attach"), "ok created=0");

  ASSERT_TRUE(a->Lock().ok());
  absl::Status g = a->Grow(4 * kSize);
  if (GetParam() != os::Backend::kFile) {
    // Only file-backed regions can grow.
    EXPECT_EQ(g.code(), absl::StatusCode::kFailedPrecondition) << g;
    ASSERT_TRUE(a->Unlock().ok());
  } else {
    ASSERT_TRUE(g.ok()) << g;
    EXPECT_EQ(a->size(), 4 * kSize);
    Word(*a, 3 * kSize) = 99;  // in the new part
    ASSERT_TRUE(a->Unlock().ok());
    EXPECT_EQ(Ask(*w, "needsremap"), "1");
    EXPECT_EQ(Ask(*w, "remap"), "ok");
    EXPECT_EQ(Ask(*w, "needsremap"), "0");
    EXPECT_EQ(Ask(*w, "peek " + std::to_string(3 * kSize)), "99");
    os::File f = os::Open(Path("r"), os::kOpenReadOnly).value();
    EXPECT_EQ(os::GetIoInfo(f).value().size(), 4 * kSize);
  }
  EXPECT_EQ(Ask(*w, "detach"), "ok");
  w->CloseInput();
  EXPECT_EQ(w->Wait().value(), 0);
  a->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(BackendTest, GrowNeedsTheLockAndChecksItsArgument) {
  // Sizes round up to the map granularity (64 KiB on Win32): at least two
  // units, so that half the region is still smaller once rounded.
  const std::uint64_t size = std::max(kSize, 2 * os::MapGranularity());
  absl::StatusOr<Region> a = Region::Attach(Opts(size));
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  if (GetParam() == os::Backend::kFile) {
    EXPECT_EQ(a->Grow(size / 2).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(a->Grow(size).ok());  // same size: nothing to do
    ASSERT_TRUE(a->Unlock().ok());
    EXPECT_EQ(a->Grow(2 * size).code(), absl::StatusCode::kFailedPrecondition);
  } else {
    ASSERT_TRUE(a->Unlock().ok());
  }
  ASSERT_TRUE(Remove(Opts(size), true).ok());
  ASSERT_TRUE(a->Detach().ok());
}

TEST_P(BackendTest, PanicMakesEveryLaterAttachRunRecovery) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  a->Panic();
  ASSERT_TRUE(a->Unlock().ok());
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<Region> b = Region::Attach(Opts());
    ASSERT_FALSE(b.ok());
    EXPECT_TRUE(IsRunRecovery(b.status())) << b.status();
  }
  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->panic);
  EXPECT_TRUE(IsRunRecovery(Remove(Opts(), false).status()));
  ASSERT_TRUE(Remove(Opts(), true).ok());
  ASSERT_TRUE(a->Detach().ok());
}

TEST_P(BackendTest, JoiningWithoutCreateNeedsAnExistingRegion) {
  RegionOptions o = Opts();
  o.create = false;
  absl::StatusOr<Region> r = Region::Attach(o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_EQ(Remove(Opts(), false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Stat(Opts()).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(BackendTest, ASmallerExistingRegionIsTooSmallUnlessTheSizeIsADefault) {
  absl::StatusOr<Region> a = Region::Attach(Opts());
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->Unlock().ok());
  RegionOptions big = Opts(4 * kSize);
  EXPECT_EQ(RegionErrcOf(Region::Attach(big).status()), RegionErrc::kTooSmall);
  big.size_is_default = true;
  absl::StatusOr<Region> b = Region::Attach(big);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->size(), kSize);
  ASSERT_TRUE(b->Unlock().ok());
  ASSERT_TRUE(b->Detach().ok());
  ASSERT_TRUE(Remove(Opts(), true).ok());
  ASSERT_TRUE(a->Detach().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

using OptionsTest = testing::RegionTest;

TEST_F(OptionsTest, BadOptionsGetClearErrors) {
  for (const char* name : {"", ".", "..", "a/b", "../x", "a\\b"}) {
    absl::StatusOr<Region> r = Region::Attach(Options(name, kSize));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(Region::Attach(Options("z", 0)).status().code(), absl::StatusCode::kInvalidArgument);
  RegionOptions o = Options("m", kSize);
  o.mode = 0444;
  EXPECT_EQ(Region::Attach(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options("h", kSize);
  o.home = Path("no-such-dir");
  EXPECT_EQ(Region::Attach(o).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<Region> huge = Region::Attach(Options("big", os::config::kRegionSizeMax + 1));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("OSPORT_REGIONSIZE_MAX"), absl::string_view::npos);
  o = Options("p", kSize, os::Backend::kHeap);  // private memory for a shared region
  EXPECT_EQ(Region::Attach(o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OptionsTest, NewRegionGetsExactlyItsMode) {
  RegionOptions o = Options("mode", kSize);
  o.mode = 0640;
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<RegionStat> st = Stat(o);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->mode, 0640u);
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(Remove(o, true).ok());
  ASSERT_TRUE(r->Detach().ok());
}

TEST_F(OptionsTest, SizesRoundUpToPages) {
  absl::StatusOr<Region> r = Region::Attach(Options("round", 1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), RoundRegionSize(1));
  EXPECT_GE(r->size(), 2 * kHeaderSize);
  EXPECT_EQ(r->size() % os::MapGranularity(), 0u);
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(Remove(Options("round", 1), true).ok());
  ASSERT_TRUE(r->Detach().ok());
}

}  // namespace
}  // namespace osport::region
