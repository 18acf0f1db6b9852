// Win32 half of the region fixture: views of region files found by walking
// the address space, paging-file sections found by name (from their id).
//
// Windows offers no public way to list named sections (only the native
// object-directory calls), so the ledger (tests/support/ledger.h) lists nothing: a leaked
// section needs a leaked handle or view to stay alive, and those are caught
// by ResourceTest's handle count and CountRegionMappings below.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <psapi.h>

#include <algorithm>
#include <cstdio>
#include <cwchar>
#include <cwctype>
#include <filesystem>
#include <string>

#include "tests/support/region_fixture.h"

namespace osport::testing {
namespace {

// Lower case, backslashes, and no drive letter: Wine and Windows report a
// mapped file's name in NT form ("\Device\HarddiskVolume2\..." or
// "\??\C:\..."), so only the part after the drive can be compared.
std::wstring Comparable(std::wstring p) {
  std::replace(p.begin(), p.end(), L'/', L'\\');
  std::transform(p.begin(), p.end(), p.begin(), [](wchar_t c) { return std::towlower(c); });
  if (p.size() >= 2 && p[1] == L':') p.erase(0, 2);
  return p;
}

}  // namespace

// Counts mapped views (one per allocation base) whose file lies under `dir`,
// plus views of sections with no file (paging-file sections): the count is
// compared before and after a test, so other views of the process cancel out.
int CountRegionMappings(const std::string& dir) {
  const std::wstring want = Comparable(std::filesystem::path(dir).wstring());
  int n = 0;
  const char* at = nullptr;
  const void* last_base = nullptr;
  MEMORY_BASIC_INFORMATION info;
  while (::VirtualQuery(at, &info, sizeof info) == sizeof info) {
    if (info.Type == MEM_MAPPED && info.AllocationBase != last_base) {
      last_base = info.AllocationBase;
      wchar_t name[MAX_PATH * 2];
      const DWORD len = ::GetMappedFileNameW(::GetCurrentProcess(), info.AllocationBase, name,
                                             static_cast<DWORD>(sizeof name / sizeof name[0]));
      if (len == 0 || Comparable(std::wstring(name, len)).find(want) != std::wstring::npos) ++n;
    }
    const char* next = static_cast<const char*>(info.BaseAddress) + info.RegionSize;
    if (next <= at) break;
    at = next;
  }
  return n;
}

bool SystemMemoryExists(os::Backend backend, std::uint64_t id) {
  if (backend != os::Backend::kPagingFile) return false;
  // The name os/win32/map.cc gives the section with this id.
  wchar_t name[40];
  std::swprintf(name, sizeof name / sizeof name[0], L"Local\\osport-%016llx",
                static_cast<unsigned long long>(id));
  HANDLE h = ::OpenFileMappingW(FILE_MAP_READ, FALSE, name);
  if (h == nullptr) return false;
  ::CloseHandle(h);
  return true;
}


}  // namespace osport::testing
