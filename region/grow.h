// Extending a region's backing file: the seed's __db_growregion.
#ifndef OSPORT_REGION_GROW_H_
#define OSPORT_REGION_GROW_H_

#include <cstdint>

#include "absl/status/status.h"
#include "os/file.h"

namespace osport::region {

// Extends `file` from `from` to `to` bytes with its disk blocks guaranteed
// (a full disk is ENOSPC here, never SIGBUS through the mapping later).
// Where the platform needs every page written before mapping (MapInit), the
// new range is written with zeros in 1 MiB writes -- not the seed's 4 KiB.
[[nodiscard]] absl::Status GrowRegionFile(os::File& file, std::uint64_t from, std::uint64_t to);

// The write size of the mapinit path.
inline constexpr std::uint64_t kMapInitChunk = std::uint64_t{1} << 20;

}  // namespace osport::region

#endif  // OSPORT_REGION_GROW_H_
