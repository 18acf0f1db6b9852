// RegionLock: Region's lock calls with their outcome kept, unlocked on scope exit.
#include "region/lock_guard.h"

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "region/errors.h"

namespace osport::region {

absl::StatusOr<RegionLock> RegionLock::From(Region& region, const absl::Status& locked) {
  if (RegionErrcOf(locked) == RegionErrc::kOwnerDied) return RegionLock(&region, true);
  if (!locked.ok()) return locked;
  return RegionLock(&region, false);
}

absl::StatusOr<RegionLock> RegionLock::Acquire(Region& region) { return From(region, region.Lock()); }

absl::StatusOr<RegionLock> RegionLock::Acquire(Region& region, absl::Duration timeout) {
  return From(region, region.LockFor(timeout));
}

absl::StatusOr<RegionLock> RegionLock::TryAcquire(Region& region) { return From(region, region.TryLock()); }

absl::StatusOr<RegionLock> RegionLock::Adopt(Region& region) {
  if (!region.LockHeld()) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                             absl::StrCat("region ", region.name(),
                                          ": RegionLock::Adopt: this thread does not hold the region lock"));
  }
  return RegionLock(&region, false);
}

RegionLock::RegionLock(RegionLock&& other) noexcept
    : region_(std::exchange(other.region_, nullptr)), previous_owner_died_(other.previous_owner_died_) {}

RegionLock& RegionLock::operator=(RegionLock&& other) noexcept {
  if (this != &other) {
    if (region_ != nullptr) (void)region_->Unlock();
    region_ = std::exchange(other.region_, nullptr);
    previous_owner_died_ = other.previous_owner_died_;
  }
  return *this;
}

RegionLock::~RegionLock() {
  if (region_ != nullptr) (void)region_->Unlock();
}

absl::Status RegionLock::Unlock() {
  if (region_ == nullptr) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                             "RegionLock::Unlock: this guard does not hold a region lock");
  }
  return std::exchange(region_, nullptr)->Unlock();
}

}  // namespace osport::region
