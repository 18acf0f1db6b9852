// The join fast path the benchmarks measure (bench/region): the system calls
// a join makes, and the pieces it is built from -- WriteZeros (mapinit),
// MapFile with a known size, PrefaultHint -- in every build.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/map.h"
#include "os/process.h"
#include "os/trust.h"
#include "region/grow.h"
#include "region/header.h"
#include "region/region.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

using FastPathTest = testing::RegionTest;

TEST_F(FastPathTest, AJoinOpensTheHomeOnceAndItsFileOnce) {
  RegionOptions o = Options("r", kSize);
  absl::StatusOr<Region> a = Region::Attach(o);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->Unlock().ok());
  // What opening and checking the home costs here (issue 12: one openat2, or
  // a walk of its components where the kernel has none, and one fstat).
  std::uint64_t home_opens = 0, home_stats = 0;
  {
    os::CallCounter calls;
    ASSERT_TRUE(os::OpenTrustedHome(o.home, o.trust).ok());
    home_opens = calls.calls(os::Op::kOpen);
    home_stats = calls.calls(os::Op::kStat);
  }
  {
    os::CallCounter calls;
    absl::StatusOr<Region> b = Region::Attach(o);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_FALSE(b->created());
    // The home once, the file once: no failing exclusive create first. And
    // where range locks are the open file's and /proc is there, the file's
    // mapping opens a description of its own (os::MapFile: a forked child
    // that inherits the mapping keeps no liveness lock).
    const bool own_description =
        !os::config::kWin32 && os::config::kProcessStartStamps && os::RangeLocksPerOpenFile();
    EXPECT_EQ(calls.calls(os::Op::kOpen), home_opens + 1 + (own_description ? 1 : 0));
    // POSIX: the home's check, the file's check (before anything reads it)
    // and its size. Win32 also asks the file's identity
    // (GetFileInformationByHandle) to map its section.
    if (!os::config::kWin32) {
      EXPECT_EQ(calls.calls(os::Op::kStat), home_stats + 2);
    }
    EXPECT_EQ(calls.calls(os::Op::kMap), 1u);
    ASSERT_TRUE(b->Unlock().ok());
    ASSERT_TRUE(b->Detach().ok());
  }
  ASSERT_TRUE(a->Detach().ok());
  ASSERT_TRUE(Remove(o, true).ok());
}

TEST_F(FastPathTest, AJoinSurvivesAFailingPrefaultHint) {
  RegionOptions o = Options("h", kSize);
  absl::StatusOr<Region> a = Region::Attach(o);
  ASSERT_TRUE(a.ok()) << a.status();
  std::memcpy(a->data(), "kept", 5);
  ASSERT_TRUE(a->Unlock().ok());
  {
    os::FaultInjector fault(os::Op::kAdvise, 1, EINVAL);
    absl::StatusOr<Region> b = Region::Attach(o);
    ASSERT_TRUE(b.ok()) << b.status();
    // Win32 has no populate call that leaves data alone, and builds without
    // MADV_POPULATE_WRITE have none either: no hint is made.
    EXPECT_EQ(fault.fired(), os::config::kPopulateHint ? 1u : 0u);
    EXPECT_STREQ(static_cast<const char*>(b->data()), "kept");
    EXPECT_EQ(b->header().refcount, 2u);
    ASSERT_TRUE(b->Unlock().ok());
    ASSERT_TRUE(b->Detach().ok());
  }
  ASSERT_TRUE(a->Detach().ok());
  ASSERT_TRUE(Remove(o, true).ok());
}

TEST_F(FastPathTest, AMissingHomeIsStillNamedWhenCreatingOrJoining) {
  for (bool create : {true, false}) {
    RegionOptions o = Options("m", kSize);
    o.create = create;
    o.home = Path("no-such-dir");
    absl::StatusOr<Region> r = Region::Attach(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
    EXPECT_NE(r.status().message().find(absl::StrCat("region home \"", o.home, "\" does not exist")),
              absl::string_view::npos)
        << r.status();
  }
  // A home that is a file: ENOTDIR from open(2), the same clear error.
  RegionOptions o = Options("f", kSize);
  absl::StatusOr<os::File> file = os::Open(Path("plain"), os::kOpenCreate, 0600);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Close().ok());
  o.home = Path("plain");
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_EQ(os::ErrnoOf(r.status()), ENOTDIR) << r.status();
  EXPECT_NE(r.status().message().find("is not a directory"), absl::string_view::npos) << r.status();
  o.create = true;
  EXPECT_EQ(CheckHome(o).code(), absl::StatusCode::kFailedPrecondition);
  o.home = Path("no-such-dir");
  EXPECT_EQ(CheckHome(o).code(), absl::StatusCode::kNotFound);
  o.home = Path("plain");
  ASSERT_TRUE(os::Unlink(Path("plain")).ok());
}

