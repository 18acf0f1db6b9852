// Grow and remap: the seed's __db_rgrow and __db_rremap, made failure-atomic
// (the header's size is stored last; a failed grow cuts the file back).
#include "region/region.h"


#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/thread.h"
#include "region/attacher.h"

#include "os/config.h"
#include "region/grow.h"

namespace osport::region {

absl::Status Region::Grow(std::uint64_t new_size) {
  if (absl::Status s = UsableHere("Grow"); !s.ok()) return s;
  if (map_.backend() != os::Backend::kFile) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL,
                             absl::StrFormat("region %s: only file-backed regions can grow (this "
                                             "one is %s)",
                                             options_.name, os::BackendName(map_.backend())));
  }
  const std::uint64_t target = RoundRegionSize(new_size);
  if (new_size > os::config::kRegionSizeMax || target > os::config::kRegionSizeMax) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrFormat("region %s: %u bytes exceeds the largest region this "
                                             "build allows, %u (OSPORT_REGIONSIZE_MAX)",
                                             options_.name, new_size, os::config::kRegionSizeMax));
  }
  const std::uint64_t old = map_.size();
  if (target < old) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrFormat("region %s: cannot grow to %u bytes, it has %u",
                                             options_.name, target, old));
  }
  if (target == old) return absl::OkStatus();
  if (absl::Status s = NeedLock("Grow"); !s.ok()) return s;
  // The target is recorded under the lock before the file is touched; the
  // header's size is stored last, then the target cleared. A failed grow
  // (ENOSPC, ENOMEM) cuts the file back and leaves the region as it was; a
  // grower that dies midway dies holding the lock: the next joiner gets the
  // owner death (the region panics) and settles the grow to the header's
  // size, old or new (SettleDeadGrow; region/liveness.h).
  header().grow_target.store(target, std::memory_order_release);
  // header() is read afresh after every remap: the mapping may move.
  auto fail = [&](const absl::Status& s) {
    (void)os::Truncate(file_, old);  // Remap keeps the old view on failure
    header().grow_target.store(0, std::memory_order_release);
    return os::Annotate(s, "grow region " + options_.name);
  };
  if (absl::Status s = GrowRegionFile(file_, old, target); !s.ok()) return fail(s);
  if (absl::Status s = os::Remap(map_, file_, target); !s.ok()) return fail(s);
  if (options_.prefault) {
    if (absl::Status s = os::Prefault(map_, old, target - old); !s.ok()) {
      // The new pages cannot be had (ENOMEM, ENOSPC): undone like any failed
      // grow -- back to the old view, the file cut back.
      if (os::Remap(map_, file_, old).ok()) return fail(s);
      // Not even the old view again: the grow is complete but for the
      // prefault, so publish it (the header and the mapping agree).
      header().size.store(target, std::memory_order_release);
      header().grow_target.store(0, std::memory_order_release);
      return os::Annotate(s, "grow region " + options_.name +
                                 ": grown, but its new pages could not be faulted in");
    }
  }
  RegionHeader& grown = header();
  grown.size.store(target, std::memory_order_release);
  grown.grow_target.store(0, std::memory_order_release);
  return absl::OkStatus();
}

bool Region::NeedsRemap() const {
  return attached() && header().size.load(std::memory_order_acquire) != map_.size();
}

absl::Status Region::Remap() {
  if (absl::Status s = UsableHere("Remap"); !s.ok()) return s;
  const std::uint64_t want = header().size.load(std::memory_order_acquire);
  if (want == map_.size()) return absl::OkStatus();
  if (map_.backend() != os::Backend::kFile || want < map_.size() || want % kHeaderSize != 0) {
    return RegionError(RegionErrc::kCorrupt,
                       absl::StrFormat("region %s: header size %u cannot replace the mapped %u",
                                       options_.name, want, map_.size()));
  }
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(file_);
  if (!info.ok()) return os::Annotate(info.status(), "remap region " + options_.name);
  if (info->size() < want) {
    return RegionError(RegionErrc::kTruncated,
                       absl::StrFormat("region %s: header says %u bytes but the file has only %u",
                                       options_.name, want, info->size()));
  }
  return os::Annotate(os::Remap(map_, file_, want), "remap region " + options_.name);
}

}  // namespace osport::region
