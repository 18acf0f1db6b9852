// The trust boundary (issue 12) on POSIX: each finding of the security review
// that lives in the os layer, through real files, FIFOs, links, processes and
// a second user, plus the exact modes of everything created under a umask.
#include <fcntl.h>
#include <grp.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/map.h"
#include "os/posix/shm_name.h"
#include "os/trust.h"
#include "tests/support/helper.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

// The unprivileged user the second-user tests switch to.
constexpr uid_t kOtherUid = 65534;
constexpr gid_t kOtherGid = 65534;

// Helper: becomes kOtherUid, then makes one object as that user and prints
// its id. args: kind (file|dir|sysv|posix), path or shm id (hex), mode (octal).
OSPORT_TEST_HELPER(CreateAsOtherUser) {
  if (args.size() != 3) return 90;
  const mode_t mode = static_cast<mode_t>(std::strtoul(args[2].c_str(), nullptr, 8));
  if (::setgroups(0, nullptr) != 0 || ::setgid(kOtherGid) != 0 || ::setuid(kOtherUid) != 0) return 91;
  ::umask(0);
  const std::string& kind = args[0];
  if (kind == "file") {
    const int fd = ::open(args[1].c_str(), O_RDWR | O_CREAT | O_EXCL, mode);
    if (fd < 0 || ::ftruncate(fd, 4096) != 0) return 92;
    ::close(fd);
  } else if (kind == "dir") {
    if (::mkdir(args[1].c_str(), 0700) != 0 || ::chmod(args[1].c_str(), mode) != 0) return 93;
  } else if (kind == "sysv") {
    const int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | static_cast<int>(mode));
    if (id < 0) return 94;
    testing::TellParent(absl::StrCat(id));
  } else if (kind == "posix") {
    std::uint64_t id = 0;
    if (!absl::SimpleHexAtoi(args[1], &id)) return 95;
    const int fd = ::shm_open(posix::ShmName(id).c_str(), O_RDWR | O_CREAT | O_EXCL, mode);
    if (fd < 0 || ::ftruncate(fd, 4096) != 0) return 96;
    ::close(fd);
  } else {
    return 97;
  }
  return 0;
}

void ExpectUntrusted(const absl::Status& s, absl::string_view needle, int err = EACCES) {
  EXPECT_TRUE(IsUntrusted(s)) << s;
  EXPECT_EQ(ErrnoOf(s), err) << s;
  EXPECT_NE(s.message().find(needle), absl::string_view::npos) << "want \"" << needle << "\" in " << s;
}

