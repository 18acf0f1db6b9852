// Memory another creation left under a stub's derived names, recording the
// stub's identity (device, inode) and the same creation second: a stub made
// at a reused inode within the second another region's memory was made for
// that inode. Under `ctest -j2` a neighbouring test's memory, whose stub was
// already gone, matched this way, and ReusedIdTest's attach and stat named
// it as the region's memory (the tsan cell's flake of 2026-12-02): the
// identity compared only device, inode and the creation second, and the
// first match was named even when a later one matched the token.
//
// Now the identity also compares the creator (pid and start stamp), and
// memory whose token matches is always named first (region/token.h,
// FindBoundMemory). The look-alike is made deterministically: the stub is
// emptied, as a creator killed before its first write leaves it, so the
// next attach makes the region again in the same file (same inode) and
// its memory under the next derived name; the first creation's memory is
// then given the new creation's time, and, for "another process", another
// creator start stamp or pid.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gsl/span"
#include "gsl/util"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/file.h"
#include "os/map.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

// Who made the look-alike: this stub's creator (its token damaged, as far
// as anyone can tell), or another process -- one whose start stamp differs
// (a reused pid), or another pid.
enum class Creator { kSame, kOtherStart, kOtherPid };

const char* CreatorName(Creator c) {
  switch (c) {
    case Creator::kSame: return "same creator";
    case Creator::kOtherStart: return "another start stamp";
    case Creator::kOtherPid: return "another pid";
  }
  return "?";
}

class SameInodeTest : public testing::RegionTest {
 protected:
  // Removes what a failed check may have left: the stub, and the two
  // memories if they still exist (SystemMemoryExists knows them by what this
  // test made, so a neighbour's object at a freed name is never removed).
  void CleanUp(os::Backend b, std::uint64_t first, std::uint64_t second) {
    if (os::Exists(Path("a")).value_or(false)) (void)Remove(Options("a", kSize, b), /*force=*/true);
    for (std::uint64_t id : {first, second}) {
      if (id != 0 && testing::SystemMemoryExists(b, id)) (void)os::RemoveSystemMemory(b, id);
    }
  }
  // Makes region "a" of backend `b` twice in one stub file: the first
  // creation's memory (`*first`) is left under the stub's derived names
  // looking like the second's (`*second`) but for its token and `creator`.
  void MakeLookAlike(os::Backend b, Creator creator, std::uint64_t* first, std::uint64_t* second) {
    const RegionOptions o = Options("a", kSize, b);
    *first = MakeHolding(o, '1');
    ASSERT_NE(*first, 0u);
    // The look-alike outlives the stub's removal in some checks: its name
    // stays this test's until the test ends (RegionTest::KeepInode).
    ASSERT_NO_FATAL_FAILURE(KeepInode(Path("a")));
    {
      absl::StatusOr<os::File> f = os::Open(Path("a"), 0);
      ASSERT_TRUE(f.ok()) << f.status();
      ASSERT_TRUE(os::Truncate(*f, 0).ok());  // what a creator killed before its first write leaves
    }
    *second = MakeHolding(o, '2');
    ASSERT_NE(*second, 0u);
    ASSERT_NE(*second, *first) << "the first creation's memory was reused or removed";
    absl::StatusOr<os::File> f = os::Open(Path("a"), os::kOpenReadOnly);
    ASSERT_TRUE(f.ok()) << f.status();
    alignas(8) std::byte buf[kHeaderSize] = {};
    absl::StatusOr<std::size_t> n = os::ReadAt(*f, 0, gsl::span<std::byte>(buf, sizeof buf));
    ASSERT_TRUE(n.ok() && *n == sizeof buf) << (n.ok() ? absl::StrCat(*n, " bytes") : n.status().ToString());
    const auto& stub = *reinterpret_cast<const RegionHeader*>(buf);
    absl::StatusOr<os::Mapping> m = os::AttachSystemMemory(b, *f, *first, kSize);
    ASSERT_TRUE(m.ok()) << m.status();
    auto* h = static_cast<RegionHeader*>(m->data());
    ASSERT_EQ(static_cast<char*>(m->data())[kHeaderSize], '1');
    ASSERT_EQ(h->stub_inode, stub.stub_inode) << "the region was not made again in the same file";
    ASSERT_EQ(h->stub_device, stub.stub_device);
    ASSERT_EQ(h->creator_pid, stub.creator_pid);
    ASSERT_NE(std::memcmp(h->token, stub.token, sizeof h->token), 0);
    h->create_time = stub.create_time;
    h->creator_start = stub.creator_start + (creator == Creator::kOtherStart ? 1 : 0);
    // Another pid within the pid range, as another process's.
    if (creator == Creator::kOtherPid) h->creator_pid = stub.creator_pid == 1 ? 2 : stub.creator_pid - 1;
    ASSERT_TRUE(m->Unmap().ok());
  }
};

