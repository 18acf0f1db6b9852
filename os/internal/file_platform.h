// The platform primitives that the neutral half of os/file.h calls; each
// platform implements them in os/<platform>/file.cc. Not a public header.
#ifndef OSPORT_OS_INTERNAL_FILE_PLATFORM_H_
#define OSPORT_OS_INTERNAL_FILE_PLATFORM_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "os/file.h"

namespace osport::os::internal {

// Moves the file position by an already-checked offset; returns the new one.
[[nodiscard]] absl::StatusOr<std::uint64_t> SeekTo(File& file, std::int64_t offset, Whence whence);

// InvalidArgument naming the problem if `flags` is not a valid OpenFlags set.
[[nodiscard]] absl::Status ValidateOpenFlags(const std::string& path, std::uint32_t flags);

// InvalidArgument if `mode` has bits outside 07777.
[[nodiscard]] absl::Status ValidateOpenMode(const std::string& path, std::uint32_t mode);

// InvalidArgument if [offset, offset + len) does not fit a signed 64-bit
// offset; `call` ("allocate", "pread"...) names the operation in the message.
[[nodiscard]] absl::Status ValidateRange(const File& file, absl::string_view call, std::uint64_t offset,
                                         std::uint64_t len);

// InvalidArgument if a lock range is empty or does not fit (ValidateRange).
[[nodiscard]] absl::Status ValidateLockRange(const File& file, std::uint64_t offset, std::uint64_t len);

// The chunk the allocation fallback writes zeros in.
inline constexpr std::uint64_t kZeroChunk = std::uint64_t{1} << 20;

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_FILE_PLATFORM_H_
