// Option checks, written once: names confined to the home directory, sizes,
// modes, and which backends this build can use.
#include "region/options.h"

#include <cerrno>

#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/error.h"
#include "region/header.h"

namespace osport::region {
namespace {

absl::Status Invalid(const std::string& message) {
  return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL, message);
}

}  // namespace

std::uint64_t RoundRegionSize(std::uint64_t size) {
  std::uint64_t unit = os::MapGranularity();
  if (unit < kHeaderSize) unit = kHeaderSize;
  const std::uint64_t min = 2 * kHeaderSize;
  if (size < min) size = min;
  if (size > UINT64_MAX - unit) return UINT64_MAX;  // caught by the maximum check
  return (size + unit - 1) / unit * unit;
}

absl::Status ValidateRegionName(const std::string& n) {
  if (n.empty() || n.size() > 255 || n == "." || n == ".." ||
      n.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    return Invalid(absl::StrFormat(
        "region name \"%s\": must be 1-255 bytes, not \".\" or \"..\", without '/', a backslash or NUL",
        n.size() > 255 ? n.substr(0, 40) + "..." : n));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const RegionOptions& o) {
  if (o.home.empty()) return Invalid("region options: empty home directory");
  const std::string& n = o.name;
  if (absl::Status s = ValidateRegionName(n); !s.ok()) return s;
  if ((o.mode & ~0777u) != 0 || (o.mode & 0600u) != 0600u) {
    return Invalid(absl::StrFormat("region %s: mode 0%o must give the owner read and write and "
                                   "have no bits beyond 0777",
                                   n, o.mode));
  }
  if (o.exclusive && (!o.create || o.recover)) {
    return Invalid(absl::StrFormat("region %s: exclusive (create only) needs create and cannot be "
                                   "combined with recover",
                                   n));
  }
  if (o.create && o.size == 0) {
    return Invalid(absl::StrFormat("region %s: size 0 (a region to create needs a size)", n));
  }
  if (o.size > os::config::kRegionSizeMax || RoundRegionSize(o.size) > os::config::kRegionSizeMax) {
    return Invalid(absl::StrFormat("region %s: size %u exceeds the largest region this build "
                                   "allows, %u bytes (OSPORT_REGIONSIZE_MAX)",
                                   n, o.size, os::config::kRegionSizeMax));
  }
  if (o.retry.attempts < 0 || o.retry.attempts > 1000 || o.retry.backoff < absl::ZeroDuration()) {
    return Invalid(absl::StrFormat("region %s: retry policy needs 0-1000 attempts and a "
                                   "non-negative back-off",
                                   n));
  }
  if (o.attach_timeout < absl::ZeroDuration() || o.attach_timeout == absl::InfiniteDuration()) {
    return Invalid(absl::StrFormat("region %s: the attach timeout must be finite and non-negative", n));
  }
  return ResolveBackend(o).status();
}

absl::Status CheckHome(const RegionOptions& o) {
  bool is_dir = false;
  absl::StatusOr<bool> exists = os::Exists(o.home, &is_dir);
  if (!exists.ok()) return exists.status();
  if (!*exists) return HomeError(o, ENOENT);
  if (!is_dir) return HomeError(o, ENOTDIR);
  return absl::OkStatus();
}

absl::Status HomeError(const RegionOptions& o, int err) {
  if (err == ENOTDIR) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, ENOTDIR,
                             absl::StrFormat("region home \"%s\" is not a directory", o.home));
  }
  return os::PortableError(absl::StatusCode::kNotFound, ENOENT,
                           absl::StrFormat("region home \"%s\" does not exist", o.home));
}

absl::StatusOr<std::string> RegionPathUnchecked(const RegionOptions& o) {
  if (absl::Status s = ValidateOptions(o); !s.ok()) return s;
  std::string path = o.home;
  if (path.back() != '/' && path.back() != '\\') path += '/';
  return path + o.name;
}

absl::StatusOr<std::string> RegionPath(const RegionOptions& o) {
  absl::StatusOr<std::string> path = RegionPathUnchecked(o);
  if (!path.ok()) return path.status();
  if (absl::Status s = CheckHome(o); !s.ok()) return s;
  return path;
}

absl::StatusOr<os::Backend> ResolveBackend(const RegionOptions& o) {
  // Private memory (heap, anonymous) needs a mutex that works without a
  // file (spinlocks) and that may live outside shared memory (not HP-UX).
  const bool private_memory_ok = os::config::kSpinlocks && !os::config::kMutexSharedOnly;
  if (!o.backend.has_value()) {
    return o.private_region && private_memory_ok ? os::Backend::kHeap : os::Backend::kFile;
  }
  const os::Backend b = *o.backend;
  if (!os::BackendSupported(b)) {
    return os::PortableError(absl::StatusCode::kUnimplemented, ENOSYS,
                             absl::StrFormat("region %s: backend '%s' is not available on this "
                                             "platform",
                                             o.name, os::BackendName(b)));
  }
  if (!os::BackendShared(b)) {
    if (!o.private_region) {
      return Invalid(absl::StrFormat("region %s: backend '%s' is private memory; ask for a "
                                     "private region",
                                     o.name, os::BackendName(b)));
    }
    if (!private_memory_ok) {
      return Invalid(absl::StrFormat(
          "region %s: backend '%s' is impossible in this build: %s", o.name, os::BackendName(b),
          os::config::kSpinlocks ? "mutexes may live only in shared memory (OSPORT_MUTEX_SHARED_ONLY)"
                             : "file-lock mutexes need a file (OSPORT_SPINLOCKS=OFF)"));
    }
  }
  return b;
}

}  // namespace osport::region
