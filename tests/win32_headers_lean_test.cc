// Every public os/ header compiles and works after <windows.h> with WIN32_LEAN_AND_MEAN.
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/hooks.h"
#include "os/process.h"
#include "os/time.h"

#include "gtest/gtest.h"

namespace osport::os {
namespace {

TEST(Win32Headers, UsableAfterWindowsH_lean) {
  EXPECT_TRUE(HasErrno(OsError(ENOENT, "f", "", 2, "x"), ENOENT));
  EXPECT_FALSE(Exists("C:\\osport\\no\\such\\file").value());
  EXPECT_EQ(CurrentProcess().pid, ::GetCurrentProcessId());
  EXPECT_EQ(OpName(Op::kOpen), "open");
  IoInfo info;
  EXPECT_EQ(info.size(), 0u);
  YieldCpu();  // <windows.h> defines a Yield() macro: osport avoids the name
}

}  // namespace
}  // namespace osport::os
