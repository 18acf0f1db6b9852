// Implements the memory half of os/win32/sys.h: sections, views, private
// pages and the owner-only security descriptor, gated by the hook table.
#include "os/win32/sys.h"

namespace osport::os::win32::sys {

HANDLE CreateSection(HANDLE file, SECURITY_ATTRIBUTES* security, std::uint64_t size,
                     const wchar_t* name) {
  if (Enter(Op::kShmCreate).fail) return nullptr;
  return ::CreateFileMappingW(file, security, PAGE_READWRITE, static_cast<DWORD>(size >> 32),
                              static_cast<DWORD>(size), name);
}

HANDLE OpenSection(const wchar_t* name, bool read_only) {
  if (Enter(Op::kShmCreate).fail) return nullptr;
  return ::OpenFileMappingW(read_only ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE, FALSE, name);
}

void* MapView(HANDLE section, std::size_t size, bool read_only) {
  if (Enter(Op::kMap).fail) return nullptr;
  return ::MapViewOfFile(section, read_only ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE, 0, 0,
                         size);
}

// An injected unmap failure still releases the view, as an injected
// CloseHandle failure releases the handle (sys.cc): the call reports the
// error its caller must handle, and a test's leak checks see only the
// caller's leaks.
BOOL UnmapView(const void* addr) {
  if (Enter(Op::kUnmap).fail) {
    const DWORD saved = ::GetLastError();
    ::UnmapViewOfFile(addr);
    ::SetLastError(saved);
    return FALSE;
  }
  return ::UnmapViewOfFile(addr);
}

void* AllocatePages(std::size_t size) {
  if (Enter(Op::kMap).fail) return nullptr;
  return ::VirtualAlloc(nullptr, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

BOOL FreePages(void* addr) {
  if (Enter(Op::kUnmap).fail) {  // released anyway: see UnmapView
    const DWORD saved = ::GetLastError();
    ::VirtualFree(addr, 0, MEM_RELEASE);
    ::SetLastError(saved);
    return FALSE;
  }
  return ::VirtualFree(addr, 0, MEM_RELEASE);
}

SIZE_T ViewSize(const void* addr) {
  if (Enter(Op::kStat).fail) return 0;
  MEMORY_BASIC_INFORMATION info;
  if (::VirtualQuery(addr, &info, sizeof info) == 0) return 0;
  return info.RegionSize;
}

BOOL InitOwnerOnlySecurity(OwnerOnlySecurity* s) {
  if (Enter(Op::kShmCreate).fail) return FALSE;
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return FALSE;
  DWORD needed = 0;
  const BOOL got = ::GetTokenInformation(token, TokenUser, s->user, sizeof s->user, &needed);
  const DWORD err = ::GetLastError();
  ::CloseHandle(token);
  if (!got) {
    ::SetLastError(err);
    return FALSE;
  }
  PSID sid = reinterpret_cast<TOKEN_USER*>(s->user)->User.Sid;
  auto* acl = reinterpret_cast<ACL*>(s->acl);
  if (!::InitializeAcl(acl, sizeof s->acl, ACL_REVISION) ||
      !::AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, sid) ||
      !::InitializeSecurityDescriptor(&s->descriptor, SECURITY_DESCRIPTOR_REVISION) ||
      !::SetSecurityDescriptorDacl(&s->descriptor, TRUE, acl, FALSE)) {
    return FALSE;
  }
  s->attributes.nLength = sizeof s->attributes;
  s->attributes.lpSecurityDescriptor = &s->descriptor;
  s->attributes.bInheritHandle = FALSE;
  return TRUE;
}

}  // namespace osport::os::win32::sys
