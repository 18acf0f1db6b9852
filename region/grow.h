// Extending a region's backing file: the seed's __db_growregion.
#ifndef OSPORT_REGION_GROW_H_
#define OSPORT_REGION_GROW_H_

#include <cstdint>

#include "absl/status/status.h"
#include "os/file.h"
#include "region/header.h"

namespace osport::region {

// Extends `file` from `from` to `to` bytes with its disk blocks guaranteed
// (a full disk is ENOSPC here, never SIGBUS through the mapping later).
// Where the platform needs every page written before mapping (MapInit), the
// new range is written with zeros by WriteZeros.
[[nodiscard]] absl::Status GrowRegionFile(os::File& file, std::uint64_t from, std::uint64_t to);

// The mapinit path of GrowRegionFile: writes zeros over [from, to) of `file`
// in kMapInitChunk writes -- not the seed's one 4 KiB write per page. Public
// so that it is tested, and timed by the benchmarks, in every build, not
// only in OSPORT_MAPINIT ones.
[[nodiscard]] absl::Status WriteZeros(os::File& file, std::uint64_t from, std::uint64_t to);

// Called by whoever takes the region lock in a join: a grow target still
// recorded means its grower died holding the lock (Region::Grow sets and
// clears it under the lock). The header's size, stored after the file was
// extended and mapped, is the region's size -- the old one or the new one --
// so the file is cut back to it (where the OS allows cutting a mapped file;
// joiners map the header's size either way) and the target cleared.
// Returns whether there was a dead grow to settle.
bool SettleDeadGrow(RegionHeader& h, os::File& file);

// The write size of the mapinit path.
inline constexpr std::uint64_t kMapInitChunk = std::uint64_t{1} << 20;

}  // namespace osport::region

#endif  // OSPORT_REGION_GROW_H_
