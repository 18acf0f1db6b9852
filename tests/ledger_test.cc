// The leak check's ledger (tests/support/ledger.h): it names what this test's
// own processes created -- in-process and in helpers -- and nothing that
// another osport user on the host makes at the same time.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/file.h"
#include "os/hooks.h"
#include "os/map.h"
#include "tests/support/helper.h"
#include "tests/support/ledger.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"
#include "tests/support/resources.h"

namespace osport {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

// Makes system memory of `backend` for the stub at `stub`; prints its id.
absl::StatusOr<os::Mapping> Make(const std::string& stub, os::Backend backend) {
  absl::StatusOr<os::File> f =
      os::Open(stub, os::kOpenCreate | os::kOpenExclusive | os::kOpenNoFollow, 0600);
  if (!f.ok()) return f.status();
  return os::CreateSystemMemory(backend, *f, kSize, 0600);
}

// Another osport user on the host: not part of any test's ledger. Makes
// memory, says its id, removes it when told to. With a third argument
// "existing", the stub at args[0] exists already: another user whose new
// stub got the inode of one of ours, so its memory gets the name ours had.
OSPORT_TEST_HELPER(LedgerNeighbour) {
  os::InstallObserver(nullptr, nullptr);
  absl::StatusOr<os::Backend> backend = os::ParseBackend(args.at(1));
  if (!backend.ok()) return 3;
  absl::StatusOr<os::Mapping> m = absl::UnknownError("not made");
  if (args.size() > 2 && args[2] == "existing") {
    absl::StatusOr<os::File> f = os::Open(args.at(0), os::kOpenNoFollow);
    if (f.ok()) m = os::CreateSystemMemory(*backend, *f, kSize, 0600);
  } else {
    m = Make(args.at(0), *backend);
  }
  if (!m.ok()) return 3;
  testing::TellParent(absl::StrCat(m->system_id()));
  if (testing::ReadParentLine() != "remove") return 4;
  const std::uint64_t id = m->system_id();
  if (!m->Unmap().ok() || !os::RemoveSystemMemory(*backend, id).ok()) return 5;
  testing::TellParent("ok");
  return 0;
}

// One of this test's helpers: makes memory, says its id, exits without
// removing it (a leak the ledger must report).
OSPORT_TEST_HELPER(LedgerLeaker) {
  absl::StatusOr<os::Backend> backend = os::ParseBackend(args.at(1));
  absl::StatusOr<os::Mapping> m = Make(args.at(0), backend.value());
  if (!m.ok()) return 3;
  testing::TellParent(absl::StrCat(m->system_id()));
  return 0;
}

class LedgerTest : public testing::ResourceTest,
                   public ::testing::WithParamInterface<os::Backend> {};

TEST_P(LedgerTest, CountsWhatTheTestMadeAndNothingElse) {
  const os::Backend backend = GetParam();
  const std::string name(os::BackendName(backend));
  testing::StartLedger(dir() + ".ledger");

  // The neighbour starts before this test makes anything and keeps its
  // memory until after the check.
  absl::StatusOr<os::Child> neighbour =
      testing::StartHelper("LedgerNeighbour", {Path("neighbour"), name});
  ASSERT_TRUE(neighbour.ok()) << neighbour.status();
  absl::StatusOr<std::string> neighbour_id = neighbour->ReadLine();
  ASSERT_TRUE(neighbour_id.ok()) << neighbour_id.status();

  // Made and removed in this process: recorded, and gone by the check.
  {
    absl::StatusOr<os::Mapping> own = Make(Path("own"), backend);
    ASSERT_TRUE(own.ok()) << own.status();
    if (backend == os::Backend::kSysV) {
      EXPECT_TRUE(testing::LedgerNames(absl::StrCat("sysv:", own->system_id())));
    }
    const std::uint64_t id = own->system_id();
    ASSERT_TRUE(own->Unmap().ok());
    ASSERT_TRUE(os::RemoveSystemMemory(backend, id).ok());
  }

  // Made by this test's helper and left behind: the one leak.
  absl::StatusOr<os::Child> leaker = testing::StartHelper("LedgerLeaker", {Path("leaker"), name});
  ASSERT_TRUE(leaker.ok()) << leaker.status();
  absl::StatusOr<std::string> leaked_id = leaker->ReadLine();
  ASSERT_TRUE(leaked_id.ok()) << leaked_id.status();
  EXPECT_EQ(leaker->Wait().value_or(-1), 0);

  const std::vector<std::string> left = testing::FinishLedger();
  ASSERT_EQ(left.size(), 1u) << ::testing::PrintToString(left);
  EXPECT_EQ(left[0].substr(0, name.size() + 1), name + ":");
  if (backend == os::Backend::kSysV) {
    EXPECT_EQ(left[0], "sysv:" + *leaked_id);
    EXPECT_NE(left[0], "sysv:" + *neighbour_id);
  }

  // Clean up: the leak, then the neighbour's memory (which was alive all along).
  std::uint64_t id = 0;
  ASSERT_TRUE(absl::SimpleAtoi(*leaked_id, &id));
  EXPECT_TRUE(os::RemoveSystemMemory(backend, id).ok());
  EXPECT_EQ(testing::Ask(*neighbour, "remove"), "ok");
  EXPECT_EQ(neighbour->Wait().value_or(-1), 0);
  for (const char* f : {"neighbour", "own", "leaker"}) EXPECT_TRUE(os::Unlink(Path(f)).ok());
}

// What a test made is judged by its own identity, not by its name: a POSIX
// name derives from its stub's inode, which another user's stub gets once
// ours is gone (a TokenTest under tsan beside three other suites reported
// "remove --force left the stub's memory" of memory that was not its own).
TEST_P(LedgerTest, JudgesWhatTheTestMadeByIdentityNotByAReusedName) {
  const os::Backend backend = GetParam();
  const std::string name(os::BackendName(backend));
  testing::StartLedger(dir() + ".ledger");
  std::uint64_t id = 0;
  {
    absl::StatusOr<os::Mapping> own = Make(Path("own"), backend);
    ASSERT_TRUE(own.ok()) << own.status();
    id = own->system_id();
    EXPECT_TRUE(testing::SystemMemoryExists(backend, id));
    ASSERT_TRUE(own->Unmap().ok());
    ASSERT_TRUE(os::RemoveSystemMemory(backend, id).ok());
  }
  EXPECT_FALSE(testing::SystemMemoryExists(backend, id));
  absl::StatusOr<os::Child> neighbour = testing::StartHelper("LedgerNeighbour", {Path("own"), name, "existing"});
  ASSERT_TRUE(neighbour.ok()) << neighbour.status();
  absl::StatusOr<std::string> theirs = neighbour->ReadLine();
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  if (backend == os::Backend::kPosixShm) {
    EXPECT_EQ(*theirs, absl::StrCat(id)) << "the same stub should derive the same name";
  }
  EXPECT_FALSE(testing::SystemMemoryExists(backend, id)) << "the neighbour's memory was taken for this test's";
  EXPECT_EQ(testing::FinishLedger(), std::vector<std::string>{});
  EXPECT_EQ(testing::Ask(*neighbour, "remove"), "ok");
  EXPECT_EQ(neighbour->Wait().value_or(-1), 0);
  EXPECT_TRUE(os::Unlink(Path("own")).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::ValuesIn(testing::DerivedNameBackends()),
                         [](const auto& p) { return std::string(os::BackendName(p.param)); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LedgerTest);

}  // namespace
}  // namespace osport
