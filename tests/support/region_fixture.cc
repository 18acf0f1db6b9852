// The neutral half of the region fixture.
#include "tests/support/region_fixture.h"

#include <cstddef>

#include "gsl/span"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/file.h"
#include "region/header.h"
#include "tests/support/ledger.h"

namespace osport::testing {

std::vector<os::Backend> SharedBackends() {
  std::vector<os::Backend> out;
  for (os::Backend b : {os::Backend::kFile, os::Backend::kSysV, os::Backend::kPosixShm,
                        os::Backend::kPagingFile}) {
    if (os::BackendSupported(b)) out.push_back(b);
  }
  return out;
}

std::vector<os::Backend> DerivedNameBackends() {
  std::vector<os::Backend> out;
  for (os::Backend b : SharedBackends()) {
    if (b == os::Backend::kSysV || b == os::Backend::kPosixShm) out.push_back(b);
  }
  return out;
}

void RegionTest::SetUp() {
  ResourceTest::SetUp();
  mappings_before_ = CountRegionMappings(dir());
  StartLedger(dir() + ".ledger");
}

void RegionTest::TearDown() {
  kept_.clear();  // the test's own clean-up of memory under their names is done
  EXPECT_EQ(CountRegionMappings(dir()), mappings_before_) << "region mappings left behind";
  const std::vector<std::string> leaked = FinishLedger();
  EXPECT_TRUE(leaked.empty()) << "system memory left behind: " << ::testing::PrintToString(leaked);
  for (const auto& [backend, id] : tracked_) {
    // POSIX names derive from the stub's inode, which another osport user's
    // new stub may get once ours is gone: by name it may be theirs. The
    // ledger above checks POSIX objects by their own inode instead (seen in
    // the shared_only cell beside ci/neighbour).
    if (backend == os::Backend::kPosixShm) continue;
    EXPECT_FALSE(SystemMemoryExists(backend, id))
        << os::BackendName(backend) << " memory " << id << " left behind";
  }
  ResourceTest::TearDown();
}

region::RegionOptions RegionTest::Options(const std::string& name, std::uint64_t size,
                                          os::Backend backend) const {
  region::RegionOptions o;
  o.home = dir();
  o.name = name;
  o.size = size;
  o.backend = backend;
  o.retry.attempts = 50;
  o.retry.backoff = absl::Milliseconds(2);
  o.attach_timeout = absl::Seconds(5);
  return o;
}

void RegionTest::MakeDetached(const region::RegionOptions& o) {
  absl::StatusOr<region::Region> r = region::Region::Attach(o);
  ASSERT_TRUE(r.ok()) << r.status();
  Track(*r);
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(r->Detach().ok());
}

std::uint64_t RegionTest::MakeHolding(const region::RegionOptions& o, char data) {
  absl::StatusOr<region::Region> r = region::Region::Attach(o);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return 0;
  Track(*r);
  static_cast<char*>(r->data())[0] = data;
  const std::uint64_t id = r->header().system_id;
  EXPECT_TRUE(r->Unlock().ok());
  EXPECT_TRUE(r->Detach().ok());
  return id;
}

void RegionTest::RecordSystemId(const std::string& name, std::uint64_t id) {
  absl::StatusOr<os::File> f = os::Open(Path(name), 0);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(os::WriteAt(*f, offsetof(region::RegionHeader, system_id),
                          gsl::span<const std::byte>(reinterpret_cast<const std::byte*>(&id), sizeof id))
                  .ok());
}

void RegionTest::KeepInode(const std::string& path) {
  if (os::config::kWin32) return;
  absl::StatusOr<os::File> f = os::Open(path, os::kOpenReadOnly);
  ASSERT_TRUE(f.ok()) << f.status();
  kept_.push_back(std::move(*f));
}

void RegionTest::Track(const region::Region& r) {
  if (r.attached() && os::BackendNamed(r.backend())) {
    tracked_.emplace_back(r.backend(), r.header().system_id);
  }
}

}  // namespace osport::testing
