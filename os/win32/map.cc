// Implements os/map.h on Win32: file-backed sections, paging-file sections
// named from the stub file's identity, heap and VirtualAlloc private memory.
#include "os/map.h"

#include <optional>

#include <cstdlib>
#include <cwchar>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/internal/map_platform.h"
#include "os/win32/error.h"
#include "os/win32/sys.h"
#include "os/win32/text.h"

namespace osport::os {

namespace sys = win32::sys;
using win32::LastErrorStatus;

static_assert(sizeof(std::intptr_t) >= sizeof(HANDLE), "a HANDLE must fit Mapping's native slot");

namespace {

const SYSTEM_INFO& SystemInfo() {
  static const SYSTEM_INFO info = [] {
    SYSTEM_INFO i;
    ::GetSystemInfo(&i);
    return i;
  }();
  return info;
}

HANDLE FileHandle(const File& f) { return reinterpret_cast<HANDLE>(f.native()); }

absl::Status Gone(absl::string_view what) {
  return internal::MemoryGone(what, "its last handle closed");
}

// A file's identity: the volume it is on and its index there.
struct Identity {
  DWORD volume = 0;
  std::uint64_t index = 0;
  std::uint64_t size = 0;
};

absl::StatusOr<Identity> IdentityOf(const File& file) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!sys::GetFileInformationByHandle(FileHandle(file), &info)) {
    return LastErrorStatus("GetFileInformationByHandle (fstat)", file.path(), ::GetLastError());
  }
  Identity id;
  id.volume = info.dwVolumeSerialNumber;
  id.index = (std::uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow;
  id.size = (std::uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  return id;
}

// Paging-file sections are named "Local\osport-<id>" ("Local\": this
// session's namespace), and the 64-bit id is what the stub stores. Its high
// half is a tag of the stub's identity (volume serial + file index, what the
// seed named sections from), so a stub copied or restored elsewhere names no
// section of ours; its low half is drawn afresh for each section, because an
// identity alone is not unique over time: Wine (and other filesystems) reuse a
// deleted file's index at once, and a region removed while still attached must
// not hand its live section to the next region created at that path.
// tests/support/region_fixture_win32.cc spells the same name.
std::uint32_t IdentityTag(const Identity& id) {
  // splitmix64's finaliser: every input bit moves the upper half.
  std::uint64_t x = (std::uint64_t{id.volume} << 32) ^ id.index ^ (id.index >> 32 << 16);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<std::uint32_t>(x >> 32);
}

std::wstring SectionName(std::uint64_t id) {
  wchar_t buf[40];
  std::swprintf(buf, sizeof buf / sizeof buf[0], L"Local\\osport-%016llx",
                static_cast<unsigned long long>(id));
  return buf;
}

std::string Printable(const std::wstring& name) { return win32::Narrow(name); }

absl::StatusOr<void*> MapFileView(File& file, std::uint64_t size) {
  // The section is only a way to the view: the view keeps it alive, so its
  // handle is closed at once.
  HANDLE section = sys::CreateSection(FileHandle(file), nullptr, size, nullptr);
  if (section == nullptr) return LastErrorStatus("CreateFileMappingW (mmap)", file.path(), ::GetLastError());
  void* addr = sys::MapView(section, static_cast<std::size_t>(size));
  const DWORD err = ::GetLastError();
  (void)sys::CloseHandle(section);
  if (addr == nullptr) return LastErrorStatus("MapViewOfFile (mmap)", file.path(), err);
  return addr;
}

absl::Status CheckFileSize(File& file, std::uint64_t size, absl::string_view what) {
  absl::StatusOr<Identity> id = IdentityOf(file);
  if (!id.ok()) return id.status();
  return internal::CheckFileCovers(what, file, id->size, size);
}

// One try at a fresh section for `id`; nullptr with *taken set when the name
// is in use (an older section with the same draw).
absl::StatusOr<HANDLE> NewSection(const std::wstring& name, std::uint64_t size,
                                  sys::OwnerOnlySecurity* security, bool* taken) {
  *taken = false;
  // Look first: creating an existing name would silently open it.
  if (HANDLE old = sys::OpenSection(name.c_str()); old != nullptr) {
    (void)sys::CloseHandle(old);
    *taken = true;
    return nullptr;
  }
  HANDLE section = sys::CreateSection(INVALID_HANDLE_VALUE, &security->attributes, size, name.c_str());
  if (section == nullptr) return LastErrorStatus("CreateFileMappingW", Printable(name), ::GetLastError());
  if (::GetLastError() == ERROR_ALREADY_EXISTS) {
    // Another process created it between our look and our create.
    (void)sys::CloseHandle(section);
    *taken = true;
    return nullptr;
  }
  return section;
}

absl::StatusOr<Mapping> CreatePagingFile(File& stub, std::uint64_t size) {
  absl::StatusOr<Identity> who = IdentityOf(stub);
  if (!who.ok()) return who.status();
  sys::OwnerOnlySecurity security;
  if (!sys::InitOwnerOnlySecurity(&security)) {
    return LastErrorStatus("GetTokenInformation (security descriptor)", stub.path(), ::GetLastError());
  }
  std::random_device rd;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::uint64_t id = std::uint64_t{IdentityTag(*who)} << 32 | (rd() | 1u);  // low half never 0
    const std::wstring name = SectionName(id);
    bool taken = false;
    absl::StatusOr<HANDLE> section = NewSection(name, size, &security, &taken);
    if (!section.ok()) return section.status();
    if (taken) continue;
    void* addr = sys::MapView(*section, static_cast<std::size_t>(size));
    if (addr == nullptr) {
      absl::Status s = LastErrorStatus("MapViewOfFile", Printable(name), ::GetLastError());
      (void)sys::CloseHandle(*section);  // the section dies with it
      return s;
    }
    // The handle stays open for the mapping's life: with the view it keeps
    // the section; Mapping::Unmap closes both.
    return MappingAccess::Make(addr, size, Backend::kPagingFile, id,
                               reinterpret_cast<std::intptr_t>(*section));
  }
  return PortableError(absl::StatusCode::kAlreadyExists, EEXIST,
                       absl::StrCat("CreateFileMappingW: no free section name for \"", stub.path(),
                                    "\" in 8 attempts"));
}

absl::StatusOr<Mapping> AttachPagingFile(File& stub, std::uint64_t id, std::uint64_t size,
                                         bool read_only) {
  absl::StatusOr<Identity> who = IdentityOf(stub);
  if (!who.ok()) return who.status();
  const std::wstring name = SectionName(id);
  const std::string what = absl::StrCat("section ", Printable(name));
  // A stub that is not the file the section was made for (copied, restored)
  // names nothing that is ours.
  if (id >> 32 != IdentityTag(*who)) return Gone(what);
  HANDLE section = sys::OpenSection(name.c_str(), read_only);
  if (section == nullptr) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND) return Gone(what);
    return LastErrorStatus("OpenFileMappingW", Printable(name), err);
  }
  void* addr = sys::MapView(section, 0, read_only);
  if (addr == nullptr) {
    absl::Status s = LastErrorStatus("MapViewOfFile", Printable(name), ::GetLastError());
    (void)sys::CloseHandle(section);
    return s;
  }
  // One smaller than the region is not the one the stub describes.
  if (sys::ViewSize(addr) < size) {
    (void)sys::UnmapView(addr);
    (void)sys::CloseHandle(section);
    return Gone(absl::StrCat(what, " (too small)"));
  }
  return MappingAccess::Make(addr, size, Backend::kPagingFile, id,
                             reinterpret_cast<std::intptr_t>(section));
}

}  // namespace

