// POSIX half of the region fixture: /proc/self/maps, SysV and /dev/shm.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "tests/support/ledger.h"
#include "tests/support/region_fixture.h"

namespace osport::testing {

int CountRegionMappings(const std::string& dir) {
  std::ifstream maps("/proc/self/maps");
  if (!maps) return -1;
  int n = 0;
  for (std::string line; std::getline(maps, line);) {
    if (line.find(dir) != std::string::npos || line.find("SYSV") != std::string::npos ||
        line.find("/dev/shm/osport-") != std::string::npos) {
      ++n;
    }
  }
  return n;
}

bool SystemMemoryExists(os::Backend backend, std::uint64_t id) {
  // A POSIX object this test made is judged by the inode the ledger
  // recorded: its name derives from the stub's inode, which another osport
  // user's new stub may get the moment ours is removed (a TokenTest under
  // tsan, beside three other suites, saw "memory left" that was not its
  // own). A SysV id is not reused for a long time (the kernel's sequence
  // number), and a helper in another pid namespace records a pid the
  // segment's creator field does not show: judged by id.
  if (backend == os::Backend::kPosixShm) {
    if (std::optional<bool> made = LedgerObjectExists(absl::StrFormat("posix:/osport-%016x", id))) return *made;
  }
  switch (backend) {
    case os::Backend::kSysV: {
      struct shmid_ds ds;
      return ::shmctl(static_cast<int>(id), IPC_STAT, &ds) == 0;
    }
    case os::Backend::kPosixShm: {
      std::ifstream f(absl::StrFormat("/dev/shm/osport-%016x", id));
      return static_cast<bool>(f);
    }
    default:
      return false;
  }
}

}  // namespace osport::testing
