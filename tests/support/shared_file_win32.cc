// Win32 half of tests/support/shared_file.h: a file-backed section and a view.
// (Written with the mutex tests; first built by the Win32 port.)
#include <windows.h>

#include "os/error.h"
#include "tests/support/shared_file.h"

namespace osport::testing::internal {

absl::StatusOr<void*> MapShared(os::File& file, std::size_t size) {
  HANDLE h = reinterpret_cast<HANDLE>(file.native());
  const auto size64 = static_cast<unsigned long long>(size);
  HANDLE section = ::CreateFileMappingW(h, nullptr, PAGE_READWRITE, static_cast<DWORD>(size64 >> 32),
                                        static_cast<DWORD>(size64), nullptr);
  if (section == nullptr) {
    const DWORD err = ::GetLastError();
    return os::OsError(EIO, "CreateFileMappingW", file.path(), static_cast<long>(err), "failed");
  }
  void* p = ::MapViewOfFile(section, FILE_MAP_ALL_ACCESS, 0, 0, size);
  const DWORD err = ::GetLastError();
  ::CloseHandle(section);  // the view keeps the section alive
  if (p == nullptr) return os::OsError(EIO, "MapViewOfFile", file.path(), static_cast<long>(err), "failed");
  return p;
}

void UnmapShared(void* data, std::size_t /*size*/) { ::UnmapViewOfFile(data); }

}  // namespace osport::testing::internal