bool BackendSupported(Backend backend) {
  return backend != Backend::kSysV && backend != Backend::kPosixShm;
}

std::uint64_t MapGranularity() { return SystemInfo().dwAllocationGranularity; }

absl::Status Mapping::Unmap() {
  if (addr_ == nullptr) return absl::OkStatus();
  void* addr = addr_;
  const std::intptr_t native = native_;
  MappingAccess::Clear(*this);
  switch (backend_) {
    case Backend::kHeap:
      std::free(addr);
      return absl::OkStatus();
    case Backend::kAnonymous:
      if (!sys::FreePages(addr)) return LastErrorStatus("VirtualFree (munmap)", "", ::GetLastError());
      return absl::OkStatus();
    default: break;
  }
  absl::Status s;
  if (!sys::UnmapView(addr)) s = LastErrorStatus("UnmapViewOfFile (munmap)", "", ::GetLastError());
  // The section handle goes even when the unmap failed: nothing else could
  // close it later.
  if (native != -1 && !sys::CloseHandle(reinterpret_cast<HANDLE>(native)) && s.ok()) {
    s = LastErrorStatus("CloseHandle (section)", "", ::GetLastError());
  }
  return s;
}

absl::StatusOr<Mapping> MapFile(File& file, std::uint64_t size, std::optional<std::uint64_t> file_size) {
  if (absl::Status s = internal::ValidateMapSize(absl::StrCat("map \"", file.path(), "\""), size);
      !s.ok()) {
    return s;
  }
  // CreateFileMappingW would extend a short file; the contract is an error.
  if (file_size.has_value()) {
    if (absl::Status s = internal::CheckFileCovers("map", file, *file_size, size); !s.ok()) return s;
  } else if (absl::Status s = CheckFileSize(file, size, "map"); !s.ok()) {
    return s;
  }
  absl::StatusOr<void*> addr = MapFileView(file, size);
  if (!addr.ok()) return addr.status();
  return MappingAccess::Make(*addr, size, Backend::kFile, 0, -1);
}

absl::Status Remap(Mapping& mapping, File& file, std::uint64_t new_size) {
  if (absl::Status s = internal::ValidateRemap(mapping, new_size); !s.ok()) return s;
  if (absl::Status s = CheckFileSize(file, new_size, "remap"); !s.ok()) return s;
  // The new view first, then drop the old: a failure leaves the caller its
  // region (and the lock inside it). Both views show the same file pages.
  absl::StatusOr<void*> fresh = MapFileView(file, new_size);
  if (!fresh.ok()) return fresh.status();
  (void)sys::UnmapView(mapping.data());
  MappingAccess::SetView(mapping, *fresh, new_size);
  return absl::OkStatus();
}

