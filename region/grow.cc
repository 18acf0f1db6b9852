// Growing region files: allocate, or write zeros where mapinit says so.
#include "region/grow.h"

#include <algorithm>
#include <vector>

#include "os/map.h"

namespace osport::region {

absl::Status GrowRegionFile(os::File& file, std::uint64_t from, std::uint64_t to) {
  if (to <= from) return absl::OkStatus();
  if (!os::MapInitRequired()) return os::Allocate(file, from, to - from);
  return WriteZeros(file, from, to);
}

absl::Status WriteZeros(os::File& file, std::uint64_t from, std::uint64_t to) {
  if (to <= from) return absl::OkStatus();
  const std::vector<std::byte> zeros(static_cast<std::size_t>(std::min(kMapInitChunk, to - from)));
  for (std::uint64_t at = from; at < to;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), to - at));
    if (absl::Status s = os::WriteAt(file, at, gsl::span<const std::byte>(zeros.data(), n)); !s.ok()) return s;
    at += n;
  }
  return absl::OkStatus();
}

bool SettleDeadGrow(RegionHeader& h, os::File& file) {
  if (h.grow_target.load(std::memory_order_acquire) == 0) return false;
  const std::uint64_t size = h.size.load(std::memory_order_acquire);
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(file);
  if (info.ok() && info->size() > size) (void)os::Truncate(file, size);
  h.grow_target.store(0, std::memory_order_release);
  return true;
}

}  // namespace osport::region
