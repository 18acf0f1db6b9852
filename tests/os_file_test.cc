// Conformance tests for os/file.h, written once for every platform.
#include "os/file.h"

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "tests/support/helper.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

gsl::span<const std::byte> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

class FileTest : public testing::ResourceTest {
 protected:
  void SetUp() override {
    ResourceTest::SetUp();
    require_empty_dir_ = false;
  }
  File MustOpen(const std::string& name, std::uint32_t flags, std::uint32_t mode = 0600) {
    absl::StatusOr<File> f = Open(Path(name), flags, mode);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : File();
  }
  void WriteFile(const std::string& name, const std::string& content) {
    File f = MustOpen(name, kOpenCreate | kOpenTruncate);
    ASSERT_TRUE(Write(f, Bytes(content)).ok());
    ASSERT_TRUE(f.Close().ok());
  }
};

TEST_F(FileTest, CreateThenReopenSeesTheData) {
  WriteFile("a", "hello");
  File f = MustOpen("a", kOpenReadOnly);
  char buf[16] = {};
  absl::StatusOr<std::size_t> n = Read(f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(buf), sizeof buf));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 5u);
  EXPECT_STREQ(buf, "hello");
}

TEST_F(FileTest, MissingFileIsNotFound) {
  absl::StatusOr<File> f = Open(Path("missing"), 0);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoOf(f.status()), ENOENT);
  EXPECT_NE(f.status().message().find("missing"), absl::string_view::npos) << f.status();
}

TEST_F(FileTest, ExclusiveCreateOfAnExistingFileIsAlreadyExists) {
  WriteFile("x", "1");
  absl::StatusOr<File> f = Open(Path("x"), kOpenCreate | kOpenExclusive);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(HasErrno(f.status(), EEXIST));
}

