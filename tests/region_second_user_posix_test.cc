// Issue 12 with a real second user: the test binary re-run as a helper that
// switches to uid/gid 65534 (`nobody`) when the tests run as root. Without
// root, or as root of a user namespace that has no uid 65534, the tests that
// need the second user say so and skip.
#include <fcntl.h>
#include <grp.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gsl/util"
#include "gtest/gtest.h"
#include "os/error.h"
#include "os/file.h"
#include "os/posix/shm_name.h"
#include "os/trust.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/helper.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kOtherUid = 65534;
constexpr std::uint64_t kSize = 64 * 1024;

void ExpectUntrusted(const absl::Status& s, absl::string_view needle) {
  EXPECT_TRUE(os::IsUntrusted(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), needle)) << "want \"" << needle << "\" in " << s;
}

// Ends a helper: nothing of the test binary's exit path (leak checks,
// sanitizer reports on a process that changed uid) runs.
[[noreturn]] void End(int code) {
  std::fflush(stdout);
  ::_exit(code);
}

// As root: becomes uid/gid 65534, or tells the parent "skip WHY" and ends.
void BecomeOtherUser() {
  if (::geteuid() != 0) return;
  if (::setgroups(0, nullptr) != 0 || ::setgid(kOtherUid) != 0 || ::setuid(kOtherUid) != 0) {
    testing::TellParent(absl::StrCat("skip cannot switch to uid ", kOtherUid, " (errno ", errno, ")"));
    End(0);
  }
}

// As uid 65534 (BecomeOtherUser): a private home of its own made from
// `pattern` (mkdtemp's XXXXXX), or tells the parent "err ..." and ends.
std::string OtherUsersHome(std::string pattern) {
  BecomeOtherUser();
  if (::mkdtemp(pattern.data()) == nullptr) {
    testing::TellParent(absl::StrCat("err mkdtemp errno ", errno));
    End(1);
  }
  return pattern;
}

// Ends a helper telling "ok", or "err WHAT" when `err` says what went wrong.
[[noreturn]] void Report(const std::string& err) {
  testing::TellParent(err.empty() ? std::string("ok") : absl::StrCat("err ", err));
  End(0);
}

RegionOptions HelperOptions(const std::string& home, const std::string& backend, std::uint32_t mode) {
  RegionOptions o;
  o.home = home;
  o.name = "app";
  o.backend = os::ParseBackend(backend).value_or(os::Backend::kFile);
  o.size = kSize;
  o.mode = mode;
  o.create = true;
  return o;
}

// Creates region `app` in root's sticky home args[0] with backend args[1]
// and mode 0666, as uid 65534 (issue 12, F2). Tells "ok ID" (the system id,
// 0 for a file), "skip WHY" or "err STATUS".
OSPORT_TEST_HELPER(RegionCreateAsOtherUser) {
  BecomeOtherUser();
  RegionOptions o = HelperOptions(args[0], args[1], 0666);
  o.trust.allow_sticky_shared_home = true;  // root's sticky directory, like /tmp
  absl::StatusOr<Region> r = Region::Attach(o);
  if (!r.ok()) {
    testing::TellParent(absl::StrCat("err ", r.status().ToString()));
    End(1);
  }
  const std::uint64_t id = r->header().system_id;
  if (!r->Unlock().ok() || !r->Detach().ok()) {
    testing::TellParent("err unlock/detach");
    End(1);
  }
  testing::TellParent(absl::StrCat("ok ", id));
  End(0);
}

