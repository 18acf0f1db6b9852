// A fixture for region tests: a scratch home, options for each backend, and
// a check that nothing is left behind -- files, descriptors, mappings of
// region memory, and the system memory (SysV segments, POSIX shm names) that
// this test's own processes created (tests/support/ledger.h), never the
// host's whole list: other osport users may run beside the suite.
#ifndef OSPORT_TESTS_SUPPORT_REGION_FIXTURE_H_
#define OSPORT_TESTS_SUPPORT_REGION_FIXTURE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "os/file.h"
#include "os/map.h"
#include "region/options.h"
#include "region/region.h"
#include "tests/support/resources.h"

namespace osport::testing {

// Region-memory mappings of this process (views of files under `dir`, SysV
// segments, POSIX shm objects); -1 where the platform cannot count them.
int CountRegionMappings(const std::string& dir);

// Whether the system memory `id` of `backend` still exists.
bool SystemMemoryExists(os::Backend backend, std::uint64_t id);

// The shared backends this platform supports: every one is tested.
std::vector<os::Backend> SharedBackends();

// Those of them whose memory is named from its stub and chosen by the id the
// stub records (SysV, POSIX shm): where a stub can name the wrong memory.
std::vector<os::Backend> DerivedNameBackends();

class RegionTest : public ResourceTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Options for region `name` in the scratch home with a fast retry policy.
  region::RegionOptions Options(const std::string& name, std::uint64_t size,
                                os::Backend backend = os::Backend::kFile) const;
  // Attaches region `o` (creating it), tracks its memory, unlocks and
  // detaches: the region then exists with nobody attached. Fatal failures
  // on error (callers wrap it in ASSERT_NO_FATAL_FAILURE).
  void MakeDetached(const region::RegionOptions& o);
  // As MakeDetached, with `data` written to the region's first byte; returns
  // its system memory id (0 for a file region). On error: a test failure
  // (not fatal) and 0.
  std::uint64_t MakeHolding(const region::RegionOptions& o, char data);
  // Writes `id` into the system_id field of region `name`'s stub, as a
  // reboot's reuse of an id, or an edit, leaves it. Fatal failures on error.
  void RecordSystemId(const std::string& name, std::uint64_t id);
  // Remembers a region's system memory so TearDown can check it is gone.
  void Track(const region::Region& r);
  void Track(os::Backend backend, std::uint64_t id) { tracked_.emplace_back(backend, id); }
  // Keeps the inode of the stub at `path` allocated until TearDown. Call it
  // before a step removes a stub when the test afterwards removes, or
  // leaves, memory under the stub's derived names (os/posix/map.cc, "Derived
  // names"): while the inode is held, no other file -- another test's stub,
  // under ctest -j2 -- gets it, and with it those names. Otherwise a
  // neighbour's create may clear this test's never-written memory as its
  // own abandoned creation and put its region's memory under the same name,
  // which this test's clean-up then removes (ReusedIdTest's POSIX memory
  // vanished so, beside SecondUserTest). Fatal failure if it cannot be
  // opened. Nothing on Windows: an open handle would stand in the way of
  // the removal under test, and paging-file memory is never removed by name.
  void KeepInode(const std::string& path);

 private:
  int mappings_before_ = 0;
  std::vector<os::File> kept_;
  std::vector<std::pair<os::Backend, std::uint64_t>> tracked_;
};

}  // namespace osport::testing

#endif  // OSPORT_TESTS_SUPPORT_REGION_FIXTURE_H_
