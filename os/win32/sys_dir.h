// The Win32 calls behind os/dir.h and os/trust.h, each behind the hook table
// (the directory half of os/win32/sys.h). Internal header: includes <windows.h>.
#ifndef OSPORT_OS_WIN32_SYS_DIR_H_
#define OSPORT_OS_WIN32_SYS_DIR_H_

#include <string>

#include "os/win32/sys.h"

namespace osport::os::win32::sys {

// GetFullPathNameW into `out`; FALSE on failure.                              // kStat
BOOL FullPath(const wchar_t* path, std::wstring* out);
// MoveFileExW(MOVEFILE_REPLACE_EXISTING).                                      // kRename
BOOL MovePath(const wchar_t* from, const wchar_t* to);
// CreateHardLinkW(new_name -> existing).                                       // kLink
BOOL LinkPath(const wchar_t* existing, const wchar_t* new_name);
// The owner SID of an open handle (needs READ_CONTROL), as "S-1-5-...".        // kStat
BOOL OwnerSid(HANDLE h, std::wstring* sid);
// The SID of this process's token user, as "S-1-5-...".                        // kProcessInfo
BOOL CurrentUserSid(std::wstring* sid);

}  // namespace osport::os::win32::sys

#endif  // OSPORT_OS_WIN32_SYS_DIR_H_