// As a user without root's powers (uid 65534 when run by root): creates a
// region of backend args[0] in a home of its own, makes the memory read-only
// for its owner (0400), then stats and force-removes it: neither needs write
// access (region/token.h attaches read-only). Tells "ok", "skip WHY" or
// "err WHAT".
OSPORT_TEST_HELPER(StatAndRemoveReadOnlyMemory) {
  const std::string home = OtherUsersHome("/tmp/osport-read-only-XXXXXX");
  std::string err;
  const RegionOptions o = HelperOptions(home, args[0], 0600);
  absl::StatusOr<Region> r = Region::Attach(o);
  std::uint64_t id = 0;
  if (!r.ok()) {
    err = r.status().ToString();
  } else {
    id = r->header().system_id;
    if (!r->Unlock().ok() || !r->Detach().ok()) err = "unlock/detach";
  }
  if (err.empty() && *o.backend == os::Backend::kSysV) {
    struct shmid_ds ds;
    if (::shmctl(static_cast<int>(id), IPC_STAT, &ds) != 0) err = "IPC_STAT";
    ds.shm_perm.mode = 0400;
    if (err.empty() && ::shmctl(static_cast<int>(id), IPC_SET, &ds) != 0) err = "IPC_SET";
  } else if (err.empty()) {
    const std::string name = os::posix::ShmName(id);
    const int fd = ::shm_open(name.c_str(), O_RDONLY, 0);
    if (fd < 0 || ::fchmod(fd, 0400) != 0) err = absl::StrCat("fchmod errno ", errno);
    if (fd >= 0) ::close(fd);
  }
  if (err.empty()) {
    absl::StatusOr<RegionStat> st = Stat(o);
    if (!st.ok()) {
      err = absl::StrCat("stat: ", st.status().ToString());
    } else if (!st->memory_present || st->system_id != id) {
      err = "stat did not see the memory";
    }
  }
  // Held until the clean-up by id below is done (RegionTest::KeepInode).
  absl::StatusOr<os::File> stub = os::Open(home + "/app", os::kOpenReadOnly);
  absl::Status removed = Remove(o, /*force=*/true).status();
  if (err.empty() && !removed.ok()) err = absl::StrCat("remove --force: ", removed.ToString());
  if (err.empty() && testing::SystemMemoryExists(*o.backend, id)) err = "remove --force left the memory";
  if (id != 0) (void)os::RemoveSystemMemory(*o.backend, id);
  (void)::unlink((home + "/app").c_str());
  (void)::rmdir(home.c_str());
  Report(err);
}

// As uid 65534: creates SysV region `app` in a private home of its own,
// tells "made ID", and at "go" (root has meanwhile removed that segment and
// put one of its own, closed to others, under the same key) attaches `app`
// again: its memory is gone, so it is made again, and the key root's
// segment holds must be skipped, not an error. Tells "ok", "skip WHY" or
// "err WHAT"; removes what it made.
OSPORT_TEST_HELPER(RemakeBesideAClosedSegment) {
  const std::string home = OtherUsersHome("/tmp/osport-closed-key-XXXXXX");
  const RegionOptions o = HelperOptions(home, "sysv", 0600);
  std::string err;
  {
    absl::StatusOr<Region> r = Region::Attach(o);
    if (!r.ok() || !r->Unlock().ok()) {
      err = r.ok() ? "unlock" : r.status().ToString();
    } else {
      testing::TellParent(absl::StrCat("made ", r->header().system_id));
      (void)r->Detach();
    }
  }
  if (err.empty()) {
    (void)testing::ReadParentLine();
    absl::StatusOr<Region> again = Region::Attach(o);
    if (!again.ok()) {
      err = again.status().ToString();
    } else {
      (void)again->Unlock();
      (void)again->Detach();
    }
  }
  (void)Remove(o, /*force=*/true);
  (void)::rmdir(home.c_str());
  Report(err);
}

// As uid 65534: creates POSIX region `app` in a private home of its own,
// tells "made ID HOME", and at "go" (root has meanwhile replaced its memory
// with an object of root's, closed to others, under the same name: what a
// neighbour can plant once a reboot has emptied /dev/shm) stats, attaches
// and force-removes `app`. All three must call the memory untrusted, closed
// to this user (not a bare "permission denied"), and the forced removal must
// remove the caller's own stub and name the memory it left (attacker review
// of 2026-12-02, finding 1). Tells "ok", "skip WHY" or "err WHAT".
OSPORT_TEST_HELPER(ClosedMemoryAtTheRecordedName) {
  const std::string home = OtherUsersHome("/tmp/osport-closed-name-XXXXXX");
  const RegionOptions o = HelperOptions(home, "posix", 0600);
  std::string err;
  {
    absl::StatusOr<Region> r = Region::Attach(o);
    if (!r.ok() || !r->Unlock().ok()) {
      err = r.ok() ? "unlock" : r.status().ToString();
    } else {
      testing::TellParent(absl::StrCat("made ", r->header().system_id, " ", home));
      (void)r->Detach();
    }
  }
  auto closed = [&err](absl::string_view what, const absl::Status& s) {
    if (!err.empty()) return;
    if (!os::IsUntrusted(s) || !absl::StrContains(s.message(), "is closed to this user")) {
      err = absl::StrCat(what, ": ", s.ToString());
    }
  };
  if (err.empty()) {
    (void)testing::ReadParentLine();
    closed("stat", Stat(o).status());
    closed("attach", Region::Attach(o).status());
    const absl::Status removed = Remove(o, /*force=*/true).status();
    closed("remove --force", removed);
    if (err.empty() && !absl::StrContains(removed.message(), "left POSIX shm /osport-")) {
      err = absl::StrCat("remove --force does not name the memory it left: ", removed.ToString());
    }
    if (err.empty() && ::access((home + "/app").c_str(), F_OK) == 0) err = "remove --force kept the stub";
  }
  (void)::unlink((home + "/app").c_str());
  Report(err);
}

