// Conformance tests for the byte-range (liveness) locks of os/file.h,
// written once for every platform: sharing, refusal, the kernel releasing a
// killed holder's lock, locks past the data leaving the data usable, and
// every error path through the hook table.
#include <string>

#include "gtest/gtest.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "tests/support/helper.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

constexpr std::uint64_t kFar = std::uint64_t{1} << 62;  // as the region's liveness byte

// Holds a lock on args[0] at kFar: args[1] "shared" or "exclusive".
OSPORT_TEST_HELPER(RangeLockHolder) {
  absl::StatusOr<File> f = Open(args[0], 0);
  if (!f.ok()) return 2;
  const RangeLock kind = args[1] == "exclusive" ? RangeLock::kExclusive : RangeLock::kShared;
  absl::StatusOr<bool> got = TryLockRange(*f, kFar, 1, kind);
  testing::TellParent(got.ok() && *got ? "held" : "refused");
  (void)testing::ReadParentLine();  // hold until told or killed
  return 0;
}

class RangeLockTest : public testing::ResourceTest {
 protected:
  void SetUp() override {
    ResourceTest::SetUp();
    require_empty_dir_ = false;
    absl::StatusOr<File> f = Open(Path("f"), kOpenCreate);
    ASSERT_TRUE(f.ok()) << f.status();
    file_ = std::move(*f);
  }
  void TearDown() override {
    ASSERT_TRUE(file_.Close().ok());
    ResourceTest::TearDown();
  }
  File Another() {
    absl::StatusOr<File> f = Open(Path("f"), 0);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : File();
  }
  Child Holder(const std::string& kind) {
    absl::StatusOr<Child> c = testing::StartHelper("RangeLockHolder", {Path("f"), kind});
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return {};
    EXPECT_EQ(c->ReadLine().value_or(""), "held");
    return std::move(*c);
  }
  File file_;
};

TEST_F(RangeLockTest, AKilledHoldersLockIsReleasedByTheKernel) {
  Child holder = Holder("exclusive");
  EXPECT_FALSE(TryLockRange(file_, kFar, 1, RangeLock::kShared).value());
  EXPECT_FALSE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());
  ASSERT_TRUE(holder.Kill().ok());
  ASSERT_TRUE(holder.Wait().ok());
  EXPECT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());
  EXPECT_TRUE(UnlockRange(file_, kFar, 1).ok());
}

TEST_F(RangeLockTest, SharedLocksCoexistAndRefuseExclusive) {
  Child holder = Holder("shared");
  EXPECT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kShared).value());
  ASSERT_TRUE(UnlockRange(file_, kFar, 1).ok());
  EXPECT_FALSE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());
  ASSERT_TRUE(holder.Send("done").ok());
  EXPECT_EQ(holder.Wait().value(), 0);
  EXPECT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());
}

TEST_F(RangeLockTest, TwoFilesOfOneProcessConflictWhereLocksBelongToTheOpenFile) {
  if (!RangeLocksPerOpenFile()) GTEST_SKIP() << "classic fcntl locks belong to the process here";
  File other = Another();
  ASSERT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kShared).value());
  EXPECT_TRUE(TryLockRange(other, kFar, 1, RangeLock::kShared).value());
  ASSERT_TRUE(UnlockRange(other, kFar, 1).ok());
  EXPECT_FALSE(TryLockRange(other, kFar, 1, RangeLock::kExclusive).value());
  // Closing one File keeps the other's lock (the classic-fcntl pitfall).
  ASSERT_TRUE(other.Close().ok());
  File third = Another();
  EXPECT_FALSE(TryLockRange(third, kFar, 1, RangeLock::kExclusive).value());
}

TEST_F(RangeLockTest, AHeldLockConvertsInPlaceWhereThePlatformCan) {
  if (!RangeLockConvertsInPlace()) GTEST_SKIP() << "Win32 cannot convert a lock in place";
  Child holder = Holder("shared");
  ASSERT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kShared).value());
  EXPECT_FALSE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());  // the holder shares it
  ASSERT_TRUE(holder.Send("done").ok());
  EXPECT_EQ(holder.Wait().value(), 0);
  EXPECT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());  // upgraded
  ASSERT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kShared).ok());         // downgraded
  Child reader = Holder("shared");                                            // shares it again
  ASSERT_TRUE(reader.Send("done").ok());
  EXPECT_EQ(reader.Wait().value(), 0);
}

TEST_F(RangeLockTest, ALockPastTheDataLeavesTheDataUsableThroughOtherHandles) {
  ASSERT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());
  File other = Another();
  const std::string text = "data";
  ASSERT_TRUE(Write(other, {reinterpret_cast<const std::byte*>(text.data()), text.size()}).ok());
  ASSERT_TRUE(Seek(other, 0, 0, 0, false, Whence::kSet).ok());
  std::byte buf[4];
  EXPECT_EQ(Read(other, buf).value(), 4u);
}

TEST_F(RangeLockTest, AnEmptyOrOverflowingRangeIsInvalid) {
  EXPECT_EQ(TryLockRange(file_, 0, 0, RangeLock::kShared).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TryLockRange(file_, ~std::uint64_t{0}, 2, RangeLock::kShared).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnlockRange(file_, 0, 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RangeLockTest, AnInjectedConflictIsARefusalNotAnError) {
  FaultInjector fault(Op::kLockRange, 1, EAGAIN);
  absl::StatusOr<bool> got = TryLockRange(file_, kFar, 1, RangeLock::kExclusive);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(*got);
  EXPECT_EQ(fault.fired(), 1u);
  EXPECT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());  // the 2nd call is real
}

TEST_F(RangeLockTest, AFailedLockOrUnlockIsAnErrorNamingTheFile) {
  {
    FaultInjector fault(Op::kLockRange, 1, EIO);
    absl::StatusOr<bool> got = TryLockRange(file_, kFar, 1, RangeLock::kShared);
    ASSERT_FALSE(got.ok());
    EXPECT_TRUE(HasErrno(got.status(), EIO)) << got.status();
    EXPECT_NE(got.status().message().find(Path("f")), absl::string_view::npos) << got.status();
  }
  ASSERT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kShared).value());
  {
    FaultInjector fault(Op::kLockRange, 1, EIO);
    absl::Status s = UnlockRange(file_, kFar, 1);
    EXPECT_TRUE(HasErrno(s, EIO)) << s;
  }
  ASSERT_TRUE(UnlockRange(file_, kFar, 1).ok());
}

TEST_F(RangeLockTest, AnInterruptedLockIsRetried) {
  FaultInjector fault(FaultRule::Interrupt(Op::kLockRange, 1));
  EXPECT_TRUE(TryLockRange(file_, kFar, 1, RangeLock::kExclusive).value());
}

}  // namespace
}  // namespace osport::os
