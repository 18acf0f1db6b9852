// The trust boundary in region/ on every platform (issue 12):
//  - the binding of a stub to its system memory (F1; region/token.h): a stub
//    whose id was changed to name another region's memory, whose token
//    differs, or that was copied to another file is refused by attach, stat
//    and remove; the memory it names is neither used nor removed, and remove
//    --force removes only the stub and says which memory it left;
//  - validate before map (F5) and every header field before it drives an
//    action: a file that is not a region is never mapped or written; pids
//    beyond the pid range and counts that would wrap are corrupt, named.
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gsl/span"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/map.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

class TokenTest : public testing::RegionTest {
 protected:
  std::string ReadStub(const std::string& name) {
    absl::StatusOr<os::File> f = os::Open(Path(name), os::kOpenReadOnly);
    EXPECT_TRUE(f.ok()) << f.status();
    std::string bytes(kHeaderSize, '\0');
    absl::StatusOr<std::size_t> n =
        os::Read(*f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(bytes.data()), bytes.size()));
    EXPECT_TRUE(n.ok() && *n == kHeaderSize);
    return bytes;
  }
  void WriteStub(const std::string& name, const std::string& bytes, bool create = false) {
    absl::StatusOr<os::File> f =
        os::Open(Path(name), create ? os::kOpenCreate | os::kOpenExclusive : 0u);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE(os::Write(*f, gsl::span<const std::byte>(
                                  reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()))
                    .ok());
  }
  static void ExpectCorrupt(const absl::Status& s, absl::string_view field) {
    EXPECT_EQ(RegionErrcOf(s), RegionErrc::kCorrupt) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), field)) << "want \"" << field << "\" in " << s;
  }
  // Region "a" of backend `b` with one byte of data: its options and memory id.
  std::pair<RegionOptions, std::uint64_t> MakeStub(os::Backend b) {
    const RegionOptions o = Options("a", kSize, b);
    return {o, MakeHolding(o, 'a')};
  }
  // The region `o` still holds `data` (its memory was neither used nor removed).
  static void ExpectIntact(const RegionOptions& o, char data) {
    absl::StatusOr<Region> r = Region::Attach(o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->created());
    EXPECT_EQ(static_cast<char*>(r->data())[0], data);
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
  }
};

// Backends whose stub id chooses the memory (SysV shmid, POSIX shm id).
bool IdSelectsMemory(os::Backend b) { return b == os::Backend::kSysV || b == os::Backend::kPosixShm; }

constexpr const char* kNamedMemoryDies =
    "named memory dies with its last user in this build (OSPORT_ZERO_ON_LAST_CLOSE)";

