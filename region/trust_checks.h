// The region's side of the trust boundary (issue 12): the home opened once
// with no symbolic link in its path and checked (os/trust.h), every region
// file and stub opened relative to it and checked before it is read, and
// system memory checked before it is mapped. Internal to region/: attach.cc,
// create.cc, detach.cc, stat.cc and remove.cc call these, each from one place.
#ifndef OSPORT_REGION_TRUST_CHECKS_H_
#define OSPORT_REGION_TRUST_CHECKS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "os/dir.h"
#include "os/file.h"
#include "os/map.h"
#include "region/options.h"

namespace osport::region {

// `caller` below is os::CurrentUser(), read once per operation (attach,
// stat, remove) by its caller and passed to every check of that operation.

// Opens options.home by os::OpenTrustedHome with options.trust: a symbolic
// link in any component, or a home another user owns or can write (unless
// sticky and allowed) is the untrusted error; a missing home is NotFound
// ("region home ... does not exist"), one that is not a directory
// FailedPrecondition + ENOTDIR (HomeError, region/options.h).
[[nodiscard]] absl::StatusOr<os::Dir> OpenRegionHome(const RegionOptions& options,
                                                     const std::string& caller);

// Opens the existing region file `options.name` in `home` (read-only or
// read-write) without blocking and checks it before it is read: a regular
// file, owned by `caller` or a trusted owner, one link, no write bit beyond
// `mode` (os::CheckTrustedFile); untrusted otherwise -- except a directory,
// FIFO, socket or device, whether opened or refused by open(2), which gets
// RefuseSpecialFile's verdict (region/preflight.h: not_a_region, or
// untrusted when another user's).
// NotFound if it does not exist, or lost its last name between the open and
// the check (a destroyer removed it meanwhile: not untrusted, gone).
// OtherLinks::kAllow (a forced removal only) accepts a file that also has
// names elsewhere: unlinking our name leaves those alone, and a hard link
// someone planted with the file's own access (group-shared regions; under
// fs.protected_hardlinks nobody else can) must not keep its owner from
// freeing the name (review 10, attacker F3). Everything else is still
// checked; the removal takes no memory through such a name (remove.cc).
enum class OtherLinks : bool { kRefuse, kAllow };
[[nodiscard]] absl::StatusOr<os::File> OpenRegionFile(os::Dir& home, const RegionOptions& options,
                                                      const std::string& caller, bool read_only,
                                                      std::uint32_t mode,
                                                      OtherLinks links = OtherLinks::kRefuse);

// SysV segments and POSIX objects: os::CheckTrustedSystemMemory with the
// options' policy before they are mapped. Other backends (files, Win32
// paging-file sections named from the checked stub): OK.
[[nodiscard]] absl::Status CheckRegionMemory(os::Backend backend, std::uint64_t id,
                                             const RegionOptions& options, std::uint32_t mode);

// CheckRegionMemory, then os::AttachSystemMemory with `access`: memory
// another user owns is never mapped. Memory that is gone is Unavailable +
// EAGAIN, as there. Callers go through AttachBoundMemory (region/token.h).
[[nodiscard]] absl::StatusOr<os::Mapping> AttachRegionMemory(os::Backend backend, os::File& stub,
                                                             std::uint64_t id, std::uint64_t size,
                                                             const RegionOptions& options,
                                                             std::uint32_t mode, os::MapAccess access);

// CheckRegionMemory, then os::RemoveSystemMemory: memory another user owns
// is never removed (the untrusted error says which). Gone already: OK.
[[nodiscard]] absl::Status RemoveRegionMemory(os::Backend backend, std::uint64_t id,
                                              const RegionOptions& options);

// Whether `name` in `home` (not following a link) is the open `file`.
[[nodiscard]] absl::StatusOr<bool> SameFileAt(os::Dir& home, const std::string& name, os::File& file);

// Removes `name` from `home` only if it still names `file` (callers hold
// the file's exclusive liveness lock: region/liveness.h). NotFound is OK.
[[nodiscard]] absl::Status UnlinkIfSameAt(os::Dir& home, const std::string& name, os::File& file);

}  // namespace osport::region

#endif  // OSPORT_REGION_TRUST_CHECKS_H_
