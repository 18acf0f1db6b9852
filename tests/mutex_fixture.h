// The fixture every mutex suite shares: a mutex of the parameter's kind at
// offset 0 of a scratch file mapped shared, with a counter beside it.
#ifndef OSPORT_TESTS_MUTEX_FIXTURE_H_
#define OSPORT_TESTS_MUTEX_FIXTURE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "os/file.h"
#include "os/mutex.h"
#include "tests/support/resources.h"
#include "tests/support/shared_file.h"

namespace osport::os {

// Layout of the shared scratch file.
inline constexpr std::size_t kMutexOffset = 0;
inline constexpr std::size_t kCounterOffset = 64;
inline constexpr std::size_t kSharedSize = 4096;

class MutexTest : public testing::ResourceTest, public ::testing::WithParamInterface<MutexKind> {
 protected:
  void SetUp() override {
    ResourceTest::SetUp();
    absl::StatusOr<testing::SharedFile> f = testing::SharedFile::Create(Path("region"), kSharedSize);
    ASSERT_TRUE(f.ok()) << f.status();
    shared_ = std::move(*f);
    ASSERT_TRUE(mutex().Init(GetParam(), kMutexOffset).ok());
  }
  void TearDown() override {
    shared_ = testing::SharedFile();
    (void)Unlink(Path("region"));
    ResourceTest::TearDown();
  }

  Mutex& mutex() { return *shared_.At<Mutex>(kMutexOffset); }
  std::uint64_t& counter() { return *shared_.At<std::uint64_t>(kCounterOffset); }
  // What Lock and friends take: the region file for the file-lock kind.
  File* file() { return GetParam() == MutexKind::kFileLock ? &shared_.file() : nullptr; }
  std::string region_path() const { return Path("region"); }
  // Lock/unlock pairs per worker for a test that counts exactly. The
  // file-lock kind's lock makes two system calls (the byte-range lock and
  // unlock around its test-and-set; under Wine each is a wineserver round
  // trip: 200,000 pairs per worker took 106 s on an idle machine and passed
  // the 300 s test timeout beside two other cells), so it counts over fewer
  // pairs; the interleavings come from the contention, not the count.
  int CountingPairs() const { return GetParam() == MutexKind::kFileLock ? 20000 : 200000; }

  testing::SharedFile shared_;
};

inline std::string KindName(const ::testing::TestParamInfo<MutexKind>& info) {
  return info.param == MutexKind::kSpin ? "Spin" : "FileLock";
}

#define OSPORT_INSTANTIATE_MUTEX_KINDS(suite)                                               \
  INSTANTIATE_TEST_SUITE_P(Kinds, suite,                                                     \
                           ::testing::Values(MutexKind::kSpin, MutexKind::kFileLock), KindName)

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

}  // namespace osport::os

#endif  // OSPORT_TESTS_MUTEX_FIXTURE_H_