TEST_F(FastPathTest, WriteZerosOverwritesAndExtendsInChunks) {
  absl::StatusOr<os::File> f = os::Open(Path("z"), os::kOpenCreate | os::kOpenExclusive, 0600);
  ASSERT_TRUE(f.ok()) << f.status();
  const std::vector<std::byte> junk(8192, std::byte{0xAB});
  ASSERT_TRUE(os::Write(*f, junk).ok());
  // From inside the junk to past a chunk boundary, ending mid-page.
  const std::uint64_t from = 100, to = kMapInitChunk + 4096 + 7;
  {
    os::CallCounter calls;
    ASSERT_TRUE(WriteZeros(*f, from, to).ok());
    EXPECT_EQ(calls.calls(os::Op::kWrite), 2u);  // one full chunk and the rest
  }
  ASSERT_TRUE(WriteZeros(*f, to, to).ok());  // empty: nothing to do
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(*f);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size(), to);
  std::vector<std::byte> back(static_cast<std::size_t>(to));
  ASSERT_TRUE(os::Seek(*f, 0, 0, 0, false, os::Whence::kSet).ok());
  ASSERT_EQ(os::Read(*f, back).value(), to);
  for (std::uint64_t i = 0; i < to; ++i) {
    ASSERT_EQ(back[i], i < from ? std::byte{0xAB} : std::byte{0}) << "at " << i;
  }
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(os::Unlink(Path("z")).ok());
}

TEST_F(FastPathTest, MapFileTrustsAKnownSizeAndStillRefusesToMapPastIt) {
  absl::StatusOr<os::File> f = os::Open(Path("k"), os::kOpenCreate | os::kOpenExclusive, 0600);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(os::Allocate(*f, 0, kSize).ok());
  {
    os::CallCounter calls;
    absl::StatusOr<os::Mapping> m = os::MapFile(*f, kSize, kSize);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(calls.calls(os::Op::kStat), 0u);
    // The hint never writes: the contents stay, also out of range or empty.
    static_cast<char*>(m->data())[5000] = 'x';
    os::PrefaultHint(*m, 0, kSize);
    os::PrefaultHint(*m, kSize - 1, 100);
    os::PrefaultHint(*m, kSize, 1);
    os::PrefaultHint(*m, 0, 0);
    EXPECT_EQ(static_cast<char*>(m->data())[5000], 'x');
    EXPECT_EQ(static_cast<char*>(m->data())[0], 0);
    ASSERT_TRUE(m->Unmap().ok());
  }
  absl::StatusOr<os::Mapping> past = os::MapFile(*f, kSize, kSize - 4096);
  ASSERT_FALSE(past.ok());
  EXPECT_TRUE(os::HasErrno(past.status(), EINVAL)) << past.status();
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(os::Unlink(Path("k")).ok());
}

// AddAttachment and ReconcileDead stop scanning once the refcount is
// accounted for: slots far down the table are still found.
TEST(AttachmentTableTest, SlotsAfterGapsAreFoundAndReconciled) {
  alignas(64) std::byte buf[kHeaderSize] = {};
  RegionHeader& h = *reinterpret_cast<RegionHeader*>(buf);
  if constexpr (!os::config::kProcessStartStamps) {
    GTEST_SKIP() << "forges a reused pid, which needs process start stamps (no /proc here)";
  }
  const os::ProcessIdentity me = os::CurrentProcess();
  ASSERT_NE(me.start, 0u) << "needs process start stamps";
  h.attachments[100] = Attachment{me.pid, 2, me.start};
  h.attachments[200] = Attachment{me.pid, 1, me.start + 1};  // a reused pid: dead
  h.refcount = 3;
  ASSERT_TRUE(AddAttachment(h, me.pid, me.start, "t").ok());
  EXPECT_EQ(h.attachments[100].count, 3u);  // found, not a second slot
  EXPECT_EQ(h.attachments[0].pid, 0u);
  EXPECT_EQ(h.refcount, 4u);
  EXPECT_EQ(ReconcileDead(h), 1u);
  EXPECT_EQ(h.attachments[200].pid, 0u);
  EXPECT_EQ(h.refcount, 3u);
  // A new process takes the first free slot.
  ASSERT_TRUE(AddAttachment(h, me.pid + 1, 7, "t").ok());
  EXPECT_EQ(h.attachments[0].pid, me.pid + 1);
  EXPECT_EQ(h.refcount, 4u);
}

}  // namespace
}  // namespace osport::region
