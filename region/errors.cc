// RegionErrc payloads on absl::Status.
#include "region/errors.h"

#include <cerrno>

#include "absl/strings/cord.h"
#include "os/error.h"

namespace osport::region {
namespace {

constexpr char kPayload[] = "type.osport/region";

struct Traits {
  absl::StatusCode code;
  int err;
};

Traits TraitsOf(RegionErrc errc) {
  switch (errc) {
    case RegionErrc::kCorrupt: return {absl::StatusCode::kDataLoss, EINVAL};
    case RegionErrc::kIncompatible: return {absl::StatusCode::kFailedPrecondition, EINVAL};
    case RegionErrc::kTruncated: return {absl::StatusCode::kDataLoss, EINVAL};
    case RegionErrc::kRunRecovery: return {absl::StatusCode::kFailedPrecondition, EINVAL};
    case RegionErrc::kOwnerDied: return {absl::StatusCode::kAborted, EOWNERDEAD};
    case RegionErrc::kBusy: return {absl::StatusCode::kFailedPrecondition, EBUSY};
    case RegionErrc::kNotReady: return {absl::StatusCode::kUnavailable, EAGAIN};
    case RegionErrc::kTooSmall: return {absl::StatusCode::kFailedPrecondition, EINVAL};
    case RegionErrc::kFull: return {absl::StatusCode::kResourceExhausted, EMFILE};
    case RegionErrc::kTimedOut: return {absl::StatusCode::kDeadlineExceeded, ETIMEDOUT};
    case RegionErrc::kNotARegion: return {absl::StatusCode::kFailedPrecondition, EINVAL};
    case RegionErrc::kNone: break;
  }
  return {absl::StatusCode::kUnknown, 0};
}

}  // namespace

absl::string_view RegionErrcName(RegionErrc errc) {
  switch (errc) {
    case RegionErrc::kNone: return "none";
    case RegionErrc::kCorrupt: return "corrupt";
    case RegionErrc::kIncompatible: return "incompatible";
    case RegionErrc::kTruncated: return "truncated";
    case RegionErrc::kRunRecovery: return "run_recovery";
    case RegionErrc::kOwnerDied: return "owner_died";
    case RegionErrc::kBusy: return "busy";
    case RegionErrc::kNotReady: return "not_ready";
    case RegionErrc::kTooSmall: return "too_small";
    case RegionErrc::kFull: return "full";
    case RegionErrc::kTimedOut: return "timed_out";
    case RegionErrc::kNotARegion: return "not_a_region";
  }
  return "unknown";
}

absl::Status RegionError(RegionErrc errc, absl::string_view message) {
  const Traits t = TraitsOf(errc);
  absl::Status s = os::PortableError(t.code, t.err, message);
  s.SetPayload(kPayload, absl::Cord(RegionErrcName(errc)));
  return s;
}

absl::Status WithRegionErrc(const absl::Status& status, RegionErrc errc, absl::string_view message) {
  absl::Status s = os::Annotate(status, message);
  s.SetPayload(kPayload, absl::Cord(RegionErrcName(errc)));
  return s;
}

RegionErrc RegionErrcOf(const absl::Status& status) {
  if (status.ok()) return RegionErrc::kNone;
  absl::optional<absl::Cord> p = status.GetPayload(kPayload);
  if (!p.has_value()) return RegionErrc::kNone;
  for (RegionErrc e : {RegionErrc::kCorrupt, RegionErrc::kIncompatible, RegionErrc::kTruncated,
                       RegionErrc::kRunRecovery, RegionErrc::kOwnerDied, RegionErrc::kBusy,
                       RegionErrc::kNotReady, RegionErrc::kTooSmall, RegionErrc::kFull,
                       RegionErrc::kTimedOut, RegionErrc::kNotARegion}) {
    if (*p == RegionErrcName(e)) return e;
  }
  return RegionErrc::kNone;
}

}  // namespace osport::region
