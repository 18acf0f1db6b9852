// os/mutex.h across real processes (helper copies of this binary that map the
// same scratch file): exact counting, owner death by _exit and by SIGKILL,
// a dead waiter, and a reused thread id. Synchronised by helper pipes only.
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/internal/mutex_platform.h"
#include "os/mutex.h"
#include "os/process.h"
#include "os/thread.h"
#include "tests/mutex_fixture.h"
#include "tests/support/helper.h"
#include "tests/support/mutex_access.h"

namespace osport::os {
namespace {

constexpr int kProcesses = 4;

// Maps the file named by args[0]; the mutex's kind comes from its storage.
struct Attached {
  testing::SharedFile shared;
  Mutex& mutex() { return *shared.At<Mutex>(kMutexOffset); }
  File* file() { return mutex().kind() == MutexKind::kFileLock ? &shared.file() : nullptr; }
};

Attached AttachOrDie(const std::vector<std::string>& args) {
  absl::StatusOr<testing::SharedFile> f = testing::SharedFile::Attach(args.at(0));
  if (!f.ok()) {
    testing::TellParent(absl::StrCat("error ", f.status().ToString()));
    std::exit(2);
  }
  return Attached{std::move(*f)};
}

// args: path iterations. Waits for "go", counts, says "done".
OSPORT_TEST_HELPER(MutexCounter) {
  Attached a = AttachOrDie(args);
  int iterations = 0;
  if (!absl::SimpleAtoi(args.at(1), &iterations)) return 2;
  auto* counter = a.shared.At<std::uint64_t>(kCounterOffset);
  testing::TellParent("ready");
  if (testing::ReadParentLine() != "go") return 3;
  for (int i = 0; i < iterations; ++i) {
    absl::Status s = a.mutex().Lock(a.file());
    if (!s.ok()) {
      testing::TellParent(absl::StrCat("error ", s.ToString()));
      return 4;
    }
    ++*counter;
    s = a.mutex().Unlock(a.file());
    if (!s.ok()) {
      testing::TellParent(absl::StrCat("error ", s.ToString()));
      return 5;
    }
  }
  testing::TellParent("done");
  return 0;
}

// args: path. Locks, says "locked <tid> <start>", then obeys: "exit" ends the
// process at once with the mutex held; "unlock" unlocks and reports the
// status code; end of input (the parent killed us, or gave up) just returns.
OSPORT_TEST_HELPER(MutexHolder) {
  Attached a = AttachOrDie(args);
  absl::Status s = a.mutex().Lock(a.file());
  if (!s.ok()) {
    testing::TellParent(absl::StrCat("error ", s.ToString()));
    return 2;
  }
  const ThreadIdentity& me = CurrentThread();
  testing::TellParent(absl::StrCat("locked ", me.tid, " ", me.start));
  for (;;) {
    const std::string cmd = testing::ReadParentLine();
    if (cmd == "exit") ::_Exit(0);  // no unlock, no destructors: a crash
    if (cmd == "unlock") {
      testing::TellParent(absl::StrCat(ErrnoOf(a.mutex().Unlock(a.file()))));
      continue;
    }
    return 0;
  }
}

// args: path. Says "waiting", then blocks in Lock (the parent holds it).
OSPORT_TEST_HELPER(MutexWaiter) {
  Attached a = AttachOrDie(args);
  testing::TellParent("waiting");
  absl::Status s = a.mutex().Lock(a.file());
  testing::TellParent(s.ok() ? "got" : absl::StrCat("error ", s.ToString()));
  if (s.ok()) (void)a.mutex().Unlock(a.file());
  return 0;
}

class MutexProcessTest : public MutexTest {
 protected:
  Child StartHolder() {
    absl::StatusOr<Child> c = testing::StartHelper("MutexHolder", {region_path()});
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return Child();
    absl::StatusOr<std::string> line = c->ReadLine();
    EXPECT_TRUE(line.ok() && line->rfind("locked ", 0) == 0) << (line.ok() ? *line : line.status().ToString());
    return std::move(*c);
  }

