// Read-before-map validation (issue 12, F5): what an existing region file or
// stub claims, read with an ordinary read and checked -- magic, format, size,
// backend, flags, system id, counts -- before anything maps it writable or
// pre-faults it. A file that is not an osport region (a hard link to someone's
// file, a damaged file) is refused here and never mapped or written. Pure
// validation on os/ calls: region/'s attach, stat, remove and list call it.
#ifndef OSPORT_REGION_PREFLIGHT_H_
#define OSPORT_REGION_PREFLIGHT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "os/dir.h"
#include "os/file.h"
#include "os/map.h"
#include "region/options.h"

namespace osport::region {

struct Preflight {
  // false: the file is shorter than a header or its magic is still 0 -- being
  // created or removed; the caller retries (nothing else below is set).
  bool ready = false;
  // The file is exactly one header: a stub naming system memory.
  bool stub = false;
  os::Backend backend = os::Backend::kFile;
  std::uint64_t size = 0;       // the region size the header claims
  std::uint64_t system_id = 0;  // stubs: the memory's id (never 0)
  std::uint32_t mode = 0;
  std::uint32_t flags = 0;
};

// Reads the header of `file` (seeking to 0 first), whose size the caller has
// just read as `file_size`, and validates it. Errors: kNotARegion for a
// magic that is not osport's ("not an osport region"), kCorrupt naming the
// field, kIncompatible (format, byte
// order), kTruncated (a region file shorter than its header says). For a
// region file every header field is checked (CheckFields); for a stub the
// fields a joiner acts on: named flag, a named backend, size, a non-zero id.
[[nodiscard]] absl::StatusOr<Preflight> PreflightHeader(os::File& file, std::uint64_t file_size,
                                                        absl::string_view name);

// Whether `file` (`file_size` bytes, looked at holding its liveness lock,
// so no creator is writing it) can be osport's: an empty file (a creator
// died before its first write), or whole header pages starting with a
// creation record (Attacher::WriteRecord) or a header -- a format word
// this build writes, a token, and the identity (device, inode) of this
// very file; magic 0 or osport's. Anything else -- a pidfile, notes, a
// binary, a file of zeros, a copy of a region file -- is not a region and is
// never replaced or removed as an abandoned creation (issue 12).
[[nodiscard]] absl::StatusOr<bool> MayBeOsportFile(os::File& file, std::uint64_t file_size);

// Whether `file` is osport's to remove by force (remove --force): what
// MayBeOsportFile takes, or a header with osport's magic (either byte
// order) and a format word of some osport build (PlausibleFormatWord) -- a
// region or stub, perhaps damaged or made by another build; never a file
// that is not_a_region to everything else. Reads the first page.
[[nodiscard]] absl::StatusOr<bool> IsOsportFile(os::File& file, std::uint64_t file_size);

// The verdict on what stands at a region's name when `info` (lstat of
// `path`) is neither a regular file nor a symbolic link -- a directory,
// FIFO, socket or device, which no osport call makes: the caller's own (or
// a TrustPolicy owner's) is kNotARegion ("PATH is a FIFO, not an osport
// region or stub; osport leaves it alone"); another user's is untrusted,
// naming the owner (os::CheckTrustedFile). Every call -- attach, stat,
// remove with or without force -- and the tool answer the same and leave
// it in place.
// InvalidArgument for a regular file or a symbolic link.
[[nodiscard]] absl::Status RefuseSpecialFile(const os::FileInfo& info, const std::string& caller,
                                             const RegionOptions& o, const std::string& path);

}  // namespace osport::region

#endif  // OSPORT_REGION_PREFLIGHT_H_
