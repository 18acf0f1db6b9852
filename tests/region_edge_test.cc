// Regions on hostile files, private regions, many processes at once, and
// injected failures.
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

using testing::Ask;
constexpr std::uint64_t kSize = 64 * 1024;

// --- corrupt and hostile files -------------------------------------------------

struct Damage {
  const char* name;
  std::uint64_t offset;  // where to write
  std::uint64_t value;   // what (little-endian), `width` bytes
  int width;
  RegionErrc expect;
};

void PrintTo(const Damage& d, std::ostream* os) { *os << d.name; }

class CorruptTest : public testing::RegionTest, public ::testing::WithParamInterface<Damage> {
 protected:
  // A healthy region file with nobody attached.
  void MakeRegion() {
    absl::StatusOr<Region> r = Region::Attach(Options("r", kSize));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
  }
  void Poke(std::uint64_t offset, std::uint64_t value, int width) {
    os::File f = os::Open(Path("r"), 0).value();
    ASSERT_TRUE(os::Seek(f, 0, 0, offset, false, os::Whence::kSet).ok());
    ASSERT_TRUE(os::Write(f, gsl::span<const std::byte>(reinterpret_cast<const std::byte*>(&value),
                                                        static_cast<std::size_t>(width)))
                    .ok());
  }
  RegionOptions Quick() const {
    RegionOptions o = Options("r", kSize);
    o.retry.attempts = 2;
    o.retry.backoff = absl::Microseconds(100);
    return o;
  }
};

TEST_P(CorruptTest, AttachAndStatGiveTheDistinctErrorWithoutCrashing) {
  const Damage& d = GetParam();
  MakeRegion();
  Poke(d.offset, d.value, d.width);
  absl::StatusOr<Region> r = Region::Attach(Quick());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(RegionErrcOf(r.status()), d.expect) << r.status();
  EXPECT_NE(r.status().message().find("region r"), absl::string_view::npos) << r.status();
  if (d.expect != RegionErrc::kCorrupt || d.offset != 72) {  // refcount is checked under the lock only
    absl::StatusOr<RegionStat> st = Stat(Quick());
    EXPECT_EQ(RegionErrcOf(st.status()), d.expect) << st.status();
  }
  if (d.expect == RegionErrc::kNotARegion) {
    // Force removes damaged regions, never what is not one (review 5).
    EXPECT_EQ(RegionErrcOf(Remove(Quick(), true).status()), RegionErrc::kNotARegion);
    EXPECT_TRUE(os::Exists(Path("r")).value());
    ASSERT_TRUE(os::Unlink(Path("r")).ok());
  } else {
    ASSERT_TRUE(Remove(Quick(), true).ok());  // force works on any region, however damaged
  }
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

std::uint32_t Swapped(std::uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

INSTANTIATE_TEST_SUITE_P(
    Headers, CorruptTest,
    ::testing::Values(
        Damage{"BadMagic", 64, 0xDEADBEEF, 4, RegionErrc::kNotARegion},
        Damage{"ForeignByteOrder", 64, Swapped(kRegionMagic), 4, RegionErrc::kIncompatible},
        Damage{"OtherLayoutVersion", 68, FormatWord() + (1u << 24), 4, RegionErrc::kIncompatible},
        Damage{"OtherMutexKind", 68,
               FormatWord(os::kRegionMutexKind == os::MutexKind::kSpin ? os::MutexKind::kFileLock
                                                                       : os::MutexKind::kSpin),
               4, RegionErrc::kIncompatible},
        Damage{"SizeLargerThanTheFile", 80, 4 * kSize, 8, RegionErrc::kTruncated},
        Damage{"SizeZero", 80, 0, 8, RegionErrc::kCorrupt},
        Damage{"SizeNotAPageMultiple", 80, kSize - 100, 8, RegionErrc::kCorrupt},
        // The mutex's own fields (os/mutex.h: kind at 8, check word at 60):
        // damage, said by stat too, never "invalid argument" (review 9).
        Damage{"MutexCheckWord", 60, 0xDEADBEEF, 4, RegionErrc::kCorrupt},
        Damage{"MutexKindUnknown", 8, 7, 4, RegionErrc::kCorrupt},
        Damage{"MutexKindNotTheFormats", 8,
               static_cast<std::uint32_t>(os::kRegionMutexKind == os::MutexKind::kSpin ? os::MutexKind::kFileLock
                                                                                      : os::MutexKind::kSpin),
               4, RegionErrc::kCorrupt}),
    [](const ::testing::TestParamInfo<Damage>& p) { return std::string(p.param.name); });

// The reference count is a cache of the attachment slots: a process killed
// between updating its slot and the count (or any other disagreement) is
// repaired by the next attach, never reported as corruption.
class RefcountCacheTest : public CorruptTest {};

TEST_F(RefcountCacheTest, ARefcountThatDisagreesWithTheSlotsIsRepaired) {
  for (std::uint64_t bad : {std::uint64_t{0xFFFFFFFF}, std::uint64_t{0}, std::uint64_t{7}}) {
    MakeRegion();
    Poke(72, bad, 4);
    absl::StatusOr<Region> r = Region::Attach(Quick());
    ASSERT_TRUE(r.ok()) << bad << ": " << r.status();
    EXPECT_FALSE(r->created());
    EXPECT_EQ(r->header().refcount, 1u) << bad;
    EXPECT_EQ(CountAttachments(r->header()), 1u);
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
    ASSERT_TRUE(Remove(Quick(), true).ok());
  }
}

using HostileFileTest = testing::RegionTest;

RegionOptions QuickOptions(const testing::RegionTest& t, const std::string& name) {
  RegionOptions o;
  o.home = t.dir();
  o.name = name;
  o.size = kSize;
  o.retry.attempts = 2;
  o.retry.backoff = absl::Microseconds(100);
  return o;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  os::File f = os::Open(path, os::kOpenCreate | os::kOpenTruncate).value();
  ASSERT_TRUE(os::Write(f, gsl::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()),
                                                      bytes.size()))
                  .ok());
}

