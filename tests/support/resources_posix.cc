// POSIX half of tests/support/resources.h: descriptors from /proc/self/fd.
#include <dirent.h>

#include "tests/support/resources.h"

namespace osport::testing {

int CountOpenHandles() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n - 3;  // ".", ".." and the directory's own descriptor
}

}  // namespace osport::testing
