// The neutral half of os/map.h: backend names and properties, Mapping moves.
#include "os/map.h"

#include <cstddef>
#include <limits>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/error.h"
#include "os/internal/map_platform.h"

namespace osport::os {

absl::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kFile: return "file";
    case Backend::kHeap: return "heap";
    case Backend::kAnonymous: return "anonymous";
    case Backend::kSysV: return "sysv";
    case Backend::kPosixShm: return "posix";
    case Backend::kPagingFile: return "pagingfile";
  }
  return "unknown";
}

absl::StatusOr<Backend> ParseBackend(absl::string_view name) {
  for (Backend b : {Backend::kFile, Backend::kHeap, Backend::kAnonymous, Backend::kSysV,
                    Backend::kPosixShm, Backend::kPagingFile}) {
    if (name == BackendName(b)) return b;
  }
  return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                       absl::StrCat("unknown backend '", name,
                                    "' (file, heap, anonymous, sysv, posix, pagingfile)"));
}

bool BackendShared(Backend backend) {
  return backend != Backend::kHeap && backend != Backend::kAnonymous;
}

bool BackendNamed(Backend backend) {
  return backend == Backend::kSysV || backend == Backend::kPosixShm ||
         backend == Backend::kPagingFile;
}

bool MapInitRequired() { return config::kMapInit; }

Mapping::~Mapping() { (void)Unmap(); }

Mapping::Mapping(Mapping&& other) noexcept
    : addr_(other.addr_), size_(other.size_), backend_(other.backend_), id_(other.id_),
      native_(other.native_) {
  MappingAccess::Clear(other);
}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    (void)Unmap();
    addr_ = other.addr_;
    size_ = other.size_;
    backend_ = other.backend_;
    id_ = other.id_;
    native_ = other.native_;
    MappingAccess::Clear(other);
  }
  return *this;
}

namespace {
constexpr char kGonePayload[] = "type.osport/memory-gone";
}  // namespace

absl::Status MemoryGoneError(absl::string_view what, absl::string_view why) {
  absl::Status s = PortableError(absl::StatusCode::kUnavailable, EAGAIN,
                                 absl::StrCat(what, " is gone (", why, "); try again"));
  s.SetPayload(kGonePayload, absl::Cord("gone"));
  return s;
}

bool IsMemoryGone(const absl::Status& status) { return status.GetPayload(kGonePayload).has_value(); }

namespace internal {

absl::Status ValidateMapSize(absl::string_view what, std::uint64_t size) {
  if (size == 0) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat(what, ": cannot map 0 bytes"));
  }
  if (size > std::numeric_limits<std::size_t>::max() / 2) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat(what, ": ", size, " bytes do not fit this process's address space"));
  }
  return absl::OkStatus();
}

absl::Status CheckFileCovers(absl::string_view what, const File& file, std::uint64_t have,
                             std::uint64_t size) {
  if (have >= size) return absl::OkStatus();
  return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                       absl::StrFormat("%s \"%s\": the file has %u bytes, fewer than the %u to map",
                                       what, file.path(), have, size));
}

absl::Status UnsupportedBackend(Backend backend) {
  return PortableError(absl::StatusCode::kUnimplemented, ENOSYS,
                       absl::StrCat("backend '", BackendName(backend),
                                    "' is not available on this platform"));
}

absl::Status NotSystemMemory(Backend backend) {
  return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                       absl::StrCat("backend '", BackendName(backend), "' is not system memory"));
}

absl::Status MemoryGone(absl::string_view what, absl::string_view why) { return MemoryGoneError(what, why); }

absl::Status ValidateRemap(const Mapping& mapping, std::uint64_t new_size) {
  if (!mapping.mapped() || mapping.backend() != Backend::kFile) {
    return PortableError(absl::StatusCode::kFailedPrecondition, EINVAL,
                         "remap: only a mapped file can be remapped");
  }
  return ValidateMapSize("remap", new_size);
}

}  // namespace internal
}  // namespace osport::os
