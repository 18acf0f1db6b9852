// The POSIX shm object name of a region's memory id, shared by the mapping
// code and the owner checks.
#ifndef OSPORT_OS_POSIX_SHM_NAME_H_
#define OSPORT_OS_POSIX_SHM_NAME_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"

namespace osport::os::posix {

// "/osport-" + 16 hex digits = 24 characters, within macOS's 31-character
// limit (PSHMNAMLEN).
inline std::string ShmName(std::uint64_t id) { return absl::StrFormat("/osport-%016x", id); }

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_SHM_NAME_H_
