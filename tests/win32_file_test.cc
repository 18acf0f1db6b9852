// Win32 specifics of os/file.h, and the platform behaviours the region code
// must live with, checked where they run (Windows, or Wine in CI).
#include <windows.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "os/error.h"
#include "os/file.h"
#include "os/win32/text.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

using Win32FileTest = testing::ResourceTest;

TEST_F(Win32FileTest, TheLeakCheckSeesHandles) {
  // The count must really count, or every ResourceTest's leak check would
  // pass vacuously.
  const int before = testing::CountOpenHandles();
  ASSERT_GT(before, 0);
  {
    File f = Open(Path("h"), kOpenCreate).value();
    EXPECT_EQ(testing::CountOpenHandles(), before + 1);
  }
  EXPECT_EQ(testing::CountOpenHandles(), before);
  ASSERT_TRUE(Unlink(Path("h")).ok());
}

TEST_F(Win32FileTest, TheLeakCheckLeavesOutEventsOnly) {
  // winpthreads keeps an event for each static mutex it has seen contended
  // (tests/support/resources_win32.cc); osport makes none (the Windows cell
  // checks its imports). Everything else is still counted: a file above, a
  // thread handle here.
  const int before = testing::CountOpenHandles();
  const HANDLE event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(testing::CountOpenHandles(), before);
  ::CloseHandle(event);
  const HANDLE self = ::OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, ::GetCurrentThreadId());
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(testing::CountOpenHandles(), before + 1);
  ::CloseHandle(self);
  EXPECT_EQ(testing::CountOpenHandles(), before);
}

TEST_F(Win32FileTest, ReadOnlyModeFilesCanBeUnlinked) {
  { File f = Open(Path("ro"), kOpenCreate | kOpenExclusive, 0400).value(); }
  const std::wstring wpath = win32::Widen(Path("ro"), "test").value();
  const DWORD attributes = ::GetFileAttributesW(wpath.c_str());
  ASSERT_NE(attributes, INVALID_FILE_ATTRIBUTES);
  // No owner-write bit: the read-only attribute. (Whether it refuses a
  // writer is not checked: Wine maps it to the Unix mode, which root ignores.)
  EXPECT_TRUE(attributes & FILE_ATTRIBUTE_READONLY);
  // Windows refuses to delete a read-only file; POSIX unlink ignores the
  // file's own mode, and so does os::Unlink.
  ASSERT_TRUE(Unlink(Path("ro")).ok());
  EXPECT_FALSE(Exists(Path("ro")).value());
}

TEST_F(Win32FileTest, UnlinkWhileAnotherHandleIsOpen) {
  File held = Open(Path("u"), kOpenCreate).value();
  // Every osport handle shares delete, so removal is never refused.
  ASSERT_TRUE(Unlink(Path("u")).ok());
  // What the name does until the last handle closes differs: Windows keeps it
  // delete-pending (opens fail with access denied), Windows 10+ with POSIX
  // semantics and Wine may remove it at once. Record which one this is.
  const absl::StatusOr<bool> exists = Exists(Path("u"));
  {
    absl::StatusOr<File> reopen = Open(Path("u"), 0);
    std::printf("after unlink of an open file: plain open -> %s\n",
                reopen.ok() ? "ok" : std::string(reopen.status().message()).c_str());
  }
  absl::StatusOr<File> again = Open(Path("u"), kOpenCreate | kOpenExclusive);
  std::printf("after unlink of an open file: Exists -> %s; exclusive re-create -> %s\n",
              exists.ok() ? (*exists ? "true" : "false") : std::string(exists.status().message()).c_str(),
              again.ok() ? "ok" : std::string(again.status().message()).c_str());
  ::testing::Test::RecordProperty("exists_after_unlink", exists.ok() ? (*exists ? "true" : "false") : "error");
  ::testing::Test::RecordProperty("recreate_after_unlink", again.ok() ? "ok" : "error");
  EXPECT_TRUE(held.Close().ok());
  // Once the last handle is gone, so is the name (unless re-created above).
  if (!again.ok()) {
    EXPECT_FALSE(Exists(Path("u")).value());
  } else {
    EXPECT_TRUE(again->Close().ok());
    EXPECT_TRUE(Unlink(Path("u")).ok());
  }
}

TEST_F(Win32FileTest, NoFollowRefusesAReparsePoint) {
  { File f = Open(Path("target"), kOpenCreate).value(); }
  const std::wstring link = win32::Widen(Path("link"), "test").value();
  const std::wstring target = win32::Widen(Path("target"), "test").value();
  if (!::CreateSymbolicLinkW(link.c_str(), target.c_str(), 0x2 /* unprivileged create */)) {
    const DWORD err = ::GetLastError();
    ASSERT_TRUE(Unlink(Path("target")).ok());
    GTEST_SKIP() << "CreateSymbolicLinkW failed: error " << err;
  }
  if (!Exists(Path("link")).value()) {
    // Wine 8's CreateSymbolicLinkW is a stub that reports success.
    ASSERT_TRUE(Unlink(Path("target")).ok());
    GTEST_SKIP() << "CreateSymbolicLinkW succeeded but made no link (Wine)";
  }
  absl::StatusOr<File> f = Open(Path("link"), kOpenNoFollow);
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(HasErrno(f.status(), ELOOP)) << f.status();
  EXPECT_TRUE(Open(Path("link"), 0).ok());
  EXPECT_TRUE(Unlink(Path("link")).ok());
  EXPECT_TRUE(Unlink(Path("target")).ok());
}

}  // namespace
}  // namespace osport::os