absl::StatusOr<Mapping> MapPrivate(Backend backend, std::uint64_t size) {
  if (absl::Status s = internal::ValidateMapSize("map private memory", size); !s.ok()) return s;
  if (backend == Backend::kHeap) {
    void* addr = std::calloc(1, static_cast<std::size_t>(size));
    if (addr == nullptr) return OsError(ENOMEM, "calloc", "", ENOMEM, "out of memory");
    return MappingAccess::Make(addr, size, backend, 0, -1);
  }
  if (backend != Backend::kAnonymous) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("backend '", BackendName(backend), "' is not private memory"));
  }
  void* addr = sys::AllocatePages(static_cast<std::size_t>(size));
  if (addr == nullptr) return LastErrorStatus("VirtualAlloc (mmap)", "anonymous", ::GetLastError());
  return MappingAccess::Make(addr, size, backend, 0, -1);
}

absl::StatusOr<Mapping> CreateSystemMemory(Backend backend, File& stub, std::uint64_t size,
                                           std::uint32_t mode) {
  // Windows has no mode bits for sections: the descriptor admits this user only.
  (void)mode;
  if (absl::Status s = internal::ValidateMapSize("create system memory", size); !s.ok()) return s;
  switch (backend) {
    case Backend::kPagingFile: return CreatePagingFile(stub, size);
    case Backend::kSysV:
    case Backend::kPosixShm: return internal::UnsupportedBackend(backend);
    default: return internal::NotSystemMemory(backend);
  }
}

absl::StatusOr<Mapping> AttachSystemMemory(Backend backend, File& stub, std::uint64_t id,
                                           std::uint64_t size, MapAccess access) {
  if (absl::Status s = internal::ValidateMapSize("attach system memory", size); !s.ok()) return s;
  switch (backend) {
    case Backend::kPagingFile: return AttachPagingFile(stub, id, size, access == MapAccess::kReadOnly);
    case Backend::kSysV:
    case Backend::kPosixShm: return internal::UnsupportedBackend(backend);
    default: return internal::NotSystemMemory(backend);
  }
}

std::string SystemMemoryName(Backend backend, std::uint64_t id) {
  if (backend == Backend::kPagingFile) {
    return absl::StrFormat("paging-file section %s (gone with its last handle)", win32::Narrow(SectionName(id)));
  }
  return absl::StrFormat("%s memory %u", BackendName(backend), id);
}

absl::Status RemoveSystemMemory(Backend backend, std::uint64_t id) {
  (void)id;
  switch (backend) {
    case Backend::kPagingFile: return absl::OkStatus();  // it dies with its last handle
    case Backend::kSysV:
    case Backend::kPosixShm: return internal::UnsupportedBackend(backend);
    default: return internal::NotSystemMemory(backend);
  }
}

absl::StatusOr<std::vector<std::uint64_t>> DerivedSystemMemoryIds(Backend backend, File& stub) {
  (void)stub;
  switch (backend) {
    case Backend::kPagingFile: return std::vector<std::uint64_t>{};  // names are not derived
    case Backend::kSysV:
    case Backend::kPosixShm: return internal::UnsupportedBackend(backend);
    default: return internal::NotSystemMemory(backend);
  }
}

// A paging-file section dies with its last handle, so a dead creator leaves
// nothing behind; SysV and POSIX shm do not exist here: nothing to remove.
absl::Status RemoveSystemMemoryOf(Backend backend, File& stub) {
  (void)backend;
  (void)stub;
  return absl::OkStatus();
}

absl::Status Prefault(Mapping& mapping, std::uint64_t offset, std::uint64_t len) {
  if (offset > mapping.size() || len > mapping.size() - offset) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("prefault: [%u, +%u) is outside the %u-byte mapping",
                                         offset, len, mapping.size()));
  }
  if (len == 0) return absl::OkStatus();
  // Windows has no populate call for views: write each page (only done on
  // memory the caller owns alone: new regions, freshly grown pages).
  auto* base = static_cast<unsigned char*>(mapping.data());
  const std::uint64_t page = SystemInfo().dwPageSize;
  for (std::uint64_t at = offset; at < offset + len; at += page) {
    volatile unsigned char* p = base + at;
    *p = *p;
  }
  volatile unsigned char* last = base + offset + len - 1;
  *last = *last;
  return absl::OkStatus();
}

// Windows has no populate call for a view that leaves data alone (a touch
// loop would write); the pages fault on first use instead.
void PrefaultHint(Mapping& mapping, std::uint64_t offset, std::uint64_t len) {
  (void)mapping;
  (void)offset;
  (void)len;
}

// A paging-file section dies with its last handle: the zero-on-last-close
// rule is native here, and nothing needs doing.
void ReleaseLastUser(Mapping& mapping, std::uint64_t keep) {
  (void)mapping;
  (void)keep;
}

}  // namespace osport::os