class TrustPosixTest : public testing::ResourceTest {
 protected:
  Dir OpenHome(const TrustPolicy& policy = {}) {
    absl::StatusOr<Dir> d = OpenTrustedHome(dir(), policy);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(*d) : Dir();
  }
  // Runs CreateAsOtherUser; returns its output line.
  std::string AsOtherUser(const std::string& kind, const std::string& what, const std::string& mode) {
    absl::StatusOr<Child> c = testing::StartHelper("CreateAsOtherUser", {kind, what, mode});
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return "";
    std::string line = (kind == "sysv") ? c->ReadLine().value_or("") : "";
    EXPECT_EQ(c->Wait().value_or(-1), 0) << kind << " " << what;
    return line;
  }
  // Second-user tests need a root that can become uid 65534: not every root
  // can (a user namespace that maps only uid 0, as the aarch64 cell's qemu
  // wrapper runs the suite in). A child tries it.
  static bool CanSwitchUser() {
    if (::geteuid() != 0) return false;
    const pid_t pid = ::fork();
    if (pid == 0) {
      const bool ok = ::setgroups(0, nullptr) == 0 && ::setgid(kOtherGid) == 0 && ::setuid(kOtherUid) == 0;
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
};

#define REQUIRE_ROOT()                                                                     \
  do {                                                                                     \
    if (!CanSwitchUser()) {                                                                \
      GTEST_SKIP() << "needs a root that can become uid 65534 (a child plays the other " \
                      "user); CI runs it as root, outside user namespaces but the aarch64 one"; \
    }                                                                                      \
  } while (0)

// --- F3: symbolic links in the home's path ------------------------------------

class SymlinkHomeTest : public TrustPosixTest, public ::testing::WithParamInterface<bool> {
 protected:
  // With the parameter set (and openat2 built in), the first open -- the
  // openat2 -- says ENOSYS, so the component walk runs instead.
  absl::StatusOr<Dir> Open(const std::string& path) {
    if (GetParam() && config::kHaveOpenat2) {
      FaultInjector fault(Op::kOpen, 1, ENOSYS);
      absl::StatusOr<Dir> d = OpenTrustedHome(path, {});
      EXPECT_EQ(fault.fired(), 1u);
      return d;
    }
    return OpenTrustedHome(path, {});
  }
};

TEST_P(SymlinkHomeTest, PlainPathOpensTheRightDirectory) {
  ASSERT_EQ(::mkdir(Path("real").c_str(), 0700), 0);
  absl::StatusOr<Dir> d = Open(Path("real"));
  ASSERT_TRUE(d.ok()) << d.status();
  struct stat want;
  ASSERT_EQ(::stat(Path("real").c_str(), &want), 0);
  absl::StatusOr<FileInfo> got = StatDir(*d);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->inode, static_cast<std::uint64_t>(want.st_ino));
  EXPECT_TRUE(d->Close().ok());
  ::rmdir(Path("real").c_str());
}

TEST_P(SymlinkHomeTest, SymlinkAsTheLastComponentIsRefused) {
  ASSERT_EQ(::mkdir(Path("real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(Path("real").c_str(), Path("apphome").c_str()), 0);
  ExpectUntrusted(Open(Path("apphome")).status(), "symbolic link", ELOOP);
  ::unlink(Path("apphome").c_str());
  ::rmdir(Path("real").c_str());
}

TEST_P(SymlinkHomeTest, SymlinkInAMiddleComponentIsRefused) {
  ASSERT_EQ(::mkdir(Path("real").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(Path("real/sub").c_str(), 0700), 0);
  ASSERT_EQ(::symlink("real", Path("link").c_str()), 0);
  ExpectUntrusted(Open(Path("link/sub")).status(), "symbolic link", ELOOP);
  ::unlink(Path("link").c_str());
  ::rmdir(Path("real/sub").c_str());
  ::rmdir(Path("real").c_str());
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, SymlinkHomeTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "Walk" : "Default";
                         });

// --- F4: a FIFO never hangs; links and special files --------------------------

TEST_F(TrustPosixTest, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(Path("r").c_str(), 0600), 0);
  Dir d = OpenHome();
  // A blocking open of a FIFO with no writer would never return.
  ExpectUntrusted(OpenTrusted(d, "r", kOpenReadOnly, 0600, {}).status(), "is a FIFO");
  ExpectUntrusted(OpenTrusted(d, "r", 0, 0600, {}).status(), "is a FIFO");
  ::unlink(Path("r").c_str());
}

TEST_F(TrustPosixTest, SymlinkAtTheFileIsRefused) {
  ASSERT_EQ(::symlink("/etc/passwd", Path("r").c_str()), 0);
  Dir d = OpenHome();
  ExpectUntrusted(OpenTrusted(d, "r", kOpenReadOnly, 0600, {}).status(), "symbolic link", ELOOP);
  EXPECT_EQ(StatAt(d, "r").value().type, FileType::kSymlink);
  ::unlink(Path("r").c_str());
}

TEST_F(TrustPosixTest, GroupOrOtherWritableFilesAreRefused) {
  Dir d = OpenHome();
  for (std::uint32_t mode : {0666u, 0660u, 0602u}) {
    absl::StatusOr<File> f = OpenAt(d, "r", kOpenCreate | kOpenExclusive, mode);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE(f->Close().ok());
    ExpectUntrusted(OpenTrusted(d, "r", 0, 0600, {}).status(), "beyond the 0600");
    absl::StatusOr<File> ok = OpenTrusted(d, "r", 0, mode, {});
    EXPECT_TRUE(ok.ok()) << ok.status();
    ASSERT_TRUE(UnlinkAt(d, "r").ok());
  }
}

// --- homes others can write ------------------------------------------------------

TEST_F(TrustPosixTest, StickyHomeNeedsTheAllowance) {
  ASSERT_EQ(::chmod(dir().c_str(), 01777), 0);
  ExpectUntrusted(OpenTrustedHome(dir(), {}).status(), "mode 1777");
  TrustPolicy allow;
  allow.allow_sticky_shared_home = true;
  EXPECT_TRUE(OpenTrustedHome(dir(), allow).ok());
  ASSERT_EQ(::chmod(dir().c_str(), 0777), 0);
  ExpectUntrusted(OpenTrustedHome(dir(), allow).status(), "mode 0777");
  ASSERT_EQ(::chmod(dir().c_str(), 0700), 0);
}

// --- F2: another user's region, home and memory ----------------------------------

TEST_F(TrustPosixTest, AnotherUsersRegionFileIsRefused) {
  REQUIRE_ROOT();
  ASSERT_EQ(::chmod(dir().c_str(), 01777), 0);  // a shared sticky directory
  AsOtherUser("file", Path("app"), "0666");
  TrustPolicy policy;
  policy.allow_sticky_shared_home = true;
  Dir d = OpenHome(policy);
  ExpectUntrusted(OpenTrusted(d, "app", 0, 0666, policy).status(), "uid 65534");
  // Trusting that owner explicitly admits it (with the mode asked for).
  policy.trusted_owners = {"65534"};
  absl::StatusOr<File> f = OpenTrusted(d, "app", 0, 0666, policy);
  EXPECT_TRUE(f.ok()) << f.status();
  if (f.ok()) {
    EXPECT_TRUE(f->Close().ok());
  }
  ASSERT_TRUE(UnlinkAt(d, "app").ok());
  ASSERT_EQ(::chmod(dir().c_str(), 0700), 0);
}

TEST_F(TrustPosixTest, AHomeAnotherUserOwnsIsRefused) {
  REQUIRE_ROOT();
  ASSERT_EQ(::chmod(dir().c_str(), 01777), 0);  // the other user makes directories in it
  // Writable by the owner only, but that owner is someone else.
  AsOtherUser("dir", Path("theirs"), "0755");
  ExpectUntrusted(OpenTrustedHome(Path("theirs"), {}).status(), "owned by uid 65534");
  TrustPolicy allow;
  allow.allow_sticky_shared_home = true;
  ExpectUntrusted(OpenTrustedHome(Path("theirs"), allow).status(), "owned by uid 65534");
  // Their sticky directory is refused even when sticky homes are allowed:
  // its owner can rename and replace anything in it. Trusting that owner
  // accepts it.
  AsOtherUser("dir", Path("shared"), "1777");
  ExpectUntrusted(OpenTrustedHome(Path("shared"), {}).status(), "owned by uid 65534");
  ExpectUntrusted(OpenTrustedHome(Path("shared"), allow).status(), "its owner can replace any file in it");
  allow.trusted_owners = {"65534"};
  EXPECT_TRUE(OpenTrustedHome(Path("shared"), allow).ok());
  ::rmdir(Path("theirs").c_str());
  ::rmdir(Path("shared").c_str());
  ASSERT_EQ(::chmod(dir().c_str(), 0700), 0);
}

// --- the directories above a home -----------------------------------------------

// Review 9: a home inside a directory another user owns was accepted, and
// that user swapped two of the caller's homes by renaming them (a `remove`
// then removed the other home's region). Every directory above the home is
// checked, up to "/", on the open descriptor.
TEST_F(TrustPosixTest, AHomeInsideADirectoryAnotherUserOwnsIsRefused) {
  REQUIRE_ROOT();
  ASSERT_EQ(::chmod(dir().c_str(), 01777), 0);  // the other user makes a directory in it
  AsOtherUser("dir", Path("swap"), "0755");
  ASSERT_EQ(::mkdir(Path("swap/prod").c_str(), 0700), 0);  // ours, in theirs
  ASSERT_EQ(::mkdir(Path("swap/prod/deeper").c_str(), 0700), 0);
  for (const std::string& home : {Path("swap/prod"), Path("swap/prod/deeper")}) {
    const absl::Status s = OpenTrustedHome(home, {}).status();
    ExpectUntrusted(s, "owned by uid 65534");
    EXPECT_NE(s.message().find(absl::StrCat("is inside \"", Path("swap"), "\"")), absl::string_view::npos) << s;
    EXPECT_NE(s.message().find("can rename the home"), absl::string_view::npos) << s;
  }
  // Relative to the working directory, the same (".." past the path's own
  // components).
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir(Path("swap/prod").c_str()), 0);
  ExpectUntrusted(OpenTrustedHome("deeper", {}).status(), "owned by uid 65534");
  ExpectUntrusted(OpenTrustedHome(".", {}).status(), "owned by uid 65534");
  ASSERT_EQ(::chdir(cwd), 0);
  TrustPolicy trust;
  trust.trusted_owners = {"65534"};
  EXPECT_TRUE(OpenTrustedHome(Path("swap/prod/deeper"), trust).ok());
  ::rmdir(Path("swap/prod/deeper").c_str());
  ::rmdir(Path("swap/prod").c_str());
  ::rmdir(Path("swap").c_str());
  ASSERT_EQ(::chmod(dir().c_str(), 0700), 0);
}

TEST_F(TrustPosixTest, AHomeInsideADirectoryOthersCanWriteIsRefusedUnlessSticky) {
  ASSERT_EQ(::mkdir(Path("pub").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(Path("pub/h").c_str(), 0700), 0);
  for (mode_t mode : {mode_t{0777}, mode_t{0770}, mode_t{0702}}) {
    ASSERT_EQ(::chmod(Path("pub").c_str(), mode), 0);
    const absl::Status s = OpenTrustedHome(Path("pub/h"), {}).status();
    ExpectUntrusted(s, absl::StrFormat("mode %04o, not sticky", mode));
    EXPECT_NE(s.message().find(absl::StrCat("\"", Path("pub/h"), "\" is inside \"", Path("pub"), "\"")),
              absl::string_view::npos)
        << s;
    TrustPolicy allow;  // about the home itself, not what is above it
    allow.allow_sticky_shared_home = true;
    ExpectUntrusted(OpenTrustedHome(Path("pub/h"), allow).status(), "not sticky");
  }
  // Sticky, like /tmp: nobody but an entry's owner (and root, and the
  // directory's trusted owner) renames it. No allowance needed.
  ASSERT_EQ(::chmod(Path("pub").c_str(), 01777), 0);
  absl::StatusOr<Dir> d = OpenTrustedHome(Path("pub/h"), {});
  EXPECT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(::chmod(Path("pub").c_str(), 0755), 0);
  EXPECT_TRUE(OpenTrustedHome(Path("pub/h"), {}).ok());
  ::rmdir(Path("pub/h").c_str());
  ::rmdir(Path("pub").c_str());
}

// Every directory up to "/" is looked at, each with one fstatat; a failure
// of any of them fails the open, naming the call and the directory.
TEST_F(TrustPosixTest, EveryStatOfTheDirectoriesAboveAHomeCanFail) {
  ASSERT_EQ(::mkdir(Path("a").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(Path("a/b").c_str(), 0700), 0);
  const std::string home = Path("a/b");
  // The directories above it, "/" included.
  const std::size_t depth = std::vector<std::string>(absl::StrSplit(home, '/', absl::SkipEmpty())).size();
  std::size_t failed = 0;
  for (std::uint64_t nth = 1;; ++nth) {
    FaultInjector fault(Op::kStat, nth, EIO);
    const absl::Status s = OpenTrustedHome(home, {}).status();
    if (fault.fired() == 0) {
      EXPECT_TRUE(s.ok()) << s;
      break;
    }
    ++failed;
    EXPECT_FALSE(s.ok()) << "stat " << nth << " failed unnoticed";
    EXPECT_EQ(ErrnoOf(s), EIO) << s;
    EXPECT_NE(s.message().find("fstat"), absl::string_view::npos) << s;
  }
  // The home's fstat (StatAncestors compares with it: no second one), one
  // fstatat per directory above it, and one more that finds "/" its own
  // parent.
  EXPECT_EQ(failed, 2 + depth) << home;
  ::rmdir(Path("a/b").c_str());
  ::rmdir(Path("a").c_str());
}

TEST_F(TrustPosixTest, AnotherUsersSysVSegmentIsRefused) {
  REQUIRE_ROOT();
  int id = -1;
  ASSERT_TRUE(absl::SimpleAtoi(AsOtherUser("sysv", "-", "0666"), &id));
  const absl::Status s = CheckTrustedSystemMemory(Backend::kSysV, static_cast<std::uint64_t>(id), 0666, {});
  ExpectUntrusted(s, "uid 65534");
  TrustPolicy policy;
  policy.trusted_owners = {"65534"};
  EXPECT_TRUE(CheckTrustedSystemMemory(Backend::kSysV, static_cast<std::uint64_t>(id), 0666, policy).ok());
  // Handing the segment to the caller (IPC_SET) does not launder the creator.
  struct shmid_ds ds;
  ASSERT_EQ(::shmctl(id, IPC_STAT, &ds), 0);
  ds.shm_perm.uid = ::geteuid();
  ASSERT_EQ(::shmctl(id, IPC_SET, &ds), 0);
  ExpectUntrusted(CheckTrustedSystemMemory(Backend::kSysV, static_cast<std::uint64_t>(id), 0666, {}),
                  "created by uid 65534");
  ASSERT_EQ(::shmctl(id, IPC_RMID, nullptr), 0);
}

TEST_F(TrustPosixTest, AnotherUsersPosixShmIsRefused) {
  REQUIRE_ROOT();
  std::random_device rd;
  const std::uint64_t id = (std::uint64_t{rd()} << 32 | rd()) | 1;
  AsOtherUser("posix", absl::StrCat(absl::Hex(id)), "0666");
  ExpectUntrusted(CheckTrustedSystemMemory(Backend::kPosixShm, id, 0666, {}), "uid 65534");
  ASSERT_EQ(::shm_unlink(posix::ShmName(id).c_str()), 0);
  // Gone memory is reported as gone, not as trusted.
  EXPECT_EQ(ErrnoOf(CheckTrustedSystemMemory(Backend::kPosixShm, id, 0666, {})), EAGAIN);
}

// --- exact modes whatever the umask ----------------------------------------------

class ModeTest : public TrustPosixTest,
                 public ::testing::WithParamInterface<std::tuple<mode_t, std::uint32_t>> {
 protected:
  void SetUp() override {
    TrustPosixTest::SetUp();
    saved_ = ::umask(std::get<0>(GetParam()));
  }
  void TearDown() override {
    ::umask(saved_);
    TrustPosixTest::TearDown();
  }
  std::uint32_t mode() const { return std::get<1>(GetParam()); }
  mode_t saved_ = 0;
};

TEST_P(ModeTest, FilesGetTheExactMode) {
  absl::StatusOr<File> f = Open(Path("open"), kOpenCreate | kOpenExclusive, mode());
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->Close().ok());
  Dir d = OpenHome();
  absl::StatusOr<File> g = OpenAt(d, "openat", kOpenCreate | kOpenExclusive, mode());
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE(g->Close().ok());
  for (const char* name : {"open", "openat"}) {
    struct stat st;
    ASSERT_EQ(::stat(Path(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode()) << name;
    ASSERT_TRUE(UnlinkAt(d, name).ok());
  }
}

TEST_P(ModeTest, SystemMemoryGetsTheExactMode) {
  Dir d = OpenHome();
  absl::StatusOr<File> stub = OpenAt(d, "stub", kOpenCreate | kOpenExclusive, 0600);
  ASSERT_TRUE(stub.ok()) << stub.status();
  for (Backend b : {Backend::kSysV, Backend::kPosixShm}) {
    absl::StatusOr<Mapping> m = CreateSystemMemory(b, *stub, 4096, mode());
    ASSERT_TRUE(m.ok()) << m.status();
    const std::uint64_t id = m->system_id();
    std::uint32_t got = 0;
    if (b == Backend::kSysV) {
      struct shmid_ds ds;
      ASSERT_EQ(::shmctl(static_cast<int>(id), IPC_STAT, &ds), 0);
      got = ds.shm_perm.mode & 0777;
    } else {
      const int fd = ::shm_open(posix::ShmName(id).c_str(), O_RDONLY, 0);
      ASSERT_GE(fd, 0);
      struct stat st;
      ASSERT_EQ(::fstat(fd, &st), 0);
      ::close(fd);
      got = st.st_mode & 07777;
    }
    EXPECT_EQ(got, mode()) << BackendName(b);
    // The memory is the caller's: trusted at its own mode, not at a narrower one.
    EXPECT_TRUE(CheckTrustedSystemMemory(b, id, mode(), {}).ok()) << BackendName(b);
    ExpectUntrusted(CheckTrustedSystemMemory(b, id, 0600, {}), "beyond the 0600");
    ASSERT_TRUE(m->Unmap().ok());
    ASSERT_TRUE(RemoveSystemMemory(b, id).ok());
  }
  ASSERT_TRUE(stub->Close().ok());
  ASSERT_TRUE(UnlinkAt(d, "stub").ok());
}

// Derived names never overlap between stubs: a clean-up of one stub's
// abandoned names (RemoveSystemMemoryOf, also run by a create that finds its
// name taken) must not take memory a creator of a NEIGHBOURING stub is still
// making (unattached-looking and all zero, as POSIX shm is until the header
// is written). Stubs made one after another get nearby inodes; candidates
// used to be Mix(dev hash ^ inode + i), shared by every stub in an aligned
// block of 8 inodes, and the intermittent "memory is gone" and shmat EINVAL
// failures of issue 11's crash tests came from exactly this.
TEST_F(TrustPosixTest, AStubsCleanUpNeverTakesANeighboursNewMemory) {
  Dir d = OpenHome();
  constexpr int kStubs = 16;
  std::vector<File> stubs;
  for (int k = 0; k < kStubs; ++k) {
    absl::StatusOr<File> f = OpenAt(d, absl::StrCat("s", k), kOpenCreate | kOpenExclusive, 0600);
    ASSERT_TRUE(f.ok()) << f.status();
    stubs.push_back(std::move(*f));
  }
  // Odd stubs: memory being made (mapped, never written). Even stubs: their
  // clean-up runs.
  std::vector<Mapping> made;
  for (int k = 1; k < kStubs; k += 2) {
    absl::StatusOr<Mapping> m = CreateSystemMemory(Backend::kPosixShm, stubs[static_cast<std::size_t>(k)], 4096, 0600);
    ASSERT_TRUE(m.ok()) << m.status();
    made.push_back(std::move(*m));
  }
  for (int k = 0; k < kStubs; k += 2) {
    ASSERT_TRUE(RemoveSystemMemoryOf(Backend::kPosixShm, stubs[static_cast<std::size_t>(k)]).ok());
  }
  int taken = 0;
  for (Mapping& m : made) {
    const int fd = ::shm_open(posix::ShmName(m.system_id()).c_str(), O_RDONLY, 0);
    if (fd >= 0) {
      ::close(fd);
    } else {
      ++taken;
    }
    ASSERT_TRUE(m.Unmap().ok());
    ASSERT_TRUE(RemoveSystemMemory(Backend::kPosixShm, m.system_id()).ok());
  }
  EXPECT_EQ(taken, 0) << "of " << made.size() << " new objects, removed by a neighbouring stub's clean-up";
  for (int k = 0; k < kStubs; ++k) {
    ASSERT_TRUE(stubs[static_cast<std::size_t>(k)].Close().ok());
    ASSERT_TRUE(UnlinkAt(d, absl::StrCat("s", k)).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(
    UmaskStrips, ModeTest,
    ::testing::Combine(::testing::Values(mode_t{022}, mode_t{077}), ::testing::Values(0666u, 0660u)),
    [](const ::testing::TestParamInfo<std::tuple<mode_t, std::uint32_t>>& i) {
      return absl::StrCat("umask0", absl::Dec(std::get<0>(i.param)), "_mode0",
                          absl::Dec(std::get<1>(i.param)));
    });

}  // namespace
}  // namespace osport::os