TEST_F(HostileFileTest, GarbageFilesOfEverySizeAreRefusedCleanly) {
  struct Case {
    std::size_t size;
    RegionErrc expect;
  };
  // Empty with no process holding its liveness lock: an abandoned
  // half-created region, replaced at once (kNone: attach works). 100 bytes:
  // no creator leaves that (it sizes its file in whole pages), so it is
  // someone's file, never replaced (issue 12). A header's size: a stub with
  // a bad magic. Larger: a region with a bad magic.
  for (Case c : {Case{0, RegionErrc::kNone}, Case{100, RegionErrc::kNotARegion},
                 Case{kHeaderSize, RegionErrc::kNotARegion}, Case{kHeaderSize + 1, RegionErrc::kNotARegion},
                 Case{3 * kHeaderSize, RegionErrc::kNotARegion}}) {
    std::string junk(c.size, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 17);
    WriteFile(Path("junk"), junk);
    absl::StatusOr<Region> r = Region::Attach(QuickOptions(*this, "junk"));
    if (c.expect == RegionErrc::kNone) {
      ASSERT_TRUE(r.ok()) << c.size << ": " << r.status();
      EXPECT_TRUE(r->created()) << c.size;
      ASSERT_TRUE(r->Unlock().ok());
      ASSERT_TRUE(r->Detach().ok());
    } else {
      ASSERT_FALSE(r.ok()) << c.size;
      EXPECT_EQ(RegionErrcOf(r.status()), c.expect) << c.size << ": " << r.status();
    }
    if (c.expect == RegionErrc::kNotARegion) {
      EXPECT_EQ(RegionErrcOf(Remove(QuickOptions(*this, "junk"), true).status()), RegionErrc::kNotARegion);
      ASSERT_TRUE(os::Unlink(Path("junk")).ok());
    } else {
      ASSERT_TRUE(Remove(QuickOptions(*this, "junk"), true).ok());
    }
  }
}