  // Waits (bounded) until a waiter has announced itself in the lock word: a
  // sleeping spin-kind waiter sets the waiters bit. The file-lock kind shows
  // nothing, so there this returns at once; the tests hold either way.
  void AwaitSleepingWaiter() {
    if (GetParam() != MutexKind::kSpin) return;
    if (!internal::HaveNativeWordWait()) {
      // Without a kernel word wait (Windows) a waiter backs off in plain
      // sleeps and sets no bit: there is nothing to see, so give it time to
      // get past its spins into its back-off.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return;
    }
    const auto t0 = SteadyClock::now();
    while ((MutexAccess::Word(mutex()) & MutexAccess::kWaitersBit) == 0 && SecondsSince(t0) < 5) {
      std::this_thread::yield();
    }
    EXPECT_NE(MutexAccess::Word(mutex()) & MutexAccess::kWaitersBit, 0u) << "no waiter showed up";
  }

  // LockFor(5 s) in a thread of this process, which unlocks what it got.
  struct Locker {
    std::thread thread;
    absl::Status status;
    absl::Status unlock;
    SteadyClock::time_point done;
  };
  void StartLocker(Locker& l) {
    l.thread = std::thread([this, &l] {
      l.status = mutex().LockFor(absl::Seconds(5), file());
      l.done = SteadyClock::now();
      if (l.status.ok() || IsOwnerDead(l.status)) l.unlock = mutex().Unlock(file());
    });
  }
};
OSPORT_INSTANTIATE_MUTEX_KINDS(MutexProcessTest);

TEST_P(MutexProcessTest, ProcessesCountExactly) {
  const int iterations = CountingPairs();
  std::vector<Child> children;
  for (int p = 0; p < kProcesses; ++p) {
    absl::StatusOr<Child> c =
        testing::StartHelper("MutexCounter", {region_path(), absl::StrCat(iterations)});
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(c->ReadLine().value_or("?"), "ready");
    children.push_back(std::move(*c));
  }
  for (Child& c : children) ASSERT_TRUE(c.Send("go").ok());
  for (Child& c : children) {
    EXPECT_EQ(c.ReadLine().value_or("?"), "done");
    EXPECT_EQ(c.Wait().value_or(-1), 0);
  }
  EXPECT_EQ(counter(), std::uint64_t{kProcesses} * iterations);
  const MutexStats s = mutex().stats();
  EXPECT_EQ(s.nowait + s.wait, std::uint64_t{kProcesses} * iterations);
  EXPECT_EQ(s.owner_deaths, 0u);
}

TEST_P(MutexProcessTest, OwnerThatExitsHoldingIsReportedWithinOneSecond) {
  Child holder = StartHolder();
  ASSERT_TRUE(holder.running());
  Locker l;
  StartLocker(l);
  AwaitSleepingWaiter();
  const auto death = SteadyClock::now();
  ASSERT_TRUE(holder.Send("exit").ok());
  l.thread.join();
  EXPECT_TRUE(IsOwnerDead(l.status)) << l.status;
  EXPECT_LT(std::chrono::duration<double>(l.done - death).count(), 1.0);
  EXPECT_EQ(holder.Wait().value_or(-1), 0);
  EXPECT_EQ(mutex().stats().owner_deaths, 1u);
  EXPECT_TRUE(l.unlock.ok()) << l.unlock;
}

TEST_P(MutexProcessTest, OwnerKilledHoldingIsReportedWithinOneSecond) {
  Child holder = StartHolder();
  ASSERT_TRUE(holder.running());
  Locker l;
  StartLocker(l);
  AwaitSleepingWaiter();
  const auto death = SteadyClock::now();
  ASSERT_TRUE(holder.Kill().ok());  // SIGKILL: not even reaped yet
  l.thread.join();
  EXPECT_TRUE(IsOwnerDead(l.status)) << l.status;
  EXPECT_LT(std::chrono::duration<double>(l.done - death).count(), 1.0);
  EXPECT_NE(holder.Wait().value_or(0), 0);
  EXPECT_TRUE(l.unlock.ok()) << l.unlock;
}

TEST_P(MutexProcessTest, ALockerArrivingAfterTheDeathTakesOverAtOnce) {
  Child holder = StartHolder();
  ASSERT_TRUE(holder.running());
  ASSERT_TRUE(holder.Kill().ok());
  ASSERT_NE(holder.Wait().value_or(0), 0);
  const auto t0 = SteadyClock::now();
  absl::Status s = mutex().LockFor(absl::Seconds(5), file());
  EXPECT_LT(SecondsSince(t0), 1.0);
  EXPECT_TRUE(IsOwnerDead(s)) << s;
  EXPECT_TRUE(mutex().Unlock(file()).ok());
  // Recovered: another process uses it normally.
  absl::StatusOr<Child> c = testing::StartHelper("MutexCounter", {region_path(), "1000"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->ReadLine().value_or("?"), "ready");
  ASSERT_TRUE(c->Send("go").ok());
  EXPECT_EQ(c->ReadLine().value_or("?"), "done");
  EXPECT_EQ(c->Wait().value_or(-1), 0);
}

TEST_P(MutexProcessTest, ADeadWaiterDoesNotBlockOthers) {
  ASSERT_TRUE(mutex().Lock(file()).ok());
  absl::StatusOr<Child> waiter = testing::StartHelper("MutexWaiter", {region_path()});
  ASSERT_TRUE(waiter.ok()) << waiter.status();
  ASSERT_EQ(waiter->ReadLine().value_or("?"), "waiting");
  AwaitSleepingWaiter();
  ASSERT_TRUE(waiter->Kill().ok());
  ASSERT_NE(waiter->Wait().value_or(0), 0);
  ASSERT_TRUE(mutex().Unlock(file()).ok());

  // Another process and a thread of ours both get it promptly, as plain locks.
  absl::StatusOr<Child> next = testing::StartHelper("MutexWaiter", {region_path()});
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->ReadLine().value_or("?"), "waiting");
  EXPECT_EQ(next->ReadLine().value_or("?"), "got");
  EXPECT_EQ(next->Wait().value_or(-1), 0);
  const auto t0 = SteadyClock::now();
  std::thread t([&] {
    EXPECT_TRUE(mutex().LockFor(absl::Seconds(5), file()).ok());
    EXPECT_TRUE(mutex().Unlock(file()).ok());
  });
  t.join();
  EXPECT_LT(SecondsSince(t0), 1.0);
  EXPECT_EQ(mutex().stats().owner_deaths, 0u);
}

TEST_P(MutexProcessTest, ALiveOwnerIsNotTakenOverButAReusedIdIs) {
  Child holder = StartHolder();
  ASSERT_TRUE(holder.running());
  const MutexOwner o = mutex().owner();
  ASSERT_TRUE(o.held);
  EXPECT_EQ(o.pid, holder.pid());

  // The recorded owner is alive: nobody takes it over.
  absl::Status s = mutex().TryLock(file());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(HasErrno(s, EBUSY)) << s;
  s = mutex().LockFor(absl::Milliseconds(50), file());
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;

  // Forge the record as if the owner had died and its thread id had been
  // given to a thread that started later (the live holder): the live thread
  // with that id is not the owner, so the mutex is recovered.
  MutexAccess::SetOwnerStart(mutex(), o.start + 1);
  s = mutex().TryLock(file());
  if constexpr (config::kPortableThreadIdentity) {
    // Portable POSIX: another process's thread stamps cannot be read, so
    // the live process answers for the reused id (docs/PORTING.md).
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    return;
  }
  EXPECT_TRUE(IsOwnerDead(s)) << s;
  EXPECT_EQ(mutex().owner().tid, CurrentThread().tid);

  // The old holder has lost it: its unlock is refused, ours works.
  ASSERT_TRUE(holder.Send("unlock").ok());
  EXPECT_EQ(holder.ReadLine().value_or("?"), absl::StrCat(EPERM));
  EXPECT_TRUE(mutex().Unlock(file()).ok());
  holder.CloseInput();
  EXPECT_EQ(holder.Wait().value_or(-1), 0);
}

}  // namespace
}  // namespace osport::os
