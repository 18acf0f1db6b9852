// Implements os/win32/sys_dir.h: each call, gated by the hook table.
#include "os/win32/sys_dir.h"

#include <aclapi.h>
#include <sddl.h>

#include <vector>

namespace osport::os::win32::sys {

namespace {

BOOL SidText(PSID sid, std::wstring* out) {
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(sid, &text)) return FALSE;
  out->assign(text);
  ::LocalFree(text);
  return TRUE;
}

}  // namespace

BOOL FullPath(const wchar_t* path, std::wstring* out) {
  if (Enter(Op::kStat).fail) return FALSE;
  DWORD n = ::GetFullPathNameW(path, 0, nullptr, nullptr);
  if (n == 0) return FALSE;
  std::vector<wchar_t> buf(n + 1);
  n = ::GetFullPathNameW(path, static_cast<DWORD>(buf.size()), buf.data(), nullptr);
  if (n == 0 || n >= buf.size()) {
    if (n != 0) ::SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return FALSE;
  }
  out->assign(buf.data(), n);
  return TRUE;
}

BOOL MovePath(const wchar_t* from, const wchar_t* to) {
  if (Enter(Op::kRename).fail) return FALSE;
  return ::MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING);
}

BOOL LinkPath(const wchar_t* existing, const wchar_t* new_name) {
  if (Enter(Op::kLink).fail) return FALSE;
  return ::CreateHardLinkW(new_name, existing, nullptr);
}

BOOL OwnerSid(HANDLE h, std::wstring* sid) {
  if (Enter(Op::kStat).fail) return FALSE;
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const DWORD rc = ::GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr,
                                     nullptr, nullptr, &sd);
  if (rc != ERROR_SUCCESS) {
    ::SetLastError(rc);
    return FALSE;
  }
  const BOOL ok = owner != nullptr && SidText(owner, sid);
  const DWORD err = ::GetLastError();
  ::LocalFree(sd);
  if (!ok) ::SetLastError(owner == nullptr ? ERROR_INVALID_SECURITY_DESCR : err);
  return ok;
}

BOOL CurrentUserSid(std::wstring* sid) {
  if (Enter(Op::kProcessInfo).fail) return FALSE;
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return FALSE;
  alignas(8) unsigned char buf[256];
  DWORD n = 0;
  BOOL ok = ::GetTokenInformation(token, TokenUser, buf, sizeof buf, &n);
  const DWORD err = ::GetLastError();
  ::CloseHandle(token);
  if (!ok) {
    ::SetLastError(err);
    return FALSE;
  }
  return SidText(reinterpret_cast<TOKEN_USER*>(buf)->User.Sid, sid);
}

}  // namespace osport::os::win32::sys