// For each backend whose stub id chooses the memory: `make(backend)` makes
// a region and gives its options and memory id, then `body(backend,
// options, memory id)`.
template <typename Body>
void ForEachMadeStub(const std::function<std::pair<RegionOptions, std::uint64_t>(os::Backend)>& make,
                     Body body) {
  for (os::Backend b : testing::SharedBackends()) {
    if (!IdSelectsMemory(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const auto [options, id] = make(b);
    body(b, options, id);
  }
}

TEST_F(TokenTest, AStubNamingAnotherRegionsMemoryIsNeverUsedOrRemoved) {
  if (os::config::kZeroOnLastClose) {
    GTEST_SKIP() << "named memory dies with its last user in this build (OSPORT_ZERO_ON_LAST_CLOSE): "
                    "no stub can name memory that nobody holds";
  }
  for (os::Backend b : testing::SharedBackends()) {
    if (!IdSelectsMemory(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions a = Options("a", kSize, b), other = Options("b", kSize, b);
    const std::uint64_t a_id = MakeHolding(a, 'a');
    const std::uint64_t b_id = MakeHolding(other, 'b');
    ASSERT_NE(a_id, b_id);
    std::string stub = ReadStub("a");
    std::memcpy(&stub[offsetof(RegionHeader, system_id)], &b_id, sizeof b_id);
    WriteStub("a", stub);
    ExpectCorrupt(Region::Attach(a).status(), "token");
    ExpectCorrupt(Stat(a).status(), "token");
    ExpectCorrupt(Remove(a, /*force=*/false).status(), "token");
    absl::Status forced = Remove(a, /*force=*/true).status();
    EXPECT_FALSE(forced.ok());
    // Named, but with no "ipcrm"/"rm" hint: it is b's live memory.
    const std::string left = absl::StrCat("left ", os::BackendName(b), " memory ", b_id, " in place");
    EXPECT_TRUE(absl::StrContains(forced.message(), left)) << forced;
    EXPECT_FALSE(absl::StrContains(forced.message(), os::SystemMemoryName(b, b_id))) << forced;
    EXPECT_FALSE(os::Exists(Path("a")).value());
    ExpectIntact(other, 'b');
    // a's own memory, found under the names derived from its stub and bound
    // to it by its token, went with the stub. (SystemMemoryExists knows a
    // POSIX object by the inode this test made it with, not by its name,
    // which another test's new stub may derive once a's inode is free.)
    EXPECT_FALSE(testing::SystemMemoryExists(b, a_id)) << "a's memory was left";
    ASSERT_TRUE(Remove(other, true).ok());
  }
}

// A stub whose recorded backend, id or size is damaged still leads to the
// memory it was made with (derived names, bound by the token): attach and
// stat say corrupt naming the wrong field -- never "memory gone", never
// replacing the region over its memory -- and remove --force removes both.
TEST_F(TokenTest, AStubWithADamagedIdSizeOrBackendIsCorruptAndForceRemovesItsMemory) {
  if (os::config::kZeroOnLastClose) {
    GTEST_SKIP() << "named memory dies with its last user in this build (OSPORT_ZERO_ON_LAST_CLOSE)";
  }
  struct Damage {
    const char* what;
    std::size_t offset;
    std::uint64_t value;
    std::size_t width;
    const char* field;  // in the corrupt message
  };
  const Damage damages[] = {
      {"a larger size", offsetof(RegionHeader, size), 2 * kSize, 8, "size"},
      // Review 5: force removed the memory but said it had left it.
      {"size 0", offsetof(RegionHeader, size), 0, 8, "size"},
      {"an id nothing has", offsetof(RegionHeader, system_id), 0x7FFFFFF1u, 8, "system_id"},
      {"an id beyond any", offsetof(RegionHeader, system_id), ~std::uint64_t{0}, 8, "system_id"},
      {"another named backend", offsetof(RegionHeader, backend), 0, 4, "backend"},
  };
  for (os::Backend b : testing::SharedBackends()) {
    if (!IdSelectsMemory(b)) continue;
    for (const Damage& d : damages) {
      SCOPED_TRACE(absl::StrCat(os::BackendName(b), ": ", d.what));
      const RegionOptions a = Options("a", kSize, b);
      const std::uint64_t id = MakeHolding(a, 'a');
      std::string stub = ReadStub("a");
      std::uint64_t value = d.value;
      if (d.offset == offsetof(RegionHeader, backend)) {
        value = static_cast<std::uint32_t>(b == os::Backend::kSysV ? os::Backend::kPosixShm : os::Backend::kSysV);
      }
      std::memcpy(&stub[d.offset], &value, d.width);
      WriteStub("a", stub);
      ExpectCorrupt(Stat(a).status(), d.field);
      ExpectCorrupt(Region::Attach(a).status(), d.field);
      EXPECT_TRUE(os::Exists(Path("a")).value()) << "the stub was replaced";
      EXPECT_TRUE(testing::SystemMemoryExists(b, id)) << "the memory was removed or orphaned";
      ASSERT_TRUE(Remove(a, /*force=*/true).ok());
      EXPECT_FALSE(os::Exists(Path("a")).value());
      EXPECT_FALSE(testing::SystemMemoryExists(b, id)) << "remove --force left the region's memory";
    }
  }
}

TEST_F(TokenTest, AStubWhoseTokenWasChangedIsRefused) {
  for (os::Backend b : testing::SharedBackends()) {
    if (!os::BackendNamed(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions a = Options("a", kSize, b);
    // The creator stays attached throughout: a Win32 paging-file section
    // dies with its last handle, and the memory must outlive the look.
    absl::StatusOr<Region> holder = Region::Attach(a);
    ASSERT_TRUE(holder.ok()) << holder.status();
    Track(*holder);
    static_cast<char*>(holder->data())[0] = 'a';
    const std::uint64_t id = holder->header().system_id;
    ASSERT_TRUE(holder->Unlock().ok());
    std::string stub = ReadStub("a");
    stub[offsetof(RegionHeader, token)] ^= 0x5A;
    WriteStub("a", stub);
    ExpectCorrupt(Region::Attach(a).status(), "token");
    ExpectCorrupt(Stat(a).status(), "token");
    stub[offsetof(RegionHeader, token)] ^= 0x5A;  // put it back: the region is whole again
    WriteStub("a", stub);
    ExpectIntact(a, 'a');
    ASSERT_TRUE(holder->Detach().ok());
    ASSERT_TRUE(Remove(a, true).ok());
    EXPECT_FALSE(testing::SystemMemoryExists(b, id));
  }
}

TEST_F(TokenTest, ACopiedStubIsNotTheRegion) {
  if (os::config::kZeroOnLastClose) {
    GTEST_SKIP() << "named memory dies with its last user in this build (OSPORT_ZERO_ON_LAST_CLOSE): "
                    "no stub can name memory that nobody holds";
  }
  for (os::Backend b : testing::SharedBackends()) {
    if (!IdSelectsMemory(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions a = Options("a", kSize, b), copy = Options("copy", kSize, b);
    (void)MakeHolding(a, 'a');
    WriteStub("copy", ReadStub("a"), /*create=*/true);
    ExpectCorrupt(Region::Attach(copy).status(), "stub identity");
    absl::Status forced = Remove(copy, true).status();
    EXPECT_TRUE(absl::StrContains(forced.message(), "left")) << forced;
    ExpectIntact(a, 'a');
    ASSERT_TRUE(Remove(a, true).ok());
  }
}

// Every open and stat the trust checks add (the home, the file's fstat, the
// binding's) fails in turn: the attach fails cleanly with that error (or goes
// on, where the call's failure is tolerated), and leaves nothing behind.
TEST_F(TokenTest, EachOpenAndStatOfAJoinFailingFailsItCleanly) {
  for (os::Backend b : testing::SharedBackends()) {
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions o = Options("r", kSize, b);
    absl::StatusOr<Region> holder = Region::Attach(o);
    ASSERT_TRUE(holder.ok()) << holder.status();
    Track(*holder);
    ASSERT_TRUE(holder->Unlock().ok());
    for (os::Op op : {os::Op::kOpen, os::Op::kStat}) {
      std::uint64_t calls = 0;
      {
        os::CallCounter counter;
        absl::StatusOr<Region> r = Region::Attach(o);
        ASSERT_TRUE(r.ok()) << r.status();
        calls = counter.calls(op);
        ASSERT_TRUE(r->Unlock().ok());
        ASSERT_TRUE(r->Detach().ok());
      }
      // The home and the file at least: finding fewer is a failure, not a skip.
      ASSERT_GE(calls, 2u) << static_cast<int>(op);
      for (std::uint64_t n = 1; n <= calls; ++n) {
        SCOPED_TRACE(absl::StrCat("op ", static_cast<int>(op), " call ", n));
        os::FaultInjector fault(op, n, EIO);
        absl::StatusOr<Region> r = Region::Attach(o);
        EXPECT_EQ(fault.fired(), 1u);
        if (r.ok()) {
          ASSERT_TRUE(r->Unlock().ok());
          ASSERT_TRUE(r->Detach().ok());
        } else {
          EXPECT_TRUE(os::HasErrno(r.status(), EIO)) << r.status();
        }
      }
    }
    ExpectIntact(o, 0);  // joinable still, its data untouched
    ASSERT_TRUE(holder->Detach().ok());
    ASSERT_TRUE(Remove(o, true).ok());
  }
}

// --- validate before map, and every field --------------------------------------

TEST_F(TokenTest, AFileThatIsNotARegionIsNeverMappedOrWritten) {
  const std::string junk(20 * 1024, 'j');
  WriteStub("notes", junk, /*create=*/true);
  for (bool create : {true, false}) {
    RegionOptions o = Options("notes", kSize);
    o.create = create;
    absl::StatusOr<Region> r = Region::Attach(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(RegionErrcOf(r.status()), RegionErrc::kNotARegion) << r.status();
    EXPECT_TRUE(absl::StrContains(r.status().message(), "not an osport region")) << r.status();
  }
  const absl::Status st = Stat(Options("notes", kSize)).status();
  EXPECT_EQ(RegionErrcOf(st), RegionErrc::kNotARegion) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "not an osport region")) << st;
  absl::StatusOr<os::File> f = os::Open(Path("notes"), os::kOpenReadOnly);
  ASSERT_TRUE(f.ok());
  std::string now(junk.size() + 1, '\0');
  absl::StatusOr<std::size_t> n =
      os::Read(*f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(now.data()), now.size()));
  ASSERT_TRUE(n.ok());
  now.resize(*n);
  EXPECT_EQ(now, junk);  // not a byte written, not a byte added
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(os::Unlink(Path("notes")).ok());
}

// A directory at the region's name: every call says so, as not_a_region
// (a regular file is the only thing a region can be; the tool said so and
// the API said untrusted until the two were made to agree), never the
// open's bare error (EISDIR on POSIX; access denied on Win32), and leaves
// it alone. FIFOs, sockets and another user's: region_trust_posix_test.
TEST_F(TokenTest, ADirectoryAtTheNameIsNotARegionForEveryCallAndLeftAlone) {
  std::filesystem::create_directory(Path("d"));
  RegionOptions o = Options("d", kSize);
  auto expect = [](absl::string_view call, const absl::Status& s) {
    EXPECT_EQ(RegionErrcOf(s), RegionErrc::kNotARegion) << call << ": " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "is a directory, not an osport region")) << call << ": " << s;
  };
  expect("attach", Region::Attach(o).status());
  o.create = false;
  expect("join", Region::Attach(o).status());
  expect("stat", Stat(o).status());
  expect("remove --force", Remove(o, /*force=*/true).status());
  expect("remove", Remove(o, /*force=*/false).status());
  EXPECT_TRUE(std::filesystem::is_directory(Path("d")));
  std::filesystem::remove(Path("d"));
}

// A region file whose header is poked at `offset` with `value` (`width` bytes).
struct Poke {
  const char* what;
  std::size_t offset;
  std::uint64_t value;
  int width;
  const char* field;  // what the corrupt error names
};

// Test names stay stable (ctest lists them): print what is poked, not bytes.
void PrintTo(const Poke& p, std::ostream* os) { *os << p.what; }

class FieldTest : public TokenTest, public ::testing::WithParamInterface<Poke> {};

TEST_P(FieldTest, AFieldOutOfRangeIsCorruptAndNamed) {
  const Poke& p = GetParam();
  const RegionOptions o = Options("r", kSize);
  (void)MakeHolding(o, 'r');
  {
    absl::StatusOr<os::File> f = os::Open(Path("r"), 0);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE(os::Seek(*f, 0, 0, p.offset, false, os::Whence::kSet).ok());
    ASSERT_TRUE(os::Write(*f, gsl::span<const std::byte>(reinterpret_cast<const std::byte*>(&p.value),
                                                         static_cast<std::size_t>(p.width)))
                    .ok());
  }
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_FALSE(r.ok()) << p.what;
  ExpectCorrupt(r.status(), p.field);
  ExpectCorrupt(Stat(o).status(), p.field);
  ASSERT_TRUE(Remove(o, true).ok());
}

// A stub whose token AND id are damaged cannot prove its memory is its own,
// but the memory still records the stub's identity: never taken for gone
// (no replacing the region over it), and remove --force takes the stub and
// names the memory it leaves.
TEST_F(TokenTest, AStubWithADamagedTokenAndIdIsCorruptNotGone) {
  if (os::config::kZeroOnLastClose) GTEST_SKIP() << kNamedMemoryDies;
  ForEachMadeStub([this](os::Backend b) { return MakeStub(b); }, [this](os::Backend b, const RegionOptions& a, std::uint64_t id) {
    std::string stub = ReadStub("a");
    stub[offsetof(RegionHeader, token)] ^= 0x5A;
    const std::uint64_t nothing = 0x7FFFFFF1u;
    std::memcpy(&stub[offsetof(RegionHeader, system_id)], &nothing, sizeof nothing);
    WriteStub("a", stub);
    ExpectCorrupt(Stat(a).status(), "token");
    ExpectCorrupt(Region::Attach(a).status(), "token");
    EXPECT_TRUE(os::Exists(Path("a")).value()) << "the stub was replaced";
    EXPECT_TRUE(testing::SystemMemoryExists(b, id));
    ASSERT_NO_FATAL_FAILURE(KeepInode(Path("a")));  // for the clean-up by id below
    absl::Status forced = Remove(a, /*force=*/true).status();
    EXPECT_FALSE(forced.ok());
    EXPECT_TRUE(absl::StrContains(forced.message(), absl::StrCat("left ", os::SystemMemoryName(b, id))))
        << forced;
    EXPECT_FALSE(os::Exists(Path("a")).value());
    EXPECT_TRUE(testing::SystemMemoryExists(b, id));  // not provably the stub's: left
    ASSERT_TRUE(os::RemoveSystemMemory(b, id).ok());
  });
}

// A stub grown by hand past its one page still names its memory: stat and
// attach say corrupt, and remove --force removes the memory with it (it
// used to take the file for a file region and leave the memory).
TEST_F(TokenTest, AStubGrownPastOnePageIsCorruptAndForceRemoveStillRemovesItsMemory) {
  if (os::config::kZeroOnLastClose) GTEST_SKIP() << kNamedMemoryDies;
  ForEachMadeStub([this](os::Backend b) { return MakeStub(b); }, [this](os::Backend b, const RegionOptions& a, std::uint64_t id) {
    {
      absl::StatusOr<os::File> f = os::Open(Path("a"), 0);
      ASSERT_TRUE(f.ok()) << f.status();
      ASSERT_TRUE(os::Truncate(*f, kSize).ok());
    }
    ExpectCorrupt(Stat(a).status(), "claims to be a stub");
    ExpectCorrupt(Region::Attach(a).status(), "claims to be a stub");
    EXPECT_TRUE(testing::SystemMemoryExists(b, id));
    ASSERT_TRUE(Remove(a, /*force=*/true).ok());
    EXPECT_FALSE(os::Exists(Path("a")).value());
    EXPECT_FALSE(testing::SystemMemoryExists(b, id)) << "remove --force left the stub's memory";
  });
}

// The same for the live header in system memory, where Attach looks at the
// panic flag before it takes the lock: 7 is corrupt, not "panicked".
TEST_F(TokenTest, APanicFlagNeitherZeroNorOneInTheLiveHeaderIsCorrupt) {
  for (os::Backend b : testing::SharedBackends()) {
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions o = Options("r", kSize, b);
    // Stays attached throughout: a Win32 section dies with its last handle.
    absl::StatusOr<Region> holder = Region::Attach(o);
    ASSERT_TRUE(holder.ok()) << holder.status();
    Track(*holder);
    holder->header().panic.store(7, std::memory_order_release);
    ASSERT_TRUE(holder->Unlock().ok());
    ExpectCorrupt(Region::Attach(o).status(), "panic 7");
    ExpectCorrupt(Stat(o).status(), "panic 7");
    holder->header().panic.store(0, std::memory_order_release);
    ASSERT_TRUE(holder->Detach().ok());
    ASSERT_TRUE(Remove(o, true).ok());
  }
}

// The live header in system memory saying another size than its stub:
// stat and attach both call it corrupt (review 5: stat said ok).
TEST_F(TokenTest, AMemoryHeaderSizeOtherThanItsStubsIsCorruptForStatAndAttach) {
  for (os::Backend b : testing::SharedBackends()) {
    if (!os::BackendNamed(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions o = Options("r", kSize, b);
    absl::StatusOr<Region> holder = Region::Attach(o);  // stays attached (Win32 sections)
    ASSERT_TRUE(holder.ok()) << holder.status();
    Track(*holder);
    const std::uint64_t size = holder->header().size.load();
    holder->header().size.store(size - kHeaderSize);
    ASSERT_TRUE(holder->Unlock().ok());
    ExpectCorrupt(Stat(o).status(), "its stub says");
    ExpectCorrupt(Region::Attach(o).status(), "its stub says");
    holder->header().size.store(size);
    ASSERT_TRUE(holder->Detach().ok());
    ASSERT_TRUE(Remove(o, true).ok());
  }
}

constexpr std::size_t kSlot0 = offsetof(RegionHeader, attachments);
INSTANTIATE_TEST_SUITE_P(
    Fields, FieldTest,
    ::testing::Values(
        Poke{"creator pid beyond the pid range", offsetof(RegionHeader, creator_pid), 0x80000001u, 4,
             "creator_pid"},
        // Slot 0: pid 0x80000001 (a negative pid_t: a process group to kill()), count 1.
        Poke{"attachment pid beyond the pid range", kSlot0, 0x0000000180000001ull, 8,
             "attachments[0].pid"},
        // The target system's pid range (os::config::kPidMax; Linux 4194304):
        // a larger pid never reaches kill(pid, 0).
        Poke{"attachment pid just beyond the system's pid limit", kSlot0,
             std::uint64_t{1} << 32 | (os::config::kPidMax + 1), 8, "attachments[0].pid"},
        Poke{"creator pid just beyond the system's pid limit", offsetof(RegionHeader, creator_pid),
             os::config::kPidMax + 1, 4, "creator_pid"},
        Poke{"creator pid 0", offsetof(RegionHeader, creator_pid), 0u, 4, "creator_pid 0"},
        Poke{"panic neither 0 nor 1", offsetof(RegionHeader, panic), 7u, 4, "panic 7"},
        // Slot 0: pid 1, count UINT32_MAX: one more attachment would wrap.
        Poke{"attachment count at the 32-bit maximum", kSlot0, 0xFFFFFFFF00000001ull, 8,
             "counts add up"},
        Poke{"unknown flag", offsetof(RegionHeader, flags), 0x80u, 4, "unknown flags"},
        // Review 5: stat printed this mode as 037777777777, and flags 0xff
        // as "claims to be a stub".
        Poke{"mode beyond the permission bits", offsetof(RegionHeader, mode), 0xFFFFFFFFu, 4, "mode"},
        Poke{"every flag", offsetof(RegionHeader, flags), 0xFFu, 4, "unknown flags"},
        Poke{"unknown backend", offsetof(RegionHeader, backend), 99u, 4, "unknown backend"},
        Poke{"grow target below the size", offsetof(RegionHeader, grow_target), 4096u, 8,
             "grow_target"},
        Poke{"grow target not a page multiple", offsetof(RegionHeader, grow_target),
             std::uint64_t{1} << 30 | 1u, 8, "grow_target"},
        // A page multiple no file could hold: corrupt for stat and attach
        // alike (review 4: stat said truncated, lock said corrupt).
        Poke{"size beyond any region", offsetof(RegionHeader, size), ~std::uint64_t{4095}, 8,
             "size 18446744073709547520"}),
    [](const ::testing::TestParamInfo<Poke>& param) { return std::to_string(param.index); });

}  // namespace
}  // namespace osport::region