// A user's own small file in the home (a pidfile, notes) is not an
// abandoned creation: neither an attach that may create nor one that may not
// (osport lock, grow, panic, recover; a non-force remove) replaces or
// removes it -- they say not_a_region and leave it byte for byte.
TEST_F(HostileFileTest, AUsersOwnSmallFileIsNeverReplacedOrRemoved) {
  // Also whole pages that are zero where the header's magic and format go
  // but not elsewhere: no creator leaves that (it writes the format word
  // first, and data only after the magic).
  std::string secret(kHeaderSize, '\0');
  secret.replace(200, 12, "secret data\n");
  std::string x_then_zeros(kHeaderSize, '\0');
  x_then_zeros[0] = 'x';
  std::string zeros_then_q(2 * kHeaderSize, '\0');
  zeros_then_q.back() = 'Q';
  // Files of zeros, however long, and a user's file with data only past
  // its first 16 MiB: a creator's first write is its creation record, so
  // no creator leaves zeros alone (review 4 deleted these).
  std::string far_data(20u << 20, '\0');
  far_data.replace(17u << 20, 4, "KEEP");
  // Osport's format word, and a token too, without the record naming this
  // very file: a user's file with those bytes, a copy of a region's file.
  std::string format_only(kHeaderSize, '\0');
  const std::uint32_t format = FormatWord();
  std::memcpy(&format_only[offsetof(RegionHeader, format)], &format, sizeof format);
  format_only.append("user data");
  format_only.resize(2 * kHeaderSize, '\0');
  std::string foreign_record = format_only;
  foreign_record.replace(offsetof(RegionHeader, token), 16, "0123456789abcdef");
  foreign_record[offsetof(RegionHeader, stub_inode)] = 7;
  std::string copied_region;
  {
    absl::StatusOr<Region> r = Region::Attach(QuickOptions(*this, "src"));
    ASSERT_TRUE(r.ok()) << r.status();
    copied_region.assign(static_cast<const char*>(static_cast<const void*>(&r->header())), r->size());
    const std::uint32_t zero = 0;  // as a creator killed before the magic leaves it
    std::memcpy(&copied_region[offsetof(RegionHeader, magic)], &zero, sizeof zero);
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
  }  // "src" stays until the end: "pidf" must not get its inode
  const std::string texts[] = {"12345\n",
                               "hello\n",
                               std::string(71, 'x'),
                               std::string(kHeaderSize, 'z'),
                               secret,
                               x_then_zeros,
                               zeros_then_q,
                               std::string(kHeaderSize, '\0'),
                               std::string(3 * kHeaderSize, '\0'),
                               far_data,
                               format_only,
                               foreign_record,
                               copied_region,
                               // osport's magic bytes, then someone's text (review 5: force removed it)
                               std::string(64, '0') + "RPSO notes, keep" + std::string(4000, 'n'),
                               // the same, one page: read as a stub by size
                               std::string(64, '0') + "RPSO notes, keep" + std::string(kHeaderSize - 80, 'n')};
  for (const std::string& text : texts) {
    SCOPED_TRACE(absl::StrCat(text.size(), " bytes starting ", absl::CHexEscape(text.substr(0, 16))));
    WriteFile(Path("pidf"), text);
    RegionOptions join_only = QuickOptions(*this, "pidf");
    join_only.create = false;
    for (const RegionOptions& o : {QuickOptions(*this, "pidf"), join_only}) {
      absl::StatusOr<Region> r = Region::Attach(o);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(RegionErrcOf(r.status()), RegionErrc::kNotARegion) << r.status();
      EXPECT_EQ(Remove(o, /*force=*/false).status().ok(), false);
      // Not even by force: force is for damaged regions, not for any file.
      EXPECT_EQ(RegionErrcOf(Remove(o, /*force=*/true).status()), RegionErrc::kNotARegion);
      EXPECT_EQ(RegionErrcOf(Stat(o).status()), RegionErrc::kNotARegion);
      std::ifstream in(Path("pidf"), std::ios::binary);
      const std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(now, text) << "the user's file was changed or removed";
    }
    ASSERT_TRUE(os::Unlink(Path("pidf")).ok());
  }
  ASSERT_TRUE(Remove(QuickOptions(*this, "src"), false).ok());
}

