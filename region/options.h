// What a caller asks of a region: where it lives, how big, which memory.
#ifndef OSPORT_REGION_OPTIONS_H_
#define OSPORT_REGION_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "os/map.h"
#include "os/trust.h"

namespace osport::region {

// How often and how patiently Attach retries a region that is still being
// created or removed by another process. The seed tried 3 times, sleeping
// 2, 4 and 6 s; tests use a short back-off.
struct RetryPolicy {
  int attempts = 3;                          // tries after the first, >= 0
  absl::Duration backoff = absl::Seconds(2); // sleep attempt * backoff before try `attempt`
};

struct RegionOptions {
  // The directory the backing file lives in; it must exist.
  std::string home;
  // The backing file's name inside `home`: 1-255 bytes, no '/' or '\', not
  // "." or "..", no NUL. Regions are confined to their home directory.
  std::string name;
  // Total size in bytes, header included; rounded up to the mapping
  // granularity and to at least two pages. Used when creating; a joiner
  // takes the existing size (see size_is_default).
  std::uint64_t size = 0;
  // Permissions of the backing file and system memory, applied exactly.
  std::uint32_t mode = 0600;
  // Create the region if it does not exist (else NotFound).
  bool create = true;
  // Create only (with `create`): if a region already lives under the name,
  // fail at once with absl::StatusCode::kAlreadyExists (errno EEXIST; test
  // with absl::IsAlreadyExists -- RegionErrcOf says kNone), holding nothing -- without
  // waiting for its lock and without joining it. What a dead creator left
  // (an abandoned creation, a stub whose memory is gone) is still replaced,
  // as by any create. O_EXCL's meaning; Berkeley DB's DB_EXCL, Boost's
  // create_only. Not with `recover` (that joins).
  bool exclusive = false;
  // A region only this process uses (the seed's REGION_PRIVATE).
  bool private_region = false;
  // Which memory; unset = kFile for shared regions, kHeap for private ones
  // (kFile where spinlocks are off or mutexes need shared memory). Set, it
  // is also what a join requires: an existing region in other memory is
  // kIncompatible (Region::backend() says which a join got when unset).
  std::optional<os::Backend> backend;
  // The seed's REGION_SIZEDEF: `size` is only a default, so joining a smaller
  // existing region is fine. Otherwise a smaller region is kTooSmall.
  bool size_is_default = false;
  // The seed's db_region_init: fault every page in when creating and growing
  // (no page faults later while holding locks). A file region's disk blocks
  // are reserved with or without it (posix_fallocate, or zeros written where
  // mapinit says so).
  bool prefault = false;
  RetryPolicy retry;
  // The longest Attach waits for another process that holds the region's
  // liveness lock exclusively (creating, replacing or destroying it) or for
  // contenders replacing an abandoned one (then kNotReady), and for the
  // region lock (then kTimedOut, nothing held). Bounded by default:
  // a little beyond the default retry policy's 12 s.
  absl::Duration attach_timeout = absl::Seconds(15);
  // Join a panicked region to repair it (instead of kRunRecovery): Attach
  // returns it locked even when it finds a dead lock holder, its Lock()
  // ignores the panic, and Region::ClearPanic() marks it consistent again.
  bool recover = false;
  // Whom to trust besides the caller (issue 12, os/trust.h): owners of
  // region files, stubs and system memory (trusted_owners, "1000" or a SID),
  // and whether a sticky home others can write (/tmp) is acceptable
  // (allow_sticky_shared_home). Everything else another user owns is refused
  // with the untrusted error, never joined, mapped or removed.
  os::TrustPolicy trust;
};

// The backing file's path, or InvalidArgument naming what is wrong with the
// options (empty home, a name that leaves the home directory, a size of 0 or
// over OSPORT_REGIONSIZE_MAX, an unknown mode, a backend this build cannot
// use...).
[[nodiscard]] absl::StatusOr<std::string> RegionPath(const RegionOptions& options);
// RegionPath without the look at the home directory (one system call less):
// for Attach, which learns that the home is missing from open(2) failing and
// only then calls CheckHome for the clear error.
[[nodiscard]] absl::StatusOr<std::string> RegionPathUnchecked(const RegionOptions& options);
// OK when options.home is an existing directory; else HomeError.
[[nodiscard]] absl::Status CheckHome(const RegionOptions& options);
// The error for a home that is missing (`err` ENOENT: NotFound, "region home
// "H" does not exist") or not a directory (ENOTDIR: FailedPrecondition,
// "... is not a directory").
[[nodiscard]] absl::Status HomeError(const RegionOptions& options, int err);
[[nodiscard]] absl::Status ValidateOptions(const RegionOptions& options);
// The name rule alone (RegionOptions::name): InvalidArgument naming the
// problem. ValidateOptions applies it; the tool calls it to report a bad
// NAME operand as a usage error.
[[nodiscard]] absl::Status ValidateRegionName(const std::string& name);

// The backend Attach will use for `options`, or the error that explains why
// the requested one is impossible in this build.
[[nodiscard]] absl::StatusOr<os::Backend> ResolveBackend(const RegionOptions& options);

// `size` rounded up to the mapping granularity and to at least two pages (a
// region file must be larger than a stub, which is exactly one header).
[[nodiscard]] std::uint64_t RoundRegionSize(std::uint64_t size);

}  // namespace osport::region

#endif  // OSPORT_REGION_OPTIONS_H_
