// The neutral half of os/file.h: handle ownership and the checked seek
// arithmetic, written once for every platform.
#include "os/file.h"

#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/internal/file_platform.h"

namespace osport::os {

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    (void)Close();
    handle_ = other.release();
    path_ = std::move(other.path_);
  }
  return *this;
}

File::~File() { (void)Close(); }

File File::Adopt(std::intptr_t handle, std::string path) {
  File f;
  f.handle_ = handle;
  f.path_ = std::move(path);
  return f;
}

absl::StatusOr<std::int64_t> SeekOffset(std::uint64_t pgsize, std::uint64_t pageno,
                                        std::uint64_t relative, bool rewind) {
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  auto overflow = [&] {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("seek offset %u * %u + %u overflows a 64-bit offset",
                                         pgsize, pageno, relative));
  };
  if (pgsize != 0 && pageno > kMax / pgsize) return overflow();
  const std::uint64_t pages = pgsize * pageno;
  if (relative > kMax - pages) return overflow();
  const auto offset = static_cast<std::int64_t>(pages + relative);
  return rewind ? -offset : offset;
}

namespace internal {

absl::Status ValidateOpenFlags(const std::string& path, std::uint32_t flags) {
  constexpr std::uint32_t kKnown =
      kOpenReadOnly | kOpenCreate | kOpenExclusive | kOpenTruncate | kOpenNoFollow | kOpenReleaseInForkedChild;
  const char* problem = nullptr;
  if ((flags & ~kKnown) != 0) {
    problem = "unknown open flag bits";
  } else if ((flags & kOpenExclusive) && !(flags & kOpenCreate)) {
    problem = "exclusive open without create";
  } else if ((flags & kOpenTruncate) && (flags & kOpenReadOnly)) {
    problem = "truncate on a read-only open";
  } else if (path.empty()) {
    problem = "empty path";
  } else if (path.find('\0') != std::string::npos) {
    problem = "path contains a NUL byte";
  }
  if (problem == nullptr) return absl::OkStatus();
  return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                       absl::StrFormat("open(\"%s\"): %s (flags 0x%x)", path, problem, flags));
}

absl::Status ValidateOpenMode(const std::string& path, std::uint32_t mode) {
  if ((mode & ~07777u) == 0) return absl::OkStatus();
  return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                       absl::StrFormat("open(\"%s\"): mode 0%o has bits outside 07777", path, mode));
}

absl::Status ValidateRange(const File& file, absl::string_view call, std::uint64_t offset,
                           std::uint64_t len) {
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (offset > kMax || len > kMax - offset) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("%s(\"%s\"): range %u + %u exceeds a 64-bit offset", call,
                                         file.path(), offset, len));
  }
  return absl::OkStatus();
}

absl::Status ValidateLockRange(const File& file, std::uint64_t offset, std::uint64_t len) {
  if (len == 0) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("lock range of \"%s\" at %u is empty", file.path(), offset));
  }
  return ValidateRange(file, "lock", offset, len);
}

}  // namespace internal

absl::StatusOr<std::uint64_t> Seek(File& file, std::uint64_t pgsize, std::uint64_t pageno,
                                   std::uint64_t relative, bool rewind, Whence whence) {
  absl::StatusOr<std::int64_t> offset = SeekOffset(pgsize, pageno, relative, rewind);
  if (!offset.ok()) return offset.status();
  if (whence == Whence::kSet && *offset < 0) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("seek(\"%s\"): offset %d from the start is negative",
                                         file.path(), *offset));
  }
  return internal::SeekTo(file, *offset, whence);
}

}  // namespace osport::os
