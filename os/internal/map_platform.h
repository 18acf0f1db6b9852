// Lets platform map code build and take apart Mapping objects. Not public.
#ifndef OSPORT_OS_INTERNAL_MAP_PLATFORM_H_
#define OSPORT_OS_INTERNAL_MAP_PLATFORM_H_

#include <cstdint>

#include "absl/status/status.h"
#include "os/map.h"

namespace osport::os {

struct MappingAccess {
  static Mapping Make(void* addr, std::uint64_t size, Backend backend, std::uint64_t id,
                      std::intptr_t native) {
    Mapping m;
    m.addr_ = addr;
    m.size_ = size;
    m.backend_ = backend;
    m.id_ = id;
    m.native_ = native;
    return m;
  }
  static void SetView(Mapping& m, void* addr, std::uint64_t size) {
    m.addr_ = addr;
    m.size_ = size;
  }
  static std::intptr_t native(const Mapping& m) { return m.native_; }
  // Forgets the view without unmapping (after the platform code unmapped it).
  static void Clear(Mapping& m) {
    m.addr_ = nullptr;
    m.size_ = 0;
    m.native_ = -1;
  }
};

namespace internal {
// InvalidArgument unless `size` is non-zero and fits this process's address
// space (a 32-bit process cannot map 5 GiB).
[[nodiscard]] absl::Status ValidateMapSize(absl::string_view what, std::uint64_t size);

// InvalidArgument when a file of `have` bytes cannot back `size` mapped bytes
// (mapping past the end would turn accesses into SIGBUS; Win32 would extend
// the file instead). `what` is "map" or "remap".
[[nodiscard]] absl::Status CheckFileCovers(absl::string_view what, const File& file,
                                           std::uint64_t have, std::uint64_t size);

// The errors every platform's map code gives for a backend it lacks, for a
// backend that is not system memory, and for system memory that is gone
// (`why` says how it goes on this platform): Unavailable + EAGAIN, the
// region's cue to remove the stale stub and retry.
[[nodiscard]] absl::Status UnsupportedBackend(Backend backend);
[[nodiscard]] absl::Status NotSystemMemory(Backend backend);
[[nodiscard]] absl::Status MemoryGone(absl::string_view what, absl::string_view why);

// The checks Remap makes before any system call: a mapped file, a sane size.
[[nodiscard]] absl::Status ValidateRemap(const Mapping& mapping, std::uint64_t new_size);
}  // namespace internal

}  // namespace osport::os

#endif  // OSPORT_OS_INTERNAL_MAP_PLATFORM_H_
