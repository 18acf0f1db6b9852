// Objects another user plants at an osport region's POSIX shm name (issue
// 12, F4 and its kind). On Linux shm objects are files in /dev/shm, which
// every user can write, and the names are derived from the stub: a FIFO at
// one made every command that opened it (attach, stat, list, remove --force,
// even create) wait for a writer for ever; a symbolic link and a socket
// failed with causes that did not say what was there. Each is untrusted now:
// refused at once, named, never removed. Runs where shm objects are visible
// under /dev/shm and says why it skips elsewhere.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "os/error.h"
#include "os/posix/shm_name.h"
#include "os/trust.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

namespace fs = std::filesystem;

enum class Planted { kFifo, kSymlink, kSocket };

const char* Describe(Planted p) {
  switch (p) {
    case Planted::kFifo: return "FIFO";
    case Planted::kSymlink: return "symbolic link";
    case Planted::kSocket: return "socket";
  }
  return "?";
}

// Puts `what` at `path`: 0 or the errno.
int Plant(Planted what, const std::string& path) {
  switch (what) {
    case Planted::kFifo: return ::mkfifo(path.c_str(), 0666) == 0 ? 0 : errno;
    case Planted::kSymlink: return ::symlink("/etc/passwd", path.c_str()) == 0 ? 0 : errno;
    case Planted::kSocket: {
      const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0) return errno;
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
      const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
      ::close(fd);  // the socket file stays
      return rc;
    }
  }
  return EINVAL;
}

class ShmSquatTest : public testing::RegionTest, public ::testing::WithParamInterface<Planted> {
 protected:
  void SetUp() override {
    testing::RegionTest::SetUp();
    // A test that hangs fails here instead of at ctest's timeout.
    ::alarm(60);
  }
  void TearDown() override {
    ::alarm(0);
    testing::RegionTest::TearDown();
  }
};

TEST_P(ShmSquatTest, AnObjectPlantedAtTheMemorysNameIsUntrustedAndNeverWaitedOn) {
  bool has_posix = false;
  for (os::Backend b : testing::SharedBackends()) has_posix |= b == os::Backend::kPosixShm;
  if (!has_posix) GTEST_SKIP() << "no POSIX shm backend in this build";
  const RegionOptions o = Options("r", 64 * 1024, os::Backend::kPosixShm);
  ASSERT_NO_FATAL_FAILURE(MakeDetached(o));
  absl::StatusOr<RegionStat> st = Stat(o);
  ASSERT_TRUE(st.ok()) << st.status();
  const std::string name = os::posix::ShmName(st->system_id);
  const std::string path = "/dev/shm" + name;
  if (!fs::exists(path)) {
    ASSERT_TRUE(Remove(o, true).ok());
    GTEST_SKIP() << "shm objects are not files under /dev/shm here: nothing can be planted";
  }
  // The memory vanishes (ipcrm, a reboot) and another user plants something.
  ASSERT_EQ(::shm_unlink(name.c_str()), 0);
  ASSERT_EQ(Plant(GetParam(), path), 0) << std::strerror(errno);
  const std::string what = Describe(GetParam());

  absl::Status attached = Region::Attach(o).status();
  EXPECT_TRUE(os::IsUntrusted(attached)) << attached;
  EXPECT_TRUE(absl::StrContains(attached.message(), what)) << attached;
  EXPECT_TRUE(absl::StrContains(attached.message(), name)) << attached;
  absl::Status stat = Stat(o).status();
  EXPECT_TRUE(os::IsUntrusted(stat)) << stat;
  EXPECT_TRUE(absl::StrContains(stat.message(), what)) << stat;

  // remove --force takes the stub, leaves what it cannot call its own, and
  // says so with an error.
  ASSERT_NO_FATAL_FAILURE(KeepInode(Path("r")));  // the planted name stays this test's to unlink
  absl::Status forced = Remove(o, true).status();
  EXPECT_FALSE(forced.ok());
  EXPECT_TRUE(absl::StrContains(forced.message(), name)) << forced;
  EXPECT_TRUE(absl::StrContains(forced.message(), "in place")) << forced;
  EXPECT_FALSE(fs::exists(Path("r")));
  struct stat planted;
  EXPECT_EQ(::lstat(path.c_str(), &planted), 0) << "the planted " << what << " was removed";
  ::unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Kinds, ShmSquatTest,
                         ::testing::Values(Planted::kFifo, Planted::kSymlink, Planted::kSocket),
                         [](const ::testing::TestParamInfo<Planted>& p) {
                           std::string s = Describe(p.param);
                           s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
                           return s;
                         });

}  // namespace
}  // namespace osport::region
