// os/mutex.h under injected system-call failures: every failure is a clear
// error (it names the call and carries the errno), leaves the mutex usable and
// leaks nothing (the fixture counts descriptors).
#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/internal/mutex_platform.h"
#include "os/fault_injection.h"
#include "os/mutex.h"
#include "os/thread.h"
#include "tests/mutex_fixture.h"
#include "tests/support/mutex_access.h"

namespace osport::os {
namespace {

class MutexFaultTest : public MutexTest {};
OSPORT_INSTANTIATE_MUTEX_KINDS(MutexFaultTest);

TEST_P(MutexFaultTest, AFailedLivenessCheckIsAnErrorNamingIt) {
  if constexpr (config::kPortableThreadIdentity) {
    GTEST_SKIP() << "the portable thread identity answers for this process from its own table: "
                    "no OS call to fail (docs/PORTING.md)";
  }
  ThreadIdentity dead;
  std::thread holder([&] {
    ASSERT_TRUE(mutex().Lock(file()).ok());
    dead = CurrentThread();
  });
  holder.join();  // a dead owner: TryLock reads /proc about it
  // A joined thread may linger in the kernel for a moment (qemu-user).
  for (int i = 0; i < 100000 && IsThreadAlive(dead).value_or(false); ++i) {
  }
  (void)CurrentThread();  // our own identity is read (and cached) before the fault
  {
    FaultInjector inject(Op::kProcessInfo, 1, EMFILE);
    absl::Status s = mutex().TryLock(file());
    EXPECT_TRUE(HasErrno(s, EMFILE)) << s;
    EXPECT_NE(s.message().find("checking whether its owner"), absl::string_view::npos) << s;
    // The call that failed: a /proc read on Linux, OpenThread on Windows.
    EXPECT_NE(s.message().find(config::kWin32 ? "OpenThread" : "/proc/"), absl::string_view::npos) << s;
  }
  absl::Status s = mutex().TryLock(file());
  EXPECT_TRUE(IsOwnerDead(s)) << s;
  EXPECT_TRUE(mutex().Unlock(file()).ok());
}

TEST_P(MutexFaultTest, ALockerThatCannotCheckTheOwnerWaitsAndSaysWhy) {
  if constexpr (config::kPortableThreadIdentity) {
    GTEST_SKIP() << "the portable thread identity answers for this process from its own table: "
                    "no OS call to fail (docs/PORTING.md)";
  }
  ThreadIdentity dead;
  std::thread holder([&] {
    ASSERT_TRUE(mutex().Lock(file()).ok());
    dead = CurrentThread();
  });
  holder.join();
  (void)CurrentThread();
  FaultRule no_proc = FaultRule::Fail(Op::kProcessInfo, 1, EMFILE);
  no_proc.repeat = true;
  FaultInjector inject(no_proc);
  absl::Status s = mutex().LockFor(absl::Milliseconds(100), file());
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_TRUE(HasErrno(s, ETIMEDOUT)) << s;
  EXPECT_NE(s.message().find("whether the owner lives is unknown"), absl::string_view::npos) << s;
  EXPECT_GE(inject.calls(Op::kProcessInfo), 1u);
}

TEST_P(MutexFaultTest, WithoutProcALiveOwnerIsNotTakenOver) {
  if constexpr (config::kPortableThreadIdentity) {
    GTEST_SKIP() << "the portable thread identity answers for this process from its own table: "
                    "no OS call to fail (docs/PORTING.md)";
  }
  ASSERT_TRUE(mutex().Lock(file()).ok());
  const ThreadIdentity me = CurrentThread();
  absl::Status s;
  absl::StatusOr<bool> alive;
  std::thread other([&] {
    (void)CurrentThread();
    // Every /proc read says "no such file": what an unmounted /proc looks like.
    FaultRule no_proc = FaultRule::Fail(Op::kProcessInfo, 1, ENOENT);
    no_proc.repeat = true;
    FaultInjector inject(no_proc);
    alive = IsThreadAlive(me);
    s = mutex().TryLock(file());
  });
  other.join();
  EXPECT_FALSE(alive.ok()) << "a missing /proc must not make a live thread look dead";
  EXPECT_NE(alive.status().message().find("cannot tell whether threads are alive"),
            absl::string_view::npos) << alive.status();
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(IsOwnerDead(s)) << s;
  EXPECT_EQ(mutex().owner().tid, me.tid);
  EXPECT_TRUE(mutex().Unlock(file()).ok());
}

// The kernel word wait's calls as errors name them: the futex, or FreeBSD's
// _umtx_op (os/posix/sys_sync.h).
constexpr bool kUmtx = OSPORT_HAVE_FUTEX == 0 && OSPORT_HAVE_UMTX != 0;
constexpr const char* kWordWaitCall = kUmtx ? "_umtx_op(UMTX_OP_WAIT_UINT)" : "futex(FUTEX_WAIT)";
constexpr const char* kWordWakeCall = kUmtx ? "_umtx_op(UMTX_OP_WAKE)" : "futex(FUTEX_WAKE)";

class SpinFaultTest : public MutexTest {};
INSTANTIATE_TEST_SUITE_P(Kinds, SpinFaultTest, ::testing::Values(MutexKind::kSpin), KindName);

// Without a kernel word wait (Windows) a waiter's wait is a back-off sleep:
// then that sleep is the wait that fails, and is named.
TEST_P(SpinFaultTest, AFailedFutexWaitIsAnErrorNamingIt) {
  ASSERT_TRUE(mutex().Lock().ok());
  const bool native = internal::HaveNativeWordWait();
  FaultInjector inject(native ? Op::kFutexWait : Op::kSleep, 1, ENOSYS);
  absl::Status s;
  std::thread waiter([&] { s = mutex().LockFor(absl::Seconds(5)); });
  waiter.join();
  EXPECT_TRUE(HasErrno(s, ENOSYS)) << s;
  EXPECT_NE(s.message().find(native ? kWordWaitCall : config::kWin32 ? "Sleep" : "sleep"),
            absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("waiting for mutex at offset 0"), absl::string_view::npos) << s;
  EXPECT_EQ(mutex().owner().tid, CurrentThread().tid);
  EXPECT_TRUE(mutex().Unlock().ok());
}

TEST_P(SpinFaultTest, AnInterruptedFutexWaitIsRetried) {
  if (!internal::HaveNativeWordWait()) GTEST_SKIP() << "no kernel word wait here: waiters sleep";
  ASSERT_TRUE(mutex().Lock().ok());
  std::promise<void> sleeping;
  FaultRule rule = FaultRule::Interrupt(Op::kFutexWait, 1);
  rule.on_hit = [&] { sleeping.set_value(); };
  FaultInjector inject(rule);
  absl::Status s;
  std::thread waiter([&] {
    s = mutex().LockFor(absl::Seconds(5));
    if (s.ok()) s = mutex().Unlock();
  });
  sleeping.get_future().wait();
  ASSERT_TRUE(mutex().Unlock().ok());
  waiter.join();
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(inject.fired(), 1u);
}

TEST_P(SpinFaultTest, AFailedWakeStillReleasesAndTheWaiterGetsIt) {
  if (!internal::HaveNativeWordWait()) GTEST_SKIP() << "no kernel word wait here: unlock wakes no one";
  ASSERT_TRUE(mutex().Lock().ok());
  std::promise<void> sleeping;
  FaultRule announce = FaultRule::Pause(Op::kFutexWait, 1, [&] { sleeping.set_value(); });
  FaultInjector inject({announce, FaultRule::Fail(Op::kFutexWake, 1, EFAULT)});
  absl::Status got;
  SteadyClock::time_point done;
  std::thread waiter([&] {
    got = mutex().LockFor(absl::Seconds(5));
    done = SteadyClock::now();
    if (got.ok()) got = mutex().Unlock();
  });
  sleeping.get_future().wait();  // it set the waiters bit and is going to sleep
  const auto t0 = SteadyClock::now();
  absl::Status s = mutex().Unlock();
  EXPECT_TRUE(HasErrno(s, EFAULT)) << s;
  EXPECT_NE(s.message().find("was released, but waking a waiter failed"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(kWordWakeCall), absl::string_view::npos) << s;
  waiter.join();
  EXPECT_TRUE(got.ok()) << got;
  EXPECT_LT(std::chrono::duration<double>(done - t0).count(), 1.0);
}

class FileLockFaultTest : public MutexTest {};
INSTANTIATE_TEST_SUITE_P(Kinds, FileLockFaultTest, ::testing::Values(MutexKind::kFileLock), KindName);

TEST_P(FileLockFaultTest, AFailedByteLockIsAnErrorNamingIt) {
  {
    FaultInjector inject(Op::kLockRange, 1, ENOLCK);
    absl::Status s = mutex().Lock(file());
    EXPECT_TRUE(HasErrno(s, ENOLCK)) << s;
    EXPECT_NE(s.message().find(config::kWin32 ? "LockFileEx (byte 0)" : "fcntl(F_SETLKW, F_WRLCK, byte 0)"),
              absl::string_view::npos) << s;
    EXPECT_NE(s.message().find(region_path()), absl::string_view::npos) << s;
    EXPECT_FALSE(mutex().owner().held);
  }
  {
    FaultInjector inject(Op::kLockRange, 1, ENOLCK);
    absl::Status s = mutex().TryLock(file());
    EXPECT_TRUE(HasErrno(s, ENOLCK)) << s;
    EXPECT_NE(s.message().find(config::kWin32 ? "LockFileEx (LOCKFILE_FAIL_IMMEDIATELY" : "fcntl(F_SETLK, F_WRLCK"),
              absl::string_view::npos) << s;
  }
  EXPECT_TRUE(mutex().Lock(file()).ok());
  EXPECT_TRUE(mutex().Unlock(file()).ok());
}

TEST_P(FileLockFaultTest, AFailedByteUnlockGivesTheMutexBack) {
  {
    // Call 1 takes the byte, call 2 releases it: make the release fail.
    FaultInjector inject(Op::kLockRange, 2, EIO);
    absl::Status s = mutex().Lock(file());
    EXPECT_TRUE(HasErrno(s, EIO)) << s;
    EXPECT_NE(s.message().find(config::kWin32 ? "UnlockFileEx" : "F_UNLCK"), absl::string_view::npos) << s;
    EXPECT_FALSE(mutex().owner().held) << "a failed lock must not leave the mutex held";
  }
  EXPECT_TRUE(mutex().TryLock(file()).ok());
  EXPECT_TRUE(mutex().Unlock(file()).ok());
}

TEST_P(FileLockFaultTest, AFailedBackOffSleepIsAnErrorNamingIt) {
  ASSERT_TRUE(mutex().Lock(file()).ok());
  FaultInjector inject(Op::kSleep, 1, EINVAL);
  absl::Status s;
  std::thread waiter([&] { s = mutex().LockFor(absl::Seconds(5), file()); });
  waiter.join();
  EXPECT_TRUE(HasErrno(s, EINVAL)) << s;
  EXPECT_NE(s.message().find("waiting for mutex at offset 0"), absl::string_view::npos) << s;
  EXPECT_TRUE(mutex().Unlock(file()).ok());
}

}  // namespace
}  // namespace osport::os