TEST_F(FileTest, InvalidFlagCombinationsAreRejected) {
  for (std::uint32_t flags : {std::uint32_t{kOpenExclusive}, kOpenReadOnly | kOpenTruncate, 1u << 20}) {
    absl::StatusOr<File> f = Open(Path("f"), flags);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << flags;
  }
  EXPECT_FALSE(Exists(Path("f")).value());
  EXPECT_EQ(Open("", kOpenCreate).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(Path("g"), kOpenCreate, 010000).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FileTest, NewFileGetsExactlyTheRequestedMode) {
  for (std::uint32_t mode : {0600u, 0640u, 0444u}) {
    const std::string name = "m" + std::to_string(mode);
    { File f = MustOpen(name, kOpenCreate | kOpenExclusive, mode); }
    const auto perms = fs::status(Path(name)).permissions();
#ifdef _WIN32
    // Windows keeps only a read-only bit.
    EXPECT_EQ((perms & fs::perms::owner_write) == fs::perms::none, (mode & 0200) == 0);
#else
    EXPECT_EQ(static_cast<std::uint32_t>(perms) & 0777u, mode) << std::oct << mode;
#endif
  }
}

// StatOpenFile (an open file; on Linux a statx that asks for no timestamps,
// os/posix/sys.h FstatIdentity) and StatAt (the name) describe one file
// alike: the trust checks compare owners and modes, and SameFileAt the
// device and inode one got from each.
TEST_F(FileTest, StatOfTheOpenFileAndOfItsNameAgree) {
  WriteFile("s", std::string(5000, 'x'));
  std::error_code ec;
  fs::create_hard_link(Path("s"), Path("s2"), ec);
  const std::uint64_t links = ec ? 1 : 2;
  absl::StatusOr<Dir> d = OpenDir(dir());
  ASSERT_TRUE(d.ok()) << d.status();
  File f = MustOpen("s", kOpenReadOnly);
  absl::StatusOr<FileInfo> open = StatOpenFile(f);
  absl::StatusOr<FileInfo> named = StatAt(*d, "s");
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(open->type, FileType::kRegular);
  EXPECT_EQ(open->type, named->type);
  EXPECT_EQ(open->size, 5000u);
  EXPECT_EQ(open->size, named->size);
  EXPECT_EQ(open->links, links);
  EXPECT_EQ(open->links, named->links);
  EXPECT_EQ(open->mode, named->mode);
  EXPECT_EQ(open->owner, named->owner);
  EXPECT_EQ(open->owner_is_admin, named->owner_is_admin);
  EXPECT_EQ(open->device, named->device);
  EXPECT_EQ(open->inode, named->inode);
  EXPECT_NE(open->inode, 0u);
}

TEST_F(FileTest, NoFollowRefusesAFinalSymlink) {
  WriteFile("target", "t");
  std::error_code ec;
  fs::create_symlink(Path("target"), Path("link"), ec);
  if (ec) GTEST_SKIP() << "this system cannot make symlinks here: " << ec.message();
  absl::StatusOr<File> f = Open(Path("link"), kOpenNoFollow);
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(HasErrno(f.status(), ELOOP)) << f.status();
  EXPECT_TRUE(Open(Path("link"), 0).ok());  // without the flag it is followed
}

TEST_F(FileTest, ReadAtEndOfFileReportsTheBytesRead) {
  WriteFile("e", "0123456789");
  File f = MustOpen("e", kOpenReadOnly);
  std::vector<std::byte> buf(16);
  EXPECT_EQ(Read(f, buf).value(), 10u);
  EXPECT_EQ(Read(f, buf).value(), 0u);
}

TEST_F(FileTest, LargeBufferRoundTrips) {
  std::string data(3 * kMiB + 7, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  WriteFile("big", data);
  File f = MustOpen("big", kOpenReadOnly);
  std::string back(data.size(), '\0');
  EXPECT_EQ(Read(f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(back.data()), back.size())).value(),
            data.size());
  EXPECT_TRUE(back == data);
}

TEST_F(FileTest, IoInfoSplitsTheSizeAtOneMegabyte) {
  struct Case {
    std::uint64_t size;
    std::uint32_t mbytes, bytes;
  };
  for (Case c : {Case{kMiB - 1, 0, 1048575}, Case{kMiB, 1, 0}, Case{kMiB + 1, 1, 1}, Case{0, 0, 0}}) {
    File f = MustOpen("io", kOpenCreate | kOpenTruncate);
    ASSERT_TRUE(Truncate(f, c.size).ok());
    IoInfo info = GetIoInfo(f).value();
    EXPECT_EQ(info.mbytes, c.mbytes) << c.size;
    EXPECT_EQ(info.bytes, c.bytes) << c.size;
    EXPECT_EQ(info.size(), c.size);
    EXPECT_GT(info.iosize, 0u);
  }
}

TEST_F(FileTest, SeekPastFourGigabytesWithMegabytePages) {
  File f = MustOpen("sparse", kOpenCreate);
  // 5000 MiB + 123: beyond what a 32-bit offset can say.
  EXPECT_EQ(Seek(f, kMiB, 5000, 123, false, Whence::kSet).value(), 5000 * kMiB + 123);
  ASSERT_TRUE(Write(f, Bytes("z")).ok());
  IoInfo info = GetIoInfo(f).value();
  EXPECT_EQ(info.mbytes, 5000u);
  EXPECT_EQ(info.bytes, 124u);
  // rewind: one page back from the current position.
  EXPECT_EQ(Seek(f, kMiB, 1, 0, true, Whence::kCur).value(), 4999 * kMiB + 124);
  // relative only, from the end, backwards.
  EXPECT_EQ(Seek(f, 0, 0, 4, true, Whence::kEnd).value(), 5000 * kMiB + 120);
  EXPECT_EQ(Seek(f, 0, 0, 0, false, Whence::kEnd).value(), 5000 * kMiB + 124);
  EXPECT_EQ(Seek(f, 0, 0, 0, false, Whence::kSet).value(), 0u);
  // Read back the byte through the 64-bit position.
  ASSERT_EQ(Seek(f, kMiB, 5000, 123, false, Whence::kSet).value(), 5000 * kMiB + 123);
  std::byte b{};
  EXPECT_EQ(Read(f, gsl::span<std::byte>(&b, 1)).value(), 1u);
  EXPECT_EQ(b, std::byte{'z'});
}

TEST_F(FileTest, SeekOverflowAndNegativePositionsAreInvalidArgument) {
  File f = MustOpen("s", kOpenCreate);
  ASSERT_EQ(Seek(f, 0, 0, 10, false, Whence::kSet).value(), 10u);
  const std::uint64_t kHuge = std::uint64_t{1} << 40;
  for (auto r : {Seek(f, kHuge, kHuge, 0, false, Whence::kSet),              // product overflows
                 Seek(f, 1, std::uint64_t{1} << 62, std::uint64_t{1} << 62, false, Whence::kSet),
                 Seek(f, 0, 0, ~std::uint64_t{0}, true, Whence::kCur),         // relative too big
                 Seek(f, 0, 0, 1, true, Whence::kSet),                         // before the start
                 Seek(f, 0, 0, 11, true, Whence::kCur)}) {                     // 10 - 11 < 0
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  }
  // Nothing moved.
  EXPECT_EQ(Seek(f, 0, 0, 0, false, Whence::kCur).value(), 10u);
  EXPECT_EQ(SeekOffset(kMiB, 3, 5, true).value(), -static_cast<std::int64_t>(3 * kMiB + 5));
  EXPECT_EQ(SeekOffset(std::uint64_t{1} << 31, std::uint64_t{1} << 31, 0, false).value(),
            std::int64_t{1} << 62);
}

TEST_F(FileTest, ExistsTellsFilesFromDirectories) {
  WriteFile("f", "x");
  bool is_dir = true;
  EXPECT_TRUE(Exists(Path("f"), &is_dir).value());
  EXPECT_FALSE(is_dir);
  EXPECT_TRUE(Exists(dir(), &is_dir).value());
  EXPECT_TRUE(is_dir);
  EXPECT_FALSE(Exists(Path("nope")).value());
  EXPECT_FALSE(Exists(Path("nope/deeper")).value());
}

TEST_F(FileTest, UnlinkRemovesAndReportsMissing) {
  WriteFile("u", "x");
  ASSERT_TRUE(Unlink(Path("u")).ok());
  EXPECT_FALSE(Exists(Path("u")).value());
  absl::Status again = Unlink(Path("u"));
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(HasErrno(again, ENOENT));
}

TEST_F(FileTest, CloseTwiceIsFineAndMovesTransferOwnership) {
  File a = MustOpen("c", kOpenCreate);
  File b = std::move(a);
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): moved-from is closed
  EXPECT_TRUE(b.is_open());
  EXPECT_TRUE(b.Close().ok());
  EXPECT_TRUE(b.Close().ok());
}

