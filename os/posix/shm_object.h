// Opening a POSIX shm object by name, and what a failed or suspicious open
// means. Shared by the mapping code (os/posix/map.cc) and the owner checks
// (os/posix/trust.cc), so every open of an osport name says the same thing
// about the same object.
//
// On Linux shm objects are files in /dev/shm, a directory every user can
// write: what sits at an osport name may be anything another user put there
// (issue 12, F4). sys::ShmOpen opens without blocking, so a FIFO never hangs
// the open; shm_open's O_NOFOLLOW makes a symbolic link fail with ELOOP; a
// socket fails with ENXIO. Each of those, and any object that is not a
// regular one, is untrusted -- never mapped, removed or reported as gone.
#ifndef OSPORT_OS_POSIX_SHM_OBJECT_H_
#define OSPORT_OS_POSIX_SHM_OBJECT_H_

#include <string>

#include "absl/status/status.h"

namespace osport::os::posix {

// The status for a failed shm_open of `name` with errno `err`: ENOENT is
// gone (Unavailable + EAGAIN, os/map.h); ELOOP (a symbolic link) and ENXIO
// (a socket or a device) are untrusted (os/trust.h); anything else is the
// errno status naming shm_open and `name`.
[[nodiscard]] absl::Status ShmOpenError(const std::string& name, int err);

// The untrusted status for an object at `name` whose fstat says it is not
// a regular object (`st_mode` as fstat gave it).
[[nodiscard]] absl::Status NotARegularShmObject(const std::string& name, unsigned st_mode);

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_SHM_OBJECT_H_