// As uid 65534, in root's sticky directory args[0]: `app` there is a file
// of uid 65533 closed to others, `theirs` a home of uid 65533 closed to
// others. Neither can be opened (EACCES); both must be called untrusted,
// naming their owner, not "permission denied" (attacker review of
// 2026-12-02, finding 2), and nothing removed. Tells "ok", "skip WHY" or
// "err WHAT".
OSPORT_TEST_HELPER(ClosedFileAndHomeOfAThirdUser) {
  BecomeOtherUser();
  RegionOptions o = HelperOptions(args[0], "file", 0600);
  o.trust.allow_sticky_shared_home = true;
  std::string err;
  auto theirs = [&err](absl::string_view what, const absl::Status& s) {
    if (!err.empty()) return;
    if (!os::IsUntrusted(s) || !absl::StrContains(s.message(), "uid 65533")) {
      err = absl::StrCat(what, ": ", s.ToString());
    }
  };
  theirs("attach", Region::Attach(o).status());
  theirs("stat", Stat(o).status());
  theirs("remove --force", Remove(o, /*force=*/true).status());
  theirs("remove", Remove(o, /*force=*/false).status());
  // A FIFO of theirs closed to the caller (open: EACCES): what and whose,
  // the verdict a FIFO open to the caller gets (RefuseSpecialFile).
  RegionOptions f = o;
  f.name = "fifo";
  auto their_fifo = [&](absl::string_view what, const absl::Status& s) {
    if (err.empty() && !absl::StrContains(s.message(), "is a FIFO owned by uid 65533")) {
      err = absl::StrCat(what, ": ", s.ToString());
    }
  };
  theirs("attach of their FIFO", Region::Attach(f).status());
  their_fifo("attach of their FIFO", Region::Attach(f).status());
  their_fifo("stat of their FIFO", Stat(f).status());
  their_fifo("remove --force of their FIFO", Remove(f, /*force=*/true).status());
  o.home = args[0] + "/theirs";
  theirs("attach in their home", Region::Attach(o).status());
  theirs("stat in their home", Stat(o).status());
  Report(err);
}

// As uid 65534 (no power over others' files): in a home of its own, `app` is
// an empty file (a dead creator's remnant) that it made read-only (0400),
// with a second name `other`. remove --force must remove the name `app`
// (the read-only retry and OtherLinks::kAllow), not call it untrusted for
// its two links (review of 69f6113), and an attach is denied (EACCES), not
// told the caller's own file is untrusted. Tells "ok", "skip WHY" or "err WHAT".
OSPORT_TEST_HELPER(ForceRemoveAReadOnlyFileWithTwoNames) {
  const std::string home = OtherUsersHome("/tmp/osport-two-names-XXXXXX");
  const std::string app = home + "/app", other = home + "/other";
  std::string err;
  const int fd = ::open(app.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0400);
  if (fd < 0 || ::link(app.c_str(), other.c_str()) != 0) err = absl::StrCat("setup errno ", errno);
  if (fd >= 0) ::close(fd);
  if (err.empty()) {
    // Its own read-only file: a writer is denied, not told it is untrusted.
    const absl::Status a = Region::Attach(HelperOptions(home, "file", 0600)).status();
    if (os::IsUntrusted(a) || !os::HasErrno(a, EACCES)) err = absl::StrCat("attach: ", a.ToString());
  }
  if (err.empty()) {
    const absl::Status s = Remove(HelperOptions(home, "file", 0600), /*force=*/true).status();
    if (!s.ok()) err = absl::StrCat("remove --force: ", s.ToString());
  }
  if (err.empty() && ::access(app.c_str(), F_OK) == 0) err = "the name app is still there";
  if (err.empty() && ::access(other.c_str(), F_OK) != 0) err = "the other name was removed";
  (void)::unlink(app.c_str());
  (void)::unlink(other.c_str());
  (void)::rmdir(home.c_str());
  Report(err);
}