TEST_F(HostileFileTest, ATruncatedRegionFileIsNeverMappedPastItsEnd) {
  {
    absl::StatusOr<Region> r = Region::Attach(QuickOptions(*this, "t"));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
  }
  os::File f = os::Open(Path("t"), 0).value();
  ASSERT_TRUE(os::Truncate(f, kSize / 2 + 5).ok());
  absl::StatusOr<Region> r = Region::Attach(QuickOptions(*this, "t"));
  EXPECT_EQ(RegionErrcOf(r.status()), RegionErrc::kTruncated) << r.status();
  EXPECT_EQ(RegionErrcOf(Stat(QuickOptions(*this, "t")).status()), RegionErrc::kTruncated);
  ASSERT_TRUE(Remove(QuickOptions(*this, "t"), true).ok());
}

TEST_F(HostileFileTest, SymbolicLinksAreRefused) {
  WriteFile(Path("target"), std::string(3 * kHeaderSize, 'x'));
  std::error_code ec;
  std::filesystem::create_symlink(Path("target"), Path("link"), ec);
  if (ec) {
    // Wine (and Windows without the symlink privilege) cannot: the scratch
    // directory must still end up empty.
    ASSERT_TRUE(os::Unlink(Path("target")).ok());
    GTEST_SKIP() << "cannot make symlinks here: " << ec.message();
  }
  for (absl::Status s : {Region::Attach(QuickOptions(*this, "link")).status(),
                         Stat(QuickOptions(*this, "link")).status(),
                         Remove(QuickOptions(*this, "link"), true).status()}) {
    // Untrusted (issue 12): PermissionDenied with ELOOP, naming the link.
    EXPECT_TRUE(os::IsUntrusted(s)) << s;
    EXPECT_EQ(os::ErrnoOf(s), ELOOP) << s;
    EXPECT_NE(s.message().find("symbolic link"), absl::string_view::npos) << s;
  }
  EXPECT_TRUE(os::Exists(Path("target")).value());
  ASSERT_TRUE(os::Unlink(Path("link")).ok());
  ASSERT_TRUE(os::Unlink(Path("target")).ok());
}

// --- private regions ---------------------------------------------------------------

using PrivateTest = testing::RegionTest;

TEST_F(PrivateTest, PrivateRegionsFollowTheBuildsRules) {
  const bool memory_ok = os::config::kSpinlocks && !os::config::kMutexSharedOnly;
  for (os::Backend b : {os::Backend::kHeap, os::Backend::kAnonymous}) {
    RegionOptions o = Options("p", kSize, b);
    o.private_region = true;
    absl::StatusOr<Region> r = Region::Attach(o);
    if (!memory_ok) {
      // File-lock mutexes need a file; HP-UX mutexes need shared memory.
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
      EXPECT_NE(r.status().message().find(os::config::kSpinlocks ? "OSPORT_MUTEX_SHARED_ONLY"
                                                                 : "OSPORT_SPINLOCKS"),
                absl::string_view::npos)
          << r.status();
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->created());
    EXPECT_EQ(r->backend(), b);
    std::memset(r->data(), 0x5A, static_cast<std::size_t>(r->data_size()));
    ASSERT_TRUE(r->Unlock().ok());
    EXPECT_FALSE(os::Exists(Path("p")).value());  // no file at all
    ASSERT_TRUE(r->Detach().ok());
  }
  // Without a backend: heap where possible, else a file removed on detach.
  RegionOptions o = Options("d", kSize);
  o.backend.reset();
  o.private_region = true;
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->backend(), memory_ok ? os::Backend::kHeap : os::Backend::kFile);
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(r->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("d")).value());
}

// --- many processes ------------------------------------------------------------------

class ManyTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {};

