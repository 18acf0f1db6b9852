// Mapping region memory: a file's pages, private memory, or named system
// memory that other processes join (SysV, POSIX shm, Win32 paging-file
// sections). The region module picks a backend; this layer only maps.
#ifndef OSPORT_OS_MAP_H_
#define OSPORT_OS_MAP_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "os/file.h"

namespace osport::os {

// Where a region's memory lives. The numeric values are stored in region
// headers on disk: never renumber.
enum class Backend : std::uint32_t {
  kFile = 1,       // the backing file's pages, mapped shared; the only one that can grow
  kHeap = 2,       // private heap memory (one process)
  kAnonymous = 3,  // private anonymous mapping (one process)
  kSysV = 4,       // SysV shared memory (shmget); id kept in the stub file
  kPosixShm = 5,   // POSIX shm_open under a short name derived from an id
  kPagingFile = 6, // Win32 paging-file section named from the file's identity
};

// "file", "heap", "anonymous", "sysv", "posix", "pagingfile"; and back.
[[nodiscard]] absl::string_view BackendName(Backend backend);
[[nodiscard]] absl::StatusOr<Backend> ParseBackend(absl::string_view name);

// Whether this platform implements `backend`.
[[nodiscard]] bool BackendSupported(Backend backend);
// Whether memory of this backend can be joined by another process.
[[nodiscard]] bool BackendShared(Backend backend);
// Whether the memory is system memory found through an id in a stub file.
[[nodiscard]] bool BackendNamed(Backend backend);

// The granularity sizes and offsets of mappings are rounded to (4 KiB pages on
// most POSIX systems, 64 KiB allocation granularity on Win32).
[[nodiscard]] std::uint64_t MapGranularity();

// Whether every page of a new region must be written before it can be mapped
// (the OSPORT_MAPINIT quirk, from os/config.h).
[[nodiscard]] bool MapInitRequired();

// One mapped view. Move-only; the destructor unmaps (ignoring errors), so call
// Unmap() where the error matters. Never copies or owns the backing file.
class Mapping {
 public:
  Mapping() = default;
  ~Mapping();
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  [[nodiscard]] void* data() const { return addr_; }
  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] Backend backend() const { return backend_; }
  [[nodiscard]] bool mapped() const { return addr_ != nullptr; }
  // The system memory id (SysV shmid, POSIX shm id); 0 for other backends.
  [[nodiscard]] std::uint64_t system_id() const { return id_; }

  [[nodiscard]] absl::Status Unmap();

 private:
  friend struct MappingAccess;
  void* addr_ = nullptr;
  std::uint64_t size_ = 0;
  Backend backend_ = Backend::kFile;
  std::uint64_t id_ = 0;
  std::intptr_t native_ = -1;  // Win32 section handle; unused on POSIX
};

// Maps `size` bytes of `file` from offset 0, shared and writable. The file must
// already be at least `size` bytes long: mapping past the end would turn
// later accesses into SIGBUS, so a shorter file is an error (EINVAL).
// `file_size`, when the caller has just read it (GetIoInfo), is checked
// instead of asking the system again: one call less on every region join.
// Where range locks belong to the open file (Linux OFD locks), the mapping is
// made through an open file description of its own (/proc/self/fd/N opened
// anew, then closed; without /proc, through `file`'s), so it never keeps
// `file`'s locks alive -- in a forked child that inherits the mapping, say
// (ReleaseInForkedChild, os/file.h). Remap keeps that description.
[[nodiscard]] absl::StatusOr<Mapping> MapFile(File& file, std::uint64_t size,
                                              std::optional<std::uint64_t> file_size = std::nullopt);

// Remaps a file mapping at `new_size` (after the file grew), keeping the
// contents; the address may change.
[[nodiscard]] absl::Status Remap(Mapping& mapping, File& file, std::uint64_t new_size);

// Private memory for one process: kHeap or kAnonymous. Zero-filled.
[[nodiscard]] absl::StatusOr<Mapping> MapPrivate(Backend backend, std::uint64_t size);

// Creates named system memory of `size` bytes (kSysV, kPosixShm,
// kPagingFile) for the region whose backing (stub) file is `stub`, with
// permissions `mode`, and maps it. Its name (SysV key, shm name, section
// name) is derived from the stub's identity, so memory whose id never
// reached the stub can still be found (RemoveSystemMemoryOf). The caller
// must hold the stub's exclusive liveness lock (region/liveness.h). The returned mapping's system_id() is
// what joiners pass to AttachSystemMemory. Zero-filled. Nothing is left
// behind on failure.
[[nodiscard]] absl::StatusOr<Mapping> CreateSystemMemory(Backend backend, File& stub,
                                                         std::uint64_t size, std::uint32_t mode);

// How existing system memory is mapped. kReadOnly needs no write access
// (SysV SHM_RDONLY; POSIX shm opened O_RDONLY, PROT_READ; Win32
// FILE_MAP_READ): a write through it faults. Memory is looked at this way
// before it is trusted (region/token.h), and by stat and remove.
enum class MapAccess { kReadWrite, kReadOnly };

