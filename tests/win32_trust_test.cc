// The trust boundary on Win32: reparse points in the home's path are refused,
// owners are SIDs, and the home's components are pinned while a Dir lives.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <string>

#include "gtest/gtest.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/trust.h"
#include "os/win32/text.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

class Win32TrustTest : public testing::ResourceTest {
 protected:
  std::wstring W(const std::string& name) { return win32::Widen(Path(name), "test").value(); }
};

TEST_F(Win32TrustTest, OwnersAreTheCallersSid) {
  absl::StatusOr<std::string> me = CurrentUser();
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->rfind("S-1-", 0), 0u) << *me;
  Dir d = OpenTrustedHome(dir(), {}).value();
  { File f = OpenAt(d, "f", kOpenCreate | kOpenExclusive).value(); }
  absl::StatusOr<FileInfo> info = StatAt(d, "f");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->owner, *me);
  // Another SID is foreign unless trusted by name.
  FileInfo other = *info;
  other.owner = "S-1-5-21-1-2-3-4242";
  EXPECT_TRUE(IsUntrusted(CheckTrustedFile(other, *me, 0600, {}, "f")));
  TrustPolicy policy;
  policy.trusted_owners = {other.owner};
  EXPECT_TRUE(CheckTrustedFile(other, *me, 0600, policy, "f").ok());
  ASSERT_TRUE(UnlinkAt(d, "f").ok());
}

TEST_F(Win32TrustTest, TheHomeCannotBeRenamedWhileOpen) {
  ASSERT_TRUE(::CreateDirectoryW(W("home").c_str(), nullptr));
  {
    Dir d = OpenTrustedHome(Path("home"), {}).value();
    EXPECT_FALSE(::MoveFileExW(W("home").c_str(), W("moved").c_str(), 0));
  }
  ASSERT_TRUE(::MoveFileExW(W("home").c_str(), W("moved").c_str(), 0)) << ::GetLastError();
  ASSERT_TRUE(::RemoveDirectoryW(W("moved").c_str()));
}

TEST_F(Win32TrustTest, AReparsePointInTheHomePathIsRefused) {
  ASSERT_TRUE(::CreateDirectoryW(W("real").c_str(), nullptr));
  ASSERT_TRUE(::CreateDirectoryW(W("real\\sub").c_str(), nullptr));
  const DWORD flags = SYMBOLIC_LINK_FLAG_DIRECTORY | 0x2 /* unprivileged create */;
  const bool made = ::CreateSymbolicLinkW(W("link").c_str(), W("real").c_str(), flags) != 0;
  const DWORD attributes = ::GetFileAttributesW(W("link").c_str());
  if (!made || attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    if (attributes != INVALID_FILE_ATTRIBUTES) ::RemoveDirectoryW(W("link").c_str());
    ::RemoveDirectoryW(W("real\\sub").c_str());
    ::RemoveDirectoryW(W("real").c_str());
    GTEST_SKIP() << "no directory symbolic link could be made here (Wine 8's "
                    "CreateSymbolicLinkW makes none); the refusal is exercised on Windows";
  }
  for (const char* path : {"link", "link\\sub"}) {
    absl::StatusOr<Dir> d = OpenTrustedHome(Path(path), {});
    EXPECT_TRUE(IsUntrusted(d.status())) << path << ": " << d.status();
    EXPECT_EQ(ErrnoOf(d.status()), ELOOP) << d.status();
  }
  ::RemoveDirectoryW(W("link").c_str());
  ::RemoveDirectoryW(W("real\\sub").c_str());
  ::RemoveDirectoryW(W("real").c_str());
}

TEST(Win32TrustMemoryTest, SectionOwnersAreNotReadSeparately) {
  const absl::StatusOr<SystemMemoryInfo> info = StatSystemMemory(Backend::kPagingFile, 1);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnimplemented) << info.status();
}

}  // namespace
}  // namespace osport::os
