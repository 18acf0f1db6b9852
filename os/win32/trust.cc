// The platform half of os/trust.h on Win32. A paging-file section is named
// from its stub file's identity and created with an owner-only DACL
// (sys::OwnerOnlySecurity), so the stub's owner check (OpenTrusted: the
// file's owner SID) is what guards it; there is no separate owner to read.
#include "os/trust.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/internal/map_platform.h"

namespace osport::os {

absl::StatusOr<SystemMemoryInfo> StatSystemMemory(Backend backend, std::uint64_t id) {
  switch (backend) {
    case Backend::kPagingFile:
      return PortableError(absl::StatusCode::kUnimplemented, ENOSYS,
                           absl::StrCat("owner of pagingfile section ", id,
                                        ": not implemented on Win32 (the section is created "
                                        "owner-only and named from its stub; check the stub)"));
    case Backend::kSysV:
    case Backend::kPosixShm: return internal::UnsupportedBackend(backend);
    default: break;
  }
  return internal::NotSystemMemory(backend);
}

}  // namespace osport::os
