// The Win32 error bridge: every portable errno an injected fault can carry
// survives the trip through a Win32 code, and the common codes map as
// documented in os/win32/error.cc.
#include "os/win32/error.h"

#include <windows.h>

#include "gtest/gtest.h"
#include "os/error.h"

namespace osport::os::win32 {
namespace {

TEST(Win32Error, PortableErrnosRoundTrip) {
  for (int e : {EEXIST, ENOENT, EACCES, EPERM, EBUSY, EAGAIN, ENOSPC, EINVAL, ENOMEM, ELOOP, EPIPE,
                EBADF, EMFILE, EROFS, ENAMETOOLONG, ENOTDIR, EISDIR, ENOTEMPTY, EFBIG, EOVERFLOW,
                EOPNOTSUPP, ENOSYS, ETIMEDOUT, EINTR, ECHILD, ENOLCK, EDEADLK, EOWNERDEAD, EIO}) {
    EXPECT_EQ(PortableErrno(NativeError(e)), e) << ErrnoName(e);
  }
  EXPECT_EQ(PortableErrno(NativeError(987654)), EIO);
}

TEST(Win32Error, CommonCodes) {
  EXPECT_EQ(PortableErrno(ERROR_ALREADY_EXISTS), EEXIST);
  EXPECT_EQ(PortableErrno(ERROR_PATH_NOT_FOUND), ENOENT);
  EXPECT_EQ(PortableErrno(ERROR_SHARING_VIOLATION), EBUSY);
  EXPECT_EQ(PortableErrno(ERROR_LOCK_VIOLATION), EAGAIN);
  EXPECT_EQ(PortableErrno(ERROR_HANDLE_DISK_FULL), ENOSPC);
  EXPECT_EQ(PortableErrno(ERROR_NEGATIVE_SEEK), EINVAL);
  EXPECT_EQ(PortableErrno(ERROR_NO_DATA), EPIPE);
}

TEST(Win32Error, StatusHasTheSystemTextFunctionAndPath) {
  absl::Status s = LastErrorStatus("CreateFileW (open)", "C:\\x\\y", ERROR_FILE_NOT_FOUND);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoOf(s), ENOENT);
  const std::string m(s.message());
  EXPECT_NE(m.find("CreateFileW (open)(\"C:\\x\\y\")"), std::string::npos) << m;
  EXPECT_NE(m.find("native 2"), std::string::npos) << m;
  EXPECT_EQ(m.find('\r'), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace osport::os::win32