TEST_P(ManyTest, SixteenProcessesAttachLockIncrementDetach200Times) {
  constexpr int kProcs = 16, kRounds = 200;
  RegionOptions o = Options("many", kSize, GetParam());
  absl::StatusOr<Region> keeper = Region::Attach(o);
  ASSERT_TRUE(keeper.ok()) << keeper.status();
  Track(*keeper);
  ASSERT_TRUE(keeper->Unlock().ok());
  std::vector<os::Child> workers;
  for (int i = 0; i < kProcs; ++i) {
    absl::StatusOr<os::Child> w = testing::StartRegionWorker(o);
    ASSERT_TRUE(w.ok()) << w.status();
    workers.push_back(std::move(*w));
  }
  for (os::Child& w : workers) ASSERT_TRUE(w.Send(absl::StrCat("rounds ", kRounds)).ok());
  for (os::Child& w : workers) EXPECT_EQ(w.ReadLine().value(), "ok");
  for (os::Child& w : workers) {
    w.CloseInput();
    EXPECT_EQ(w.Wait().value(), 0);
  }
  ASSERT_TRUE(keeper->Lock().ok());
  EXPECT_EQ(*static_cast<std::uint64_t*>(keeper->data()), std::uint64_t{kProcs} * kRounds);
  EXPECT_EQ(keeper->header().refcount, 1u);  // only the keeper
  ASSERT_TRUE(keeper->MarkForRemoval().ok());
  ASSERT_TRUE(keeper->Unlock().ok());
  ASSERT_TRUE(keeper->Detach().ok());  // the last one removes it
  EXPECT_FALSE(os::Exists(Path("many")).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, ManyTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

// --- injected failures ---------------------------------------------------------------

class FaultTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {};

TEST_P(FaultTest, ACreateThatFailsLeavesNothingBehind) {
  RegionOptions o = Options("f", kSize, GetParam());
  const bool named = os::BackendNamed(GetParam());
  // File regions fail allocating disk (writing zeros under mapinit); named
  // ones fail writing the stub, after their system memory exists.
  const bool writes = named || os::MapInitRequired();
  os::FaultInjector fault(writes ? os::Op::kWrite : os::Op::kAllocate, 1, ENOSPC);
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_TRUE(os::HasErrno(r.status(), ENOSPC));
  EXPECT_NE(r.status().message().find("region f"), absl::string_view::npos) << r.status();
  // Its memory was removed: by a removal call where memory outlives its
  // users; on Win32 a section has no removal call and went when its handle
  // closed (the fixture's handle and mapping counts check that).
  EXPECT_EQ(fault.calls(os::Op::kShmRemove), named && !os::config::kWin32 ? 1u : 0u);
  EXPECT_FALSE(os::Exists(Path("f")).value());
}

TEST_P(FaultTest, AJoinThatCannotMapLeavesTheRegionIntact) {
  RegionOptions o = Options("j", kSize, GetParam());
  absl::StatusOr<Region> a = Region::Attach(o);
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->Unlock().ok());
  {
    os::FaultInjector fault(os::Op::kMap, 1, ENOMEM);
    absl::StatusOr<Region> b = Region::Attach(o);
    ASSERT_FALSE(b.ok());
    EXPECT_TRUE(os::HasErrno(b.status(), ENOMEM)) << b.status();
  }
  EXPECT_EQ(a->header().refcount, 1u);
  absl::StatusOr<Region> c = Region::Attach(o);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->Unlock().ok());
  ASSERT_TRUE(c->Detach().ok());
  a->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("j")).value());
}

TEST_P(FaultTest, ADetachThatCannotRemoveSaysSo) {
  RegionOptions o = Options("d", kSize, GetParam());
  absl::StatusOr<Region> a = Region::Attach(o);
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  ASSERT_TRUE(a->MarkForRemoval().ok());
  ASSERT_TRUE(a->Unlock().ok());
  {
    os::FaultInjector fault(os::Op::kUnlink, 1, EACCES);
    absl::Status s = a->Detach();
    EXPECT_TRUE(os::HasErrno(s, EACCES)) << s;
    EXPECT_NE(s.message().find("unlink"), absl::string_view::npos) << s;
  }
  EXPECT_FALSE(a->attached());
  ASSERT_TRUE(Remove(o, true).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
