// The region module's distinct failures: each is an absl::Status with a
// RegionErrc payload, so callers (and the osport tool) can tell a corrupt
// header from an incompatible build, a panicked region, a busy one...
#ifndef OSPORT_REGION_ERRORS_H_
#define OSPORT_REGION_ERRORS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace osport::region {

enum class RegionErrc : std::uint8_t {
  kNone = 0,
  kCorrupt,       // an osport region with impossible field values (DataLoss)
  kIncompatible,  // another layout version, mutex kind or byte order (FailedPrecondition); or
                  // another backend than RegionOptions::backend asked for
  kTruncated,     // the header claims more bytes than the file has (DataLoss)
  kRunRecovery,   // the region is panicked (FailedPrecondition): the seed's DB_RUNRECOVERY
  kOwnerDied,     // a process died holding the region lock and YOU NOW HOLD IT (Aborted,
                  // EOWNERDEAD); only Lock/TryLock/LockFor return it, never Attach
  kBusy,          // Attach: the memory is gone but other processes are still attached
                  // (FailedPrecondition, EBUSY)
  kNotReady,      // still being created or removed after every retry (Unavailable, EAGAIN)
  kTooSmall,      // an existing region is smaller than a size the caller insists on
  kFull,          // the attachment table has no free slot (ResourceExhausted)
  kTimedOut,      // the region lock was not free in time: TryLock (Unavailable, EBUSY),
                  // LockFor, Attach's region-lock wait and a bounded remove
                  // (DeadlineExceeded, ETIMEDOUT); NOT held
  kNotARegion,    // the file's magic is not osport's in either byte order, or the name is
                  // the caller's own directory, FIFO, socket or device: not a region or
                  // stub at all, never mapped, written or removed (FailedPrecondition, EINVAL)
};

// "corrupt", "incompatible"... for messages and the tool's JSON.
[[nodiscard]] absl::string_view RegionErrcName(RegionErrc errc);

// The status for `errc`: the absl code listed above, a portable errno where
// one fits, and `message` (which should name the region). kTimedOut is
// DeadlineExceeded + ETIMEDOUT here; TryLock's refusal keeps the mutex's
// Unavailable + EBUSY (WithRegionErrc below).
[[nodiscard]] absl::Status RegionError(RegionErrc errc, absl::string_view message);

// `status` (an os/ status: its code and errno are kept) with the RegionErrc
// payload `errc` and `message` in front of its own.
[[nodiscard]] absl::Status WithRegionErrc(const absl::Status& status, RegionErrc errc,
                                          absl::string_view message);

// The RegionErrc carried by `status`, kNone for OK or other statuses.
[[nodiscard]] RegionErrc RegionErrcOf(const absl::Status& status);

[[nodiscard]] inline bool IsRunRecovery(const absl::Status& s) {
  return RegionErrcOf(s) == RegionErrc::kRunRecovery;
}
[[nodiscard]] inline bool IsTimedOut(const absl::Status& s) {
  return RegionErrcOf(s) == RegionErrc::kTimedOut;
}

}  // namespace osport::region

#endif  // OSPORT_REGION_ERRORS_H_
