// A stub whose recorded memory id names memory that is not under the stub's
// derived names (review 10, F1): SysV ids restart at 0 after a reboot or in a
// new IPC namespace while the stub stays on disk, so the next segment the
// same user makes takes the recorded id; a stub others may write can also be
// edited to name any id. That memory -- never written by osport, so nothing
// in it says whose it is -- used to be taken for the stub's abandoned
// creation: every command (attach, create, stat's recover advice, remove,
// remove --force) removed the user's unrelated segment.
//
// Now memory is the stub's only under a name derived from the stub
// (os::AttachSystemMemory): the unrelated memory is neither used nor
// removed; the stub's memory is gone (the reboot case) and the region is
// made again, or, when memory bound to the stub still exists under its
// names (the edited-stub case), the stub is corrupt and remove --force takes
// the stub and that memory. POSIX: the unrelated memory is made with
// shmget(IPC_PRIVATE) and shm_open here, as another program would.
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/file.h"
#include "os/map.h"
#include "os/posix/shm_name.h"
#include "region/errors.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;
constexpr char kPrecious[] = "PRECIOUS";

// Memory of backend `b` made the way a program that knows nothing of osport
// makes it: zero but for kPrecious at offset 0 and at 300 (so osport's magic
// and token fields stay zero: "never written" by osport's reading). Returns
// its id, 0 on failure (the test then fails).
std::uint64_t MakeUnrelated(os::Backend b) {
  if (b == os::Backend::kSysV) {
    const int id = ::shmget(IPC_PRIVATE, kSize, IPC_CREAT | 0600);
    if (id < 0) return 0;
    void* p = ::shmat(id, nullptr, 0);
    if (p == reinterpret_cast<void*>(-1)) {
      ::shmctl(id, IPC_RMID, nullptr);
      return 0;
    }
    std::memcpy(p, kPrecious, sizeof kPrecious);
    std::memcpy(static_cast<char*>(p) + 300, kPrecious, sizeof kPrecious);
    ::shmdt(p);
    // id 0 is a valid SysV id; offset it so 0 can mean failure here.
    return static_cast<std::uint64_t>(id) + 1;
  }
  // An id no stub derives (the odds of a clash are 8 in 2^63).
  const std::uint64_t id = 0x0123456789abcdefULL ^ static_cast<std::uint64_t>(::getpid());
  const int fd = ::shm_open(os::posix::ShmName(id).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return 0;
  void* p = MAP_FAILED;
  if (::ftruncate(fd, kSize) == 0) p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    ::shm_unlink(os::posix::ShmName(id).c_str());
    return 0;
  }
  std::memcpy(p, kPrecious, sizeof kPrecious);
  std::memcpy(static_cast<char*>(p) + 300, kPrecious, sizeof kPrecious);
  ::munmap(p, kSize);
  return id;
}

std::uint64_t IdOf(os::Backend b, std::uint64_t made) { return b == os::Backend::kSysV ? made - 1 : made; }

