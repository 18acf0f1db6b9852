// A 32-bit and a 64-bit process share one region: the header, the mutex and
// the attachment table have one layout for both. The peer is a test binary of
// the other pointer width, named by OSPORT_PEER_TEST_BINARY (the i686 CI cell
// builds a native x86_64 one and sets it).
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "region/region.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

using testing::Ask;
constexpr std::uint64_t kSize = 256 * 1024;

class CrossWidthTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  void SetUp() override {
    testing::RegionTest::SetUp();
    const char* peer = std::getenv("OSPORT_PEER_TEST_BINARY");
    if (peer == nullptr || *peer == '\0') {
      GTEST_SKIP() << "OSPORT_PEER_TEST_BINARY names no test binary of the other pointer width "
                      "(the linux_i686_gcc cell sets it)";
    }
    peer_ = peer;
  }
  std::string peer_;
};

TEST_P(CrossWidthTest, OneRegionServesBothWidths) {
  const RegionOptions o = Options("x", kSize, GetParam());
  absl::StatusOr<Region> mine = Region::Attach(o);
  ASSERT_TRUE(mine.ok()) << mine.status();
  Track(*mine);
  *static_cast<std::uint64_t*>(mine->data()) = 5;
  ASSERT_TRUE(mine->Unlock().ok());

  absl::StatusOr<os::Child> peer = testing::StartRegionWorker(o, peer_);
  ASSERT_TRUE(peer.ok()) << peer.status();
  const std::string width = Ask(*peer, "width");
  ASSERT_NE(width, absl::StrCat(sizeof(void*) * 8)) << "the peer has our pointer width";
  ASSERT_EQ(Ask(*peer, "attach"), "ok created=0");
  EXPECT_EQ(Ask(*peer, "counter"), "5");
  // Both count under the one mutex.
  ASSERT_TRUE(peer->Send("add 20000").ok());
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(mine->Lock().ok());
    ++*static_cast<std::uint64_t*>(mine->data());
    ASSERT_TRUE(mine->Unlock().ok());
  }
  ASSERT_EQ(peer->ReadLine().value(), "ok");
  EXPECT_EQ(*static_cast<std::uint64_t*>(mine->data()), 40005u);
  EXPECT_EQ(mine->header().refcount, 2u);
  if (GetParam() == os::Backend::kFile) {
    // The other width grows it; this one remaps and sees the new part.
    ASSERT_EQ(Ask(*peer, "lock"), "ok");
    ASSERT_EQ(Ask(*peer, "grow " + std::to_string(2 * kSize)), "ok");
    ASSERT_EQ(Ask(*peer, "poke " + std::to_string(kSize) + " 77"), "ok");
    ASSERT_EQ(Ask(*peer, "unlock"), "ok");
    ASSERT_TRUE(mine->NeedsRemap());
    ASSERT_TRUE(mine->Remap().ok());
    EXPECT_EQ(*reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(mine->data()) + kSize), 77u);
  }
  EXPECT_EQ(Ask(*peer, "detach"), "ok");
  peer->CloseInput();
  EXPECT_EQ(peer->Wait().value(), 0);
  mine->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(mine->Detach().ok());
}

TEST_P(CrossWidthTest, ARegionTheOtherWidthCreatedIsJoined) {
  const RegionOptions o = Options("y", kSize, GetParam());
  absl::StatusOr<os::Child> peer = testing::StartRegionWorker(o, peer_);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_EQ(Ask(*peer, "attach"), "ok created=1");
  ASSERT_EQ(Ask(*peer, "poke 8 1234"), "ok");
  absl::StatusOr<Region> mine = Region::Attach(o);
  ASSERT_TRUE(mine.ok()) << mine.status();
  Track(*mine);
  EXPECT_FALSE(mine->created());
  EXPECT_EQ(*reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(mine->data()) + 8), 1234u);
  ASSERT_TRUE(mine->Unlock().ok());
  EXPECT_EQ(Ask(*peer, "detach"), "ok");
  peer->CloseInput();
  EXPECT_EQ(peer->Wait().value(), 0);
  mine->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(mine->Detach().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, CrossWidthTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
