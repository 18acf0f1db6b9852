// Fork and open-file-description locks (os::ReleaseInForkedChild, os/file.h;
// os::MapFile's own description, os/map.h): a forked child keeps no lock of
// its parent's, neither through an inherited descriptor nor through an
// inherited file mapping. Real fork()s; POSIX only. Where range locks belong
// to the process (classic fcntl locks: not inherited by fork), there is
// nothing to release and the tests skip.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/map.h"
#include "os/posix/fork_release.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;
constexpr std::uint64_t kByte = 100;  // the range-locked byte

class ForkReleaseTest : public testing::ResourceTest {
 protected:
  void SetUp() override {
    ResourceTest::SetUp();
    if (!RangeLocksPerOpenFile()) GTEST_SKIP() << "range locks belong to the process here: fork inherits none";
  }
  File Make(const std::string& name) {
    File f = Open(Path(name), kOpenCreate | kOpenExclusive, 0600).value();
    EXPECT_TRUE(Allocate(f, 0, kSize).ok());
    return f;
  }
  // Whether a second open file of `name` gets the exclusive lock on kByte now.
  bool FreeNow(const std::string& name) {
    File other = Open(Path(name), 0).value();
    const bool got = TryLockRange(other, kByte, 1, RangeLock::kExclusive).value_or(false);
    EXPECT_TRUE(other.Close().ok());
    return got;
  }
};