// Whether the unrelated memory still exists and still holds its bytes.
bool Intact(os::Backend b, std::uint64_t id) {
  void* p = nullptr;
  int fd = -1;
  if (b == os::Backend::kSysV) {
    p = ::shmat(static_cast<int>(id), nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) return false;
  } else {
    fd = ::shm_open(os::posix::ShmName(id).c_str(), O_RDONLY, 0);
    if (fd < 0) return false;
    p = ::mmap(nullptr, kSize, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return false;
  }
  const bool same = std::memcmp(p, kPrecious, sizeof kPrecious) == 0 &&
                    std::memcmp(static_cast<char*>(p) + 300, kPrecious, sizeof kPrecious) == 0;
  if (b == os::Backend::kSysV) {
    ::shmdt(p);
  } else {
    ::munmap(p, kSize);
  }
  return same;
}

class ReusedIdTest : public testing::RegionTest {
 protected:
  static void Forget(os::Backend b, std::uint64_t id) {
    if (b == os::Backend::kSysV) {
      ::shmctl(static_cast<int>(id), IPC_RMID, nullptr);
    } else {
      ::shm_unlink(os::posix::ShmName(id).c_str());
    }
  }
};

// The reboot case: the stub's memory is gone and its id now names the
// user's unrelated memory. Every entry point leaves that memory alone, and
// the next attach makes the region again.
TEST_F(ReusedIdTest, AReusedIdNamesMemoryThatIsNeverUsedOrRemoved) {
  if (os::config::kZeroOnLastClose) GTEST_SKIP() << "named memory dies with its last user here";
  for (os::Backend b : testing::SharedBackends()) {
    if (!os::BackendNamed(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions o = Options("a", kSize, b);
    const std::uint64_t own = MakeHolding(o, 'a');
    ASSERT_TRUE(os::RemoveSystemMemory(b, own).ok());  // "the reboot"
    const std::uint64_t made = MakeUnrelated(b);
    ASSERT_NE(made, 0u) << "could not make the unrelated memory: errno " << errno;
    const std::uint64_t other = IdOf(b, made);
    ASSERT_NO_FATAL_FAILURE(RecordSystemId("a", other));

    // stat: the stub's memory is gone; the unrelated memory is not its.
    absl::StatusOr<RegionStat> st = Stat(o);
    EXPECT_TRUE(Intact(b, other)) << "stat touched the unrelated memory";
    if (!st.ok()) {
      EXPECT_TRUE(os::HasErrno(st.status(), EAGAIN)) << st.status();
    }

    // A join-only attach: the region is gone, not "corrupt"; nothing removed.
    RegionOptions join = o;
    join.create = false;
    absl::Status joined = Region::Attach(join).status();
    EXPECT_FALSE(joined.ok());
    EXPECT_NE(RegionErrcOf(joined), RegionErrc::kCorrupt) << joined;
    EXPECT_TRUE(Intact(b, other)) << "a join-only attach removed the unrelated memory: " << joined;

    // Create-or-join: the stale stub is replaced, the region is new (its
    // data is zero), and the unrelated memory is untouched.
    {
      absl::StatusOr<Region> r = Region::Attach(o);
      ASSERT_TRUE(r.ok()) << r.status();
      Track(*r);
      EXPECT_NE(r->header().system_id, other);
      EXPECT_EQ(static_cast<char*>(r->data())[0], '\0');
      ASSERT_TRUE(r->Unlock().ok());
      ASSERT_TRUE(r->Detach().ok());
    }
    EXPECT_TRUE(Intact(b, other)) << "attach removed the unrelated memory";

    // remove and remove --force of a stub recording it: the stub goes, the
    // unrelated memory stays.
    for (bool force : {false, true}) {
      SCOPED_TRACE(force ? "remove --force" : "remove");
      const std::uint64_t mine = MakeHolding(o, 'a');
      ASSERT_TRUE(os::RemoveSystemMemory(b, mine).ok());
      ASSERT_NO_FATAL_FAILURE(RecordSystemId("a", other));
      absl::Status removed = Remove(o, force).status();
      EXPECT_TRUE(removed.ok()) << removed;
      EXPECT_FALSE(os::Exists(Path("a")).value());
      EXPECT_TRUE(Intact(b, other)) << "remove removed the unrelated memory: " << removed;
    }
    Forget(b, other);
  }
}

// The edited-stub case: the region's memory is still there under the
// stub's names and the stub records another id. Attach and stat call the
// stub corrupt and name the memory bound to it; remove --force removes the
// stub and that memory, never the memory the id names.
TEST_F(ReusedIdTest, AnEditedIdIsCorruptAndForceRemovesOnlyTheStubsOwnMemory) {
  if (os::config::kZeroOnLastClose) GTEST_SKIP() << "named memory dies with its last user here";
  for (os::Backend b : testing::SharedBackends()) {
    if (!os::BackendNamed(b)) continue;
    SCOPED_TRACE(os::BackendName(b));
    const RegionOptions o = Options("a", kSize, b);
    const std::uint64_t own = MakeHolding(o, 'a');
    const std::uint64_t made = MakeUnrelated(b);
    ASSERT_NE(made, 0u) << "could not make the unrelated memory: errno " << errno;
    const std::uint64_t other = IdOf(b, made);
    ASSERT_NO_FATAL_FAILURE(RecordSystemId("a", other));
    for (const absl::Status& s : {Region::Attach(o).status(), Stat(o).status()}) {
      EXPECT_EQ(RegionErrcOf(s), RegionErrc::kCorrupt) << s;
      EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("memory ", own))) << s;
    }
    EXPECT_TRUE(Intact(b, other));
    EXPECT_TRUE(testing::SystemMemoryExists(b, own)) << "the region's own memory was removed";
    absl::Status forced = Remove(o, /*force=*/true).status();
    EXPECT_TRUE(forced.ok()) << forced;
    EXPECT_FALSE(os::Exists(Path("a")).value());
    EXPECT_FALSE(testing::SystemMemoryExists(b, own)) << "remove --force left the stub's own memory";
    EXPECT_TRUE(Intact(b, other)) << "remove --force removed the memory the edited id names";
    Forget(b, other);
  }
}

}  // namespace
}  // namespace osport::region
