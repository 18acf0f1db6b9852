// Read-before-map validation (issue 12, F5): headers written by hand, each
// field wrong in turn, and an unrelated file that must come out unchanged.
#include "region/preflight.h"

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "region/errors.h"
#include "region/header.h"
#include "tests/support/resources.h"

namespace osport::region {
namespace {

class PreflightTest : public testing::ResourceTest {
 protected:
  // A valid header for a `size`-byte file region (or a stub when `stub`).
  static std::vector<std::byte> Header(std::uint64_t size, bool stub) {
    std::vector<std::byte> bytes(kHeaderSize);
    auto* h = reinterpret_cast<RegionHeader*>(bytes.data());
    h->magic.store(kRegionMagic, std::memory_order_relaxed);
    h->format = FormatWord();
    EXPECT_TRUE(h->mutex.Init(os::kRegionMutexKind, 0).ok());  // as the creator does
    h->size.store(size, std::memory_order_relaxed);
    h->attach_slots = kMaxAttachments;
    h->creator_pid = 1;
    h->mode = 0600;
    h->backend = static_cast<std::uint32_t>(stub ? os::Backend::kSysV : os::Backend::kFile);
    h->flags = stub ? kFlagNamed : 0;
    h->system_id = stub ? 77 : 0;
    return bytes;
  }
  static RegionHeader& As(std::vector<std::byte>& bytes) {
    return *reinterpret_cast<RegionHeader*>(bytes.data());
  }
  // Writes `bytes` (padded with zeros to `file_size`) and preflights it.
  absl::StatusOr<Preflight> Check(const std::vector<std::byte>& bytes, std::uint64_t file_size) {
    {
      os::File f = os::Open(Path("r"), os::kOpenCreate | os::kOpenTruncate).value();
      EXPECT_TRUE(os::Write(f, bytes).ok());
      EXPECT_TRUE(os::Truncate(f, file_size).ok());
    }
    os::File f = os::Open(Path("r"), os::kOpenReadOnly).value();
    absl::StatusOr<Preflight> p = PreflightHeader(f, file_size, "r");
    EXPECT_TRUE(f.Close().ok());
    EXPECT_TRUE(os::Unlink(Path("r")).ok());
    return p;
  }
  static void ExpectErrc(const absl::StatusOr<Preflight>& p, RegionErrc errc, absl::string_view needle) {
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(RegionErrcOf(p.status()), errc) << p.status();
    EXPECT_NE(p.status().message().find(needle), absl::string_view::npos)
        << "want \"" << needle << "\" in " << p.status();
  }
};

TEST_F(PreflightTest, ValidRegionAndStub) {
  absl::StatusOr<Preflight> p = Check(Header(3 * kHeaderSize, false), 3 * kHeaderSize);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ready);
  EXPECT_FALSE(p->stub);
  EXPECT_EQ(p->size, 3 * kHeaderSize);
  p = Check(Header(8 * kHeaderSize, true), kHeaderSize);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ready && p->stub);
  EXPECT_EQ(p->backend, os::Backend::kSysV);
  EXPECT_EQ(p->system_id, 77u);
}

TEST_F(PreflightTest, NotReadyYet) {
  EXPECT_FALSE(Check({}, 0).value().ready);
  EXPECT_FALSE(Check(std::vector<std::byte>(100), 100).value().ready);
  EXPECT_FALSE(Check(std::vector<std::byte>(2 * kHeaderSize), 2 * kHeaderSize).value().ready);
}

TEST_F(PreflightTest, EachBadFieldIsNamed) {
  auto h = Header(2 * kHeaderSize, false);
  As(h).magic.store(0x12345678);
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kNotARegion, "not an osport region");
  h = Header(2 * kHeaderSize, false);
  As(h).format ^= 1;
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kIncompatible, "format");
  h = Header(2 * kHeaderSize, false);
  As(h).backend = 99;
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "unknown backend 99");
  h = Header(2 * kHeaderSize, false);
  As(h).flags = 0x80;
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "unknown flags 0x80");
  h = Header(2 * kHeaderSize + 1, false);
  ExpectErrc(Check(h, 3 * kHeaderSize), RegionErrc::kCorrupt, "size");
  h = Header(4 * kHeaderSize, false);
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kTruncated, "only");
  // Pids within the target system's range (os::config::kPidMax), never 0 for
  // the creator; panic is 0 or 1.
  h = Header(2 * kHeaderSize, false);
  As(h).creator_pid = 0;
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "creator_pid 0");
  h = Header(2 * kHeaderSize, false);
  As(h).creator_pid = os::config::kPidMax + 1;
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "creator_pid");
  h = Header(2 * kHeaderSize, false);
  As(h).attachments[3] = Attachment{os::config::kPidMax + 1, 1, 5};
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "attachments[3].pid");
  h = Header(2 * kHeaderSize, false);
  As(h).attachments[3] = Attachment{os::config::kPidMax, 1, 5};
  EXPECT_TRUE(Check(h, 2 * kHeaderSize).ok()) << "the largest pid is a pid";
  h = Header(2 * kHeaderSize, false);
  As(h).panic.store(7);
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "panic 7");
  h = Header(2 * kHeaderSize, false);
  As(h).panic.store(1);
  EXPECT_TRUE(Check(h, 2 * kHeaderSize).ok()) << "a panicked region is not corrupt";
  // The reference count is a cache of the attachment slots, recomputed under
  // the lock (region/liveness.h), so even a wrapped count is never used; a
  // slot that is free yet counts attachments is corrupt.
  h = Header(2 * kHeaderSize, false);
  As(h).attachments[0].count = 1;
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "free attachment slot");
  // Stubs: must name system memory, with an id.
  h = Header(2 * kHeaderSize, true);
  As(h).system_id = 0;
  ExpectErrc(Check(h, kHeaderSize), RegionErrc::kCorrupt, "system id 0");
  h = Header(2 * kHeaderSize, true);
  As(h).flags = 0;
  ExpectErrc(Check(h, kHeaderSize), RegionErrc::kCorrupt, "name no system memory");
  h = Header(2 * kHeaderSize, true);
  ExpectErrc(Check(h, 2 * kHeaderSize), RegionErrc::kCorrupt, "claims to be a stub");
}

// F5: a hard link to an unrelated 20 KB file is refused by an ordinary read;
// the file's bytes and times do not change.
TEST_F(PreflightTest, AnUnrelatedFileIsRefusedAndUntouched) {
  std::vector<std::byte> data(20 * 1024);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 31 + 7);
  {
    os::File f = os::Open(Path("notes"), os::kOpenCreate | os::kOpenExclusive).value();
    ASSERT_TRUE(os::Write(f, data).ok());
  }
  os::Dir d = os::OpenDir(dir()).value();
  const os::FileInfo before = os::StatAt(d, "notes").value();
  {
    os::File f = os::OpenAt(d, "notes", os::kOpenReadOnly).value();
    absl::StatusOr<Preflight> p = PreflightHeader(f, data.size(), "notes");
    ExpectErrc(p, RegionErrc::kNotARegion, "not an osport region");
  }
  std::vector<std::byte> back(data.size());
  os::File f = os::Open(Path("notes"), os::kOpenReadOnly).value();
  ASSERT_EQ(os::Read(f, back).value(), data.size());
  EXPECT_EQ(back, data);
  const os::FileInfo after = os::StatOpenFile(f).value();
  EXPECT_EQ(after.size, before.size);
  EXPECT_TRUE(f.Close().ok());
  ASSERT_TRUE(os::UnlinkAt(d, "notes").ok());
}

}  // namespace
}  // namespace osport::region