// A forked child that blocks until told, so it outlives what the parent does.
// The constructor returns once the child runs (its atfork handlers have run:
// until then it still shares every description).
class BlockedChild {
 public:
  BlockedChild() {
    if (::pipe(go_) != 0 || ::pipe(ready_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(go_[1]);
      ::close(ready_[0]);
      (void)!::write(ready_[1], "r", 1);
      char c;
      while (::read(go_[0], &c, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    ::close(go_[0]);
    ::close(ready_[1]);
    char c;
    ssize_t n;
    do {
      n = ::read(ready_[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    ::close(ready_[0]);
    if (n != 1) pid_ = -1;
  }
  ~BlockedChild() {
    ::close(go_[1]);  // end of input: the child exits
    int status = 0;
    if (pid_ > 0) (void)::waitpid(pid_, &status, 0);
  }
  BlockedChild(const BlockedChild&) = delete;
  BlockedChild& operator=(const BlockedChild&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  int go_[2] = {-1, -1};
  int ready_[2] = {-1, -1};
  pid_t pid_ = -1;
};

TEST_F(ForkReleaseTest, AChildKeepsNoLockThroughAnInheritedDescriptor) {
  enum How { kNot, kMarked, kOpenedMarked };
  for (How how : {kNot, kMarked, kOpenedMarked}) {
    const bool release = how != kNot;
    SCOPED_TRACE(how == kNot      ? "not registered (the limit it removes)"
                 : how == kMarked ? "ReleaseInForkedChild"
                                  : "opened with kOpenReleaseInForkedChild");
    File f = Make("d");
    if (how == kMarked) ReleaseInForkedChild(f);
    if (how == kOpenedMarked) {
      ASSERT_TRUE(f.Close().ok());
      f = Open(Path("d"), kOpenReleaseInForkedChild).value();
    }
    ASSERT_TRUE(TryLockRange(f, kByte, 1, RangeLock::kExclusive).value());
    BlockedChild child;
    ASSERT_TRUE(child.started());
    ASSERT_TRUE(f.Close().ok());  // the parent's last use of the lock
    // Registered: the child's copy points elsewhere, the lock died with the
    // parent's descriptor. Not registered: the child's copy keeps it.
    EXPECT_EQ(FreeNow("d"), release);
    ASSERT_TRUE(Unlink(Path("d")).ok());
  }
}

TEST_F(ForkReleaseTest, AChildKeepsNoLockThroughAnInheritedFileMapping) {
  File f = Make("m");
  ReleaseInForkedChild(f);
  ASSERT_TRUE(TryLockRange(f, kByte, 1, RangeLock::kExclusive).value());
  absl::StatusOr<Mapping> m = MapFile(f, kSize);
  ASSERT_TRUE(m.ok()) << m.status();
  static_cast<char*>(m->data())[7] = 'p';
  {
    BlockedChild child;  // inherits the descriptor and the mapping
    ASSERT_TRUE(child.started());
    ASSERT_TRUE(f.Close().ok());
    // Where /proc reopens the file, the mapping has a description of its
    // own, which holds no lock; without /proc it maps through f's (the
    // documented caveat).
    EXPECT_EQ(FreeNow("m"), config::kProcessStartStamps);
  }
  // The mapping is the file's all the same.
  File again = Open(Path("m"), 0).value();
  char c = 0;
  ASSERT_EQ(ReadAt(again, 7, gsl::span<std::byte>(reinterpret_cast<std::byte*>(&c), 1)).value(), 1u);
  EXPECT_EQ(c, 'p');
  ASSERT_TRUE(again.Close().ok());
  ASSERT_TRUE(m->Unmap().ok());
  ASSERT_TRUE(Unlink(Path("m")).ok());
}

TEST_F(ForkReleaseTest, MapFileSaysWhyItCannotOpenTheMappingsOwnFile) {
  if (!config::kProcessStartStamps) GTEST_SKIP() << "no /proc: MapFile maps through the caller's descriptor";
  File f = Make("e");
  {
    FaultInjector fail(Op::kOpen, 1, EMFILE);
    absl::StatusOr<Mapping> m = MapFile(f, kSize);
    ASSERT_FALSE(m.ok());
    EXPECT_TRUE(HasErrno(m.status(), EMFILE)) << m.status();
    EXPECT_NE(m.status().message().find("/proc/self/fd/"), absl::string_view::npos) << m.status();
    EXPECT_EQ(fail.fired(), 1u);
  }
  {
    // Interrupted: opened again.
    FaultInjector interrupted(FaultRule::Interrupt(Op::kOpen, 1));
    absl::StatusOr<Mapping> m = MapFile(f, kSize);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(interrupted.fired(), 1u);
    EXPECT_EQ(interrupted.calls(Op::kOpen), 2u);
    ASSERT_TRUE(m->Unmap().ok());
  }
  {
    // No /proc (ENOENT): mapped through f itself, as the header says.
    FaultInjector gone(Op::kOpen, 1, ENOENT);
    absl::StatusOr<Mapping> m = MapFile(f, kSize);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(gone.fired(), 1u);
    EXPECT_EQ(gone.calls(Op::kMap), 1u);
    ASSERT_TRUE(m->Unmap().ok());
  }
  ASSERT_TRUE(f.Close().ok());
  ASSERT_TRUE(Unlink(Path("e")).ok());
}

bool IsDevNull(int fd) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

int FailToOpen() {
  errno = EMFILE;
  return -1;
}

// The child handler's work, called here directly (it uses raw calls, not the
// hook table, so its failure is given to it instead of injected).
TEST(PointAtPlaceholderTest, PointsEachAtDevNullCloseOnExecOrClosesItWithoutOne) {
  int fds[2] = {::open("/dev/zero", O_RDONLY | O_CLOEXEC), ::open("/dev/zero", O_RDONLY | O_CLOEXEC)};
  ASSERT_GE(fds[0], 0);
  ASSERT_GE(fds[1], 0);
  posix::PointAtPlaceholder(fds, 2, [] { return ::open("/dev/null", O_RDWR | O_CLOEXEC); });
  for (int fd : fds) {
    EXPECT_TRUE(IsDevNull(fd));
    EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  }
  // Out of descriptors once: the first number makes room, and is taken again.
  static int calls = 0;
  calls = 0;
  posix::PointAtPlaceholder(fds, 2, [] { return ++calls == 1 ? FailToOpen() : ::open("/dev/null", O_RDWR | O_CLOEXEC); });
  EXPECT_EQ(calls, 2);
  for (int fd : fds) EXPECT_TRUE(IsDevNull(fd));
  posix::PointAtPlaceholder(fds, 2, &FailToOpen);
  for (int fd : fds) {
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
    EXPECT_EQ(errno, EBADF);  // closed: no lock may outlive the parent
  }
}

}  // namespace
}  // namespace osport::os