TEST_F(FileTest, AllocateExtendsTheFile) {
  File f = MustOpen("al", kOpenCreate);
  ASSERT_TRUE(Allocate(f, 0, 2 * kMiB + 5).ok());
  EXPECT_EQ(GetIoInfo(f).value().size(), 2 * kMiB + 5);
  ASSERT_TRUE(Allocate(f, kMiB, 10).ok());  // inside: size unchanged
  EXPECT_EQ(GetIoInfo(f).value().size(), 2 * kMiB + 5);
  EXPECT_TRUE(Allocate(f, 0, 0).ok());
  EXPECT_EQ(Allocate(f, ~std::uint64_t{0}, 2).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FileTest, AllocateFallsBackToZerosPastTheEndOnly) {
  File f = MustOpen("fb", kOpenCreate);
  ASSERT_TRUE(Write(f, Bytes("keep")).ok());
  {
    // The filesystem says it cannot allocate: zeros are written instead.
    FaultInjector fault(Op::kAllocate, 1, EOPNOTSUPP);
    ASSERT_TRUE(Allocate(f, 0, 3 * kMiB + 3).ok());
    EXPECT_EQ(fault.fired(), 1u);
    EXPECT_EQ(fault.calls(Op::kWrite), 3u);  // 3 MiB - 1 past "keep", in 1 MiB chunks
  }
  EXPECT_EQ(GetIoInfo(f).value().size(), 3 * kMiB + 3);
  ASSERT_EQ(Seek(f, 0, 0, 0, false, Whence::kSet).value(), 0u);
  std::string back(3 * kMiB + 3, 'x');
  ASSERT_EQ(Read(f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(back.data()), back.size())).value(),
            back.size());
  EXPECT_EQ(back.substr(0, 4), "keep");
  EXPECT_EQ(back.find_first_not_of('\0', 4), std::string::npos);
}

// --- the exclusive-create race across real processes --------------------------

OSPORT_TEST_HELPER(ExclusiveCreator) {
  testing::TellParent("ready");
  if (testing::ReadParentLine() != "go") return 2;
  absl::StatusOr<File> f = Open(args.at(0), kOpenCreate | kOpenExclusive);
  if (f.ok()) {
    testing::TellParent("won");
  } else {
    testing::TellParent(f.status().code() == absl::StatusCode::kAlreadyExists && HasErrno(f.status(), EEXIST)
                            ? "lost"
                            : "error " + std::string(f.status().message()));
  }
  return 0;
}

TEST_F(FileTest, ExclusiveCreateRacedByEightProcessesHasOneWinner) {
  for (int round = 0; round < 3; ++round) {
    const std::string path = Path("race" + std::to_string(round));
    std::vector<Child> children;
    for (int i = 0; i < 8; ++i) {
      absl::StatusOr<Child> c = testing::StartHelper("ExclusiveCreator", {path});
      ASSERT_TRUE(c.ok()) << c.status();
      children.push_back(std::move(*c));
    }
    for (Child& c : children) ASSERT_EQ(c.ReadLine().value(), "ready");
    for (Child& c : children) ASSERT_TRUE(c.Send("go").ok());
    int won = 0, lost = 0;
    for (Child& c : children) {
      const std::string r = c.ReadLine().value();
      won += r == "won";
      lost += r == "lost";
      EXPECT_TRUE(r == "won" || r == "lost") << r;
      EXPECT_EQ(c.Wait().value(), 0);
    }
    EXPECT_EQ(won, 1);
    EXPECT_EQ(lost, 7);
  }
}

}  // namespace
}  // namespace osport::os
