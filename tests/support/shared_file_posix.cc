// POSIX half of tests/support/shared_file.h: mmap(MAP_SHARED) of the file.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "os/error.h"
#include "tests/support/shared_file.h"

namespace osport::testing::internal {

absl::StatusOr<void*> MapShared(os::File& file, std::size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   static_cast<int>(file.native()), 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    return os::OsError(err, "mmap", file.path(), err, std::strerror(err));
  }
  return p;
}

void UnmapShared(void* data, std::size_t size) { ::munmap(data, size); }

}  // namespace osport::testing::internal
