// Every public os/ header compiles without <windows.h>, and does not pull it
// in: no Win32 macro or type leaks out of osport's interface.
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/hooks.h"
#include "os/mutex.h"
#include "os/process.h"
#include "os/thread.h"
#include "os/time.h"

#if defined(_WINDOWS_) || defined(_WINBASE_) || defined(WINAPI)
#error "a public os/ header included <windows.h>"
#endif

#include "gtest/gtest.h"

namespace osport::os {
namespace {

TEST(Win32Headers, UsableWithoutWindowsH) {
  YieldCpu();
  EXPECT_TRUE(IsAlive(CurrentProcess()).value());
}

}  // namespace
}  // namespace osport::os