// Maps existing system memory. If it is gone (a reboot removed it, its last
// handle closed), fails with Unavailable + EAGAIN: the caller removes the stale
// stub and starts again.
[[nodiscard]] absl::StatusOr<Mapping> AttachSystemMemory(Backend backend, File& stub,
                                                         std::uint64_t id, std::uint64_t size,
                                                         MapAccess access = MapAccess::kReadWrite);

// The ids of system memory of `backend` that may exist under the names
// derived from `stub` (see RemoveSystemMemoryOf): SysV, the segments that
// exist under the stub's keys (shmget; keys another user's segment holds
// are skipped); POSIX, every candidate name's id (whether an object exists
// there is found by attaching it). Where a stub whose recorded id, size or
// backend is damaged still finds the memory it was made with
// (region/token.h). Win32 paging-file sections: none (their names are not
// derived; a section dies with its last handle).
[[nodiscard]] absl::StatusOr<std::vector<std::uint64_t>> DerivedSystemMemoryIds(Backend backend,
                                                                                File& stub);

// How a person finds and removes system memory `id` of `backend` by hand,
// for messages about memory left in place: "SysV segment 123 (ipcrm -m
// 123)", "POSIX shm /osport-00ab... (shm_unlink it; on Linux: rm
// /dev/shm/osport-00ab...)",
// "paging-file section Local\osport-00ab... (gone with its last handle)".
[[nodiscard]] std::string SystemMemoryName(Backend backend, std::uint64_t id);

// Whether `status` says that system memory is gone -- removed, lost in a
// reboot, its last handle closed, or (region/token.h) the memory under a
// stub's recorded id is not that stub's -- as AttachSystemMemory,
// StatSystemMemory (os/trust.h) and MemoryGoneError report it: Unavailable +
// EAGAIN carrying a "gone" payload. A call that failed with EAGAIN for
// another reason (an mmap or shmat refused for now: RLIMIT_MEMLOCK under
// mlockall, say) is NOT gone: the memory may well be there, and treating
// it as gone leaked it (review 10: a create made its memory again under a
// new name and left the first).
[[nodiscard]] bool IsMemoryGone(const absl::Status& status);
// The status IsMemoryGone recognises: "<what> is gone (<why>); try again".
[[nodiscard]] absl::Status MemoryGoneError(absl::string_view what, absl::string_view why);

// Removes system memory by id (IPC_RMID, shm_unlink; nothing on Win32, where
// a section dies with its last handle). Memory already gone is OK.
[[nodiscard]] absl::Status RemoveSystemMemory(Backend backend, std::uint64_t id);

// Removes system memory of `backend` that a creator for `stub` made but
// never recorded (it died first): POSIX names it from the stub's identity
// (device + inode), so it can be found. Only for an empty stub (a creator
// records the id before it writes the memory: a stub with a record finds
// its memory by that), and only memory that is unattached, was never
// written, was made no earlier than the second before the stub's last
// modification (timestamps in whole seconds, from two clocks that may be a
// tick apart: os/posix/map.cc, kClockSlack) and is owned and made by the
// stub's owner is removed, never another region's. Memory under those names that looks abandoned but that
// another user owns or made is left in place: the result is then the
// untrusted error (os/trust.h) naming each piece left and its owner. Memory
// that vanishes meanwhile (a concurrent remover) is gone, not an error.
// Win32 paging-file sections die with their last handle: nothing to do.
// Other backends: OK.
[[nodiscard]] absl::Status RemoveSystemMemoryOf(Backend backend, File& stub);

// Faults in [offset, offset + len) of a mapping for writing, so later
// accesses take no page faults (and file pages are allocated).
[[nodiscard]] absl::Status Prefault(Mapping& mapping, std::uint64_t offset, std::uint64_t len);

// A hint: asks the system to fault [offset, offset + len) in for writing in
// one call where it can (Linux >= 5.14), instead of one fault per page -- and
// instead of a read fault then a write fault on a page that is read first.
// Never writes to the memory, so unlike Prefault's fallback it is safe on
// memory other processes are using. Errors and old kernels are ignored: the
// pages then fault on first use, as without the hint.
void PrefaultHint(Mapping& mapping, std::uint64_t offset, std::uint64_t len);

// The Win95 rule (OSPORT_ZERO_ON_LAST_CLOSE): called by the last process to
// detach from named system memory, while it still holds the region lock.
// Where the platform drops the memory by itself (Win32) this does nothing;
// elsewhere, in builds with the quirk, it zeroes the memory from `keep` on
// (the caller keeps the lock word it is about to release), which is what a
// joiner of the Win95 era found. Without the quirk it does nothing.
void ReleaseLastUser(Mapping& mapping, std::uint64_t keep);

}  // namespace osport::os

#endif  // OSPORT_OS_MAP_H_
