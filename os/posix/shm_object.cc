// Implements os/posix/shm_object.h.
#include "os/posix/shm_object.h"

#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "os/internal/map_platform.h"
#include "os/posix/error.h"
#include "os/trust.h"

namespace osport::os::posix {
namespace {

const char* TypeOf(unsigned st_mode) {
  if (S_ISFIFO(st_mode)) return "a FIFO";
  if (S_ISSOCK(st_mode)) return "a socket";
  if (S_ISDIR(st_mode)) return "a directory";
  if (S_ISCHR(st_mode) || S_ISBLK(st_mode)) return "a device";
  if (S_ISLNK(st_mode)) return "a symbolic link";
  return "an object of another kind";
}

}  // namespace

absl::Status ShmOpenError(const std::string& name, int err) {
  const std::string what = absl::StrCat("POSIX shm ", name);
  switch (err) {
    case ENOENT: return internal::MemoryGone(what, "no such name");
    case ELOOP: return UntrustedError(ELOOP, what, "is a symbolic link, not a shared memory object");
    case ENXIO:
      return UntrustedError(EACCES, what, "is a socket or a device, not a shared memory object");
    default: break;
  }
  return ErrnoStatus("shm_open", name, err);
}

absl::Status NotARegularShmObject(const std::string& name, unsigned st_mode) {
  const char* type = TypeOf(st_mode);
  return UntrustedError(S_ISLNK(st_mode) ? ELOOP : EACCES, absl::StrCat("POSIX shm ", name),
                        absl::StrCat("is ", type, ", not a shared memory object"));
}

}  // namespace osport::os::posix