// As uid 65534: os::StatSystemMemory of SysV segment args[0], which root
// made closed to others. Tells "ok", "skip WHY" or "err STATUS".
OSPORT_TEST_HELPER(StatAClosedSegment) {
  BecomeOtherUser();
  const absl::Status s = os::StatSystemMemory(os::Backend::kSysV, std::stoull(args[0])).status();
  const bool closed = os::IsUntrusted(s) && absl::StrContains(s.message(), "is closed to this user");
  testing::TellParent(closed ? std::string("ok") : absl::StrCat("err ", s.ToString()));
  End(0);
}

// The key of SysV segment `id` from /proc/sysvipc/shm (struct ipc_perm
// spells its key field differently on every libc), or -1.
long long SysVKeyOf(std::uint64_t id) {
  std::ifstream in("/proc/sysvipc/shm");
  std::string line;
  std::getline(in, line);  // the column names
  long long key = 0;
  std::uint64_t shmid = 0;
  while (in >> key >> shmid) {
    if (shmid == id) return key;
    std::getline(in, line);
  }
  return -1;
}

class SecondUserTest : public testing::RegionTest {};

// A SysV key derived from a user's stub can be held by another user's
// segment that is closed to it (shmget finds it; IPC_STAT says EACCES):
// making the region's memory must skip that key, not fail (seen when a
// neighbour's segment happened to take a derived key of the second-user
// test above).
TEST_F(SecondUserTest, AKeyAnotherUsersClosedSegmentHoldsIsSkipped) {
  bool has_sysv = false;
  for (os::Backend b : testing::SharedBackends()) has_sysv |= b == os::Backend::kSysV;
  if (!has_sysv) GTEST_SKIP() << "no SysV shared memory in this build";
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to run a child as uid 65534 (the second user); CI runs it as root";
  }
  absl::StatusOr<os::Child> c = testing::StartHelper("RemakeBesideAClosedSegment", {});
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string said = c->ReadLine().value_or("");
  if (absl::StartsWith(said, "skip ")) {
    (void)c->Wait();
    GTEST_SKIP() << "no second user here: " << said.substr(5);
  }
  ASSERT_TRUE(absl::StartsWith(said, "made ")) << said;
  const std::uint64_t id = std::stoull(said.substr(5));
  const long long key = SysVKeyOf(id);
  int mine = -1;
  if (key > 0) {
    ASSERT_EQ(::shmctl(static_cast<int>(id), IPC_RMID, nullptr), 0) << errno;
    mine = ::shmget(static_cast<key_t>(key), kSize, IPC_CREAT | IPC_EXCL | 0600);
  }
  ASSERT_TRUE(c->Send("go").ok());
  const std::string end = c->ReadLine().value_or("");
  (void)c->Wait();
  if (mine >= 0) ::shmctl(mine, IPC_RMID, nullptr);
  if (key <= 0) GTEST_SKIP() << "no /proc/sysvipc/shm to read the segment's key from";
  ASSERT_GE(mine, 0) << "could not take the key: errno " << errno;
  EXPECT_EQ(end, "ok");
}

