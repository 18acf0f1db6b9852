// Windows only: what LockFileEx does for threads and handles of one process
// (the file-lock mutex relies on it: os/win32/mutex_filelock.cc).
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "os/file.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

class LockFileExTest : public testing::ResourceTest {};

HANDLE H(const File& f) { return reinterpret_cast<HANDLE>(f.native()); }

bool TryLock(HANDLE h) {
  OVERLAPPED at{};
  return ::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at) != 0;
}

bool UnlockByte0(HANDLE h) {
  OVERLAPPED at{};
  return ::UnlockFileEx(h, 0, 1, 0, &at) != 0;
}

// The region has one handle per process, shared by its threads: a byte one
// thread locked must be refused to another thread through that same handle,
// or the file-lock mutex would need in-process serialisation as on POSIX.
TEST_F(LockFileExTest, AByteLockedThroughAHandleIsRefusedToOtherThreadsOfIt) {
  absl::StatusOr<File> f = Open(Path("f"), kOpenCreate, 0600);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(TryLock(H(*f)));
  bool other_got = true;
  DWORD other_err = 0;
  std::thread t([&] {
    other_got = TryLock(H(*f));
    other_err = ::GetLastError();
  });
  t.join();
  EXPECT_FALSE(other_got);
  EXPECT_EQ(other_err, static_cast<DWORD>(ERROR_LOCK_VIOLATION));
  // Not re-entrant either: the holder itself is refused a second lock.
  EXPECT_FALSE(TryLock(H(*f)));
  EXPECT_TRUE(UnlockByte0(H(*f)));
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(Unlink(Path("f")).ok());
}

// A blocking lock through the shared handle waits for the holder's unlock.
TEST_F(LockFileExTest, AWaitingLockThroughTheSameHandleIsGrantedAtTheUnlock) {
  absl::StatusOr<File> f = Open(Path("f"), kOpenCreate, 0600);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(TryLock(H(*f)));
  std::atomic<bool> granted{false};
  std::thread t([&] {
    OVERLAPPED at{};
    if (::LockFileEx(H(*f), LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &at)) granted = true;
    EXPECT_TRUE(UnlockByte0(H(*f)));
  });
  ::Sleep(100);
  EXPECT_FALSE(granted.load());
  EXPECT_TRUE(UnlockByte0(H(*f)));
  t.join();
  EXPECT_TRUE(granted.load());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(Unlink(Path("f")).ok());
}

// Locks belong to the handle: another handle of the same process is refused,
// and closing the holder's handle releases its lock.
TEST_F(LockFileExTest, LocksBelongToTheHandle) {
  absl::StatusOr<File> a = Open(Path("f"), kOpenCreate, 0600);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<File> b = Open(Path("f"), 0, 0);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(TryLock(H(*a)));
  EXPECT_FALSE(TryLock(H(*b)));
  EXPECT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_LOCK_VIOLATION));
  ASSERT_TRUE(a->Close().ok());
  EXPECT_TRUE(TryLock(H(*b)));
  EXPECT_TRUE(UnlockByte0(H(*b)));
  ASSERT_TRUE(b->Close().ok());
  ASSERT_TRUE(Unlink(Path("f")).ok());
}

}  // namespace
}  // namespace osport::os
