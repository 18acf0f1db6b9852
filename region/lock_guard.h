// RegionLock: the region lock held for a scope (RAII). It says what the
// acquisition found -- the previous holder died (the data may be half
// updated), the region is panicked (only a Region attached with
// RegionOptions::recover can hold it then) -- and unlocks when it goes out
// of scope; Unlock() does it early and returns the status.
//
//   absl::StatusOr<region::RegionLock> lock = region::RegionLock::Acquire(r);
//   if (!lock.ok()) return lock.status();  // run_recovery, timed_out...: NOT held
//   if (lock->previous_owner_died()) Repair(...);
//   ...                                    // unlocked at the closing brace
#ifndef OSPORT_REGION_LOCK_GUARD_H_
#define OSPORT_REGION_LOCK_GUARD_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "region/region.h"

namespace osport::region {

class RegionLock {
 public:
  // Region::Lock: waits. kOwnerDied becomes a held lock with
  // previous_owner_died(); every other error (kRunRecovery...) is returned
  // and nothing is held.
  [[nodiscard]] static absl::StatusOr<RegionLock> Acquire(Region& region);
  // Region::LockFor: as Acquire, kTimedOut when `timeout` runs out.
  [[nodiscard]] static absl::StatusOr<RegionLock> Acquire(Region& region, absl::Duration timeout);
  // Region::TryLock: as Acquire, kTimedOut while another thread holds it.
  [[nodiscard]] static absl::StatusOr<RegionLock> TryAcquire(Region& region);
  // Takes charge of the lock this thread already holds (the one Attach
  // returns held). FailedPrecondition, naming the region, if it does not.
  [[nodiscard]] static absl::StatusOr<RegionLock> Adopt(Region& region);

  RegionLock(RegionLock&& other) noexcept;
  RegionLock& operator=(RegionLock&& other) noexcept;
  RegionLock(const RegionLock&) = delete;
  RegionLock& operator=(const RegionLock&) = delete;
  // Unlocks if still held (errors ignored: call Unlock() where they matter).
  ~RegionLock();

  // Whether this guard still holds the lock (false after Unlock or a move).
  [[nodiscard]] bool owns_lock() const { return region_ != nullptr; }
  // The previous holder died holding the lock: this guard holds it now and
  // the data may be inconsistent (repair it, or region().Panic()).
  [[nodiscard]] bool previous_owner_died() const { return previous_owner_died_; }
  // The region is panicked (read now, so true after region().Panic() too).
  [[nodiscard]] bool panicked() const { return region_ != nullptr && region_->panicked(); }
  // The region it locks; only while owns_lock().
  [[nodiscard]] Region& region() const { return *region_; }

  // Releases the lock now; FailedPrecondition if this guard no longer holds it.
  [[nodiscard]] absl::Status Unlock();

 private:
  RegionLock(Region* region, bool previous_owner_died)
      : region_(region), previous_owner_died_(previous_owner_died) {}
  static absl::StatusOr<RegionLock> From(Region& region, const absl::Status& locked);

  Region* region_ = nullptr;
  bool previous_owner_died_ = false;
};

}  // namespace osport::region

#endif  // OSPORT_REGION_LOCK_GUARD_H_