// Attach and stat of a stub whose record is wrong name the memory its token
// proves, never the look-alike -- whoever made the look-alike.
TEST_F(SameInodeTest, TheMemoryTheTokenProvesIsNamedNotALookAlike) {
  if (os::config::kZeroOnLastClose) GTEST_SKIP() << "named memory dies with its last user here";
  ASSERT_FALSE(testing::DerivedNameBackends().empty());
  for (os::Backend b : testing::DerivedNameBackends()) {
    for (Creator creator : {Creator::kSame, Creator::kOtherStart, Creator::kOtherPid}) {
      SCOPED_TRACE(absl::StrCat(os::BackendName(b), ": ", CreatorName(creator)));
      const bool same_creator = creator == Creator::kSame;
      std::uint64_t first = 0, second = 0;
      const auto clean_up = gsl::finally([&] { CleanUp(b, first, second); });
      ASSERT_NO_FATAL_FAILURE(MakeLookAlike(b, creator, &first, &second));
      // An id nothing has (an edited or damaged record): attach and stat
      // look for the stub's memory under its names.
      ASSERT_NO_FATAL_FAILURE(RecordSystemId("a", 0x7FFFFFF1u));
      const RegionOptions o = Options("a", kSize, b);
      for (const absl::Status& s : {Region::Attach(o).status(), Stat(o).status()}) {
        EXPECT_EQ(RegionErrcOf(s), RegionErrc::kCorrupt) << s;
        EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("memory ", second, " "))) << s;
        EXPECT_FALSE(absl::StrContains(s.message(), absl::StrCat("memory ", first, " "))) << s;
      }
      // remove --force takes the stub and its proven memory; the look-alike
      // stays. Made by this creator it may be this stub's own creation with
      // a damaged token: named as left in place. By another: not this
      // stub's at all, and not mentioned.
      absl::Status forced = Remove(o, /*force=*/true).status();
      EXPECT_EQ(forced.ok(), !same_creator) << forced;
      EXPECT_EQ(absl::StrContains(forced.message(), absl::StrCat("left ", os::SystemMemoryName(b, first))),
                same_creator)
          << forced;
      EXPECT_FALSE(os::Exists(Path("a")).value());
      EXPECT_FALSE(testing::SystemMemoryExists(b, second)) << "remove --force left the stub's memory";
      EXPECT_TRUE(testing::SystemMemoryExists(b, first)) << "remove --force removed the look-alike";
    }
  }
}

// A stub whose memory is gone (a reboot, an ipcrm) is made again even when
// another process's look-alike is under its names; the look-alike is left.
TEST_F(SameInodeTest, AnotherCreatorsLookAlikeDoesNotMakeGoneMemoryCorrupt) {
  if (os::config::kZeroOnLastClose) GTEST_SKIP() << "named memory dies with its last user here";
  ASSERT_FALSE(testing::DerivedNameBackends().empty());
  for (os::Backend b : testing::DerivedNameBackends()) {
    for (Creator creator : {Creator::kOtherStart, Creator::kOtherPid}) {
      SCOPED_TRACE(absl::StrCat(os::BackendName(b), ": ", CreatorName(creator)));
      std::uint64_t first = 0, second = 0, again = 0;
      const auto clean_up = gsl::finally([&] {
        CleanUp(b, first, second);
        CleanUp(b, again, 0);
      });
      ASSERT_NO_FATAL_FAILURE(MakeLookAlike(b, creator, &first, &second));
      ASSERT_TRUE(os::RemoveSystemMemory(b, second).ok());  // "the reboot"
      const RegionOptions o = Options("a", kSize, b);
      absl::StatusOr<RegionStat> st = Stat(o);
      EXPECT_NE(RegionErrcOf(st.status()), RegionErrc::kCorrupt) << st.status();
      {
        absl::StatusOr<Region> r = Region::Attach(o);
        ASSERT_TRUE(r.ok()) << r.status();
        Track(*r);
        again = r->header().system_id;
        EXPECT_TRUE(r->created());
        EXPECT_NE(r->header().system_id, first);
        EXPECT_EQ(static_cast<char*>(r->data())[0], '\0');
        ASSERT_TRUE(r->Unlock().ok());
        ASSERT_TRUE(r->Detach().ok());
      }
      absl::Status removed = Remove(o, /*force=*/false).status();
      EXPECT_TRUE(removed.ok()) << removed;
      EXPECT_TRUE(testing::SystemMemoryExists(b, first)) << "the look-alike was removed";
    }
  }
}

}  // namespace
}  // namespace osport::region
