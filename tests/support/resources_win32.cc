// Win32 half of tests/support/resources.h: the process's handle count.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "tests/support/resources.h"

namespace osport::testing {

int CountOpenHandles() {
  DWORD count = 0;
  if (!::GetProcessHandleCount(::GetCurrentProcess(), &count)) return -1;
  return static_cast<int>(count);
}

}  // namespace osport::testing