// F2 with a real second user: uid 65534 creates `app` (mode 0666) in a
// sticky shared directory. Root, allowing the sticky home, must neither join
// it (create-or-join would otherwise return created=false and write into
// memory the other user reads) nor remove its file or memory with --force.
TEST_F(SecondUserTest, ARegionASecondUserMadeInAStickyHomeIsNeitherJoinedNorRemoved) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to run a child as uid 65534 (the second user); CI runs it as root";
  }
  for (os::Backend b : testing::SharedBackends()) {
    SCOPED_TRACE(os::BackendName(b));
    // The scratch home is private to root: the shared directory goes in
    // /tmp, where uid 65534 can reach it, and is removed here as root.
    std::string home = "/tmp/osport-second-user-XXXXXX";
    ASSERT_NE(::mkdtemp(home.data()), nullptr) << errno;
    ASSERT_EQ(::chmod(home.c_str(), 01777), 0);
    absl::StatusOr<os::Child> c =
        testing::StartHelper("RegionCreateAsOtherUser", {home, std::string(os::BackendName(b))});
    ASSERT_TRUE(c.ok()) << c.status();
    const std::string said = c->ReadLine().value_or("");
    (void)c->Wait();
    if (absl::StartsWith(said, "skip ")) {
      fs::remove_all(home);
      GTEST_SKIP() << "no second user here: " << said.substr(5)
                   << " (root of a user namespace without uid 65534?)";
    }
    if (!absl::StartsWith(said, "ok ")) {
      fs::remove_all(home);
      FAIL() << said;
    }
    const std::uint64_t id = std::stoull(said.substr(3));
    const std::string path = home + "/app";
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, kOtherUid);
    EXPECT_EQ(st.st_mode & 07777, 0666u);

    RegionOptions o = HelperOptions(home, std::string(os::BackendName(b)), 0666);
    o.trust.allow_sticky_shared_home = true;
    ExpectUntrusted(Region::Attach(o).status(), "uid 65534");
    ExpectUntrusted(Stat(o).status(), "uid 65534");
    ExpectUntrusted(Remove(o, /*force=*/true).status(), "uid 65534");
    ExpectUntrusted(Remove(o, /*force=*/false).status(), "uid 65534");
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << "the other user's region file was removed";
    if (os::BackendNamed(b)) {
      EXPECT_TRUE(testing::SystemMemoryExists(b, id)) << "the other user's memory was removed";
    }
    // Trusting the other user deliberately is what lets root clean up.
    o.trust.trusted_owners = {absl::StrCat(kOtherUid)};
    EXPECT_TRUE(Stat(o).ok());
    ASSERT_NO_FATAL_FAILURE(KeepInode(path));  // for the clean-up by id below
    EXPECT_TRUE(Remove(o, /*force=*/true).ok());
    if (os::BackendNamed(b)) {
      EXPECT_FALSE(testing::SystemMemoryExists(b, id));
      (void)os::RemoveSystemMemory(b, id);
    }
    fs::remove_all(home);
  }
}

// Stat and remove --force need no write access to the memory: they look
// through a read-only attach (issue 12: "attaching it read-only and
// matching the token"). Run by a user without root's powers over IPC
// objects: uid 65534 when the tests run as root, else the caller itself.
TEST_F(SecondUserTest, StatAndForceRemoveNeedNoWriteAccessToTheMemory) {
  for (os::Backend b : testing::SharedBackends()) {
    if (!os::BackendNamed(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    absl::StatusOr<os::Child> c =
        testing::StartHelper("StatAndRemoveReadOnlyMemory", {std::string(os::BackendName(b))});
    ASSERT_TRUE(c.ok()) << c.status();
    const std::string said = c->ReadLine().value_or("");
    (void)c->Wait();
    if (absl::StartsWith(said, "skip ")) {
      GTEST_SKIP() << "root cannot become a user without root's powers here: " << said.substr(5)
                   << " (root of a user namespace without uid 65534?)";
    }
    EXPECT_EQ(said, "ok");
  }
}

// A file, a FIFO and a home of a third user, closed to the caller:
// untrusted and named, like the same objects left open to it (finding 2 of
// the attacker review of 2026-12-02; the FIFO: the review of 0c91c59).
TEST_F(SecondUserTest, AFileOrHomeClosedToTheCallerIsUntrustedAndNamesItsOwner) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to run a child as uid 65534 (the second user); CI runs it as root";
  }
  std::string base = "/tmp/osport-closed-file-XXXXXX";
  ASSERT_NE(::mkdtemp(base.data()), nullptr) << errno;
  const auto cleanup = gsl::finally([&base] { fs::remove_all(base); });
  ASSERT_EQ(::chmod(base.c_str(), 01777), 0);
  const std::string app = base + "/app", theirs = base + "/theirs", fifo = base + "/fifo";
  const int fd = ::open(app.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  ASSERT_GE(fd, 0) << errno;
  ::close(fd);
  ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << errno;
  for (const std::string& p : {app, theirs, fifo}) {
    if (::chown(p.c_str(), kOtherUid - 1, kOtherUid - 1) != 0) {
      // Root of a user namespace that maps no uid 65533 (the qemu cell).
      ASSERT_EQ(errno, EINVAL) << p;
      GTEST_SKIP() << "cannot give a file to uid 65533 here (a user namespace without it)";
    }
  }
  absl::StatusOr<os::Child> c = testing::StartHelper("ClosedFileAndHomeOfAThirdUser", {base});
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string said = c->ReadLine().value_or("");
  (void)c->Wait();
  const bool kept = fs::exists(app) && fs::is_fifo(fifo);
  if (absl::StartsWith(said, "skip ")) GTEST_SKIP() << "no second user here: " << said.substr(5);
  EXPECT_EQ(said, "ok");
  EXPECT_TRUE(kept) << "the third user's file or FIFO was removed";
}

// A user's own read-only file with a second name: remove --force removes
// this name (the EACCES explanation added for closed files must not call
// its links untrusted when the removal allows them).
TEST_F(SecondUserTest, ForceRemoveOfAnOwnReadOnlyFileWithTwoNamesRemovesThisName) {
  absl::StatusOr<os::Child> c = testing::StartHelper("ForceRemoveAReadOnlyFileWithTwoNames", {});
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string said = c->ReadLine().value_or("");
  (void)c->Wait();
  if (absl::StartsWith(said, "skip ")) GTEST_SKIP() << "no second user here: " << said.substr(5);
  EXPECT_EQ(said, "ok");
}

// Memory closed to the caller where its stub says its memory is (finding 1
// of the attacker review of 2026-12-02): untrusted, named, and no obstacle
// to removing the caller's own stub with --force.
TEST_F(SecondUserTest, MemoryClosedToTheCallerIsUntrustedAndForceRemoveStillFreesItsStub) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to run a child as uid 65534 (the second user); CI runs it as root";
  }
  bool has_posix = false, has_sysv = false;
  for (os::Backend b : testing::SharedBackends()) {
    has_posix |= b == os::Backend::kPosixShm;
    has_sysv |= b == os::Backend::kSysV;
  }
  if (has_sysv) {
    const int id = ::shmget(IPC_PRIVATE, kSize, IPC_CREAT | 0600);
    ASSERT_GE(id, 0) << errno;
    absl::StatusOr<os::Child> c = testing::StartHelper("StatAClosedSegment", {absl::StrCat(id)});
    std::string said = c.ok() ? c->ReadLine().value_or("") : c.status().ToString();
    if (c.ok()) (void)c->Wait();
    ::shmctl(id, IPC_RMID, nullptr);
    if (absl::StartsWith(said, "skip ")) GTEST_SKIP() << "no second user here: " << said.substr(5);
    EXPECT_EQ(said, "ok");
  }
  if (!has_posix) return;
  absl::StatusOr<os::Child> c = testing::StartHelper("ClosedMemoryAtTheRecordedName", {});
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string said = c->ReadLine().value_or("");
  if (absl::StartsWith(said, "skip ")) {
    (void)c->Wait();
    GTEST_SKIP() << "no second user here: " << said.substr(5);
  }
  ASSERT_TRUE(absl::StartsWith(said, "made ")) << said;
  const std::vector<std::string> made = absl::StrSplit(said.substr(5), ' ');
  ASSERT_EQ(made.size(), 2u) << said;
  // The child's remove --force removes its stub; root's object below stays
  // under the stub's derived name until the end. Held, the stub's inode is
  // no other stub's meanwhile, so that name is nobody else's either: root's
  // never-written object once looked like an abandoned creation to a
  // neighbour whose new stub got the inode, which put its region's memory
  // under the name -- and the shm_unlink below removed it.
  ASSERT_NO_FATAL_FAILURE(KeepInode(made[1] + "/app"));
  const std::string name = os::posix::ShmName(std::stoull(made[0]));
  ASSERT_EQ(::shm_unlink(name.c_str()), 0) << errno;
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0) << errno;
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(kSize)), 0);
  ::close(fd);
  ASSERT_TRUE(c->Send("go").ok());
  const std::string end = c->ReadLine().value_or("");
  (void)c->Wait();
  ::shm_unlink(name.c_str());
  fs::remove_all(made[1]);
  EXPECT_EQ(end, "ok");
}

}  // namespace
}  // namespace osport::region
