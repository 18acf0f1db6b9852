// os/thread.h: ids and stamps of the calling thread, liveness of others.
#include "os/thread.h"

#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/process.h"

namespace osport::os {
namespace {

TEST(ThreadTest, TheMainThreadIsTheProcess) {
  const ThreadIdentity& me = CurrentThread();
  EXPECT_EQ(me.pid, CurrentProcess().pid);
  if constexpr (config::kMainThreadIdIsPid) {
    // gtest runs tests on the main thread: on Linux its id is the pid and it
    // started with the process.
    // The portable identity gives the first thread slot 0 (id == pid) and
    // stamps threads itself (no process start stamp to compare with).
    EXPECT_EQ(me.tid, me.pid);
    if constexpr (config::kProcessStartStamps) {
      EXPECT_EQ(me.start, CurrentProcess().start);
    }
  } else {
    // Windows numbers threads and processes from one table, so the main
    // thread has an id of its own, and its creation time is its own object's
    // (under Wine 8 it even precedes the process's by up to a second).
    // FreeBSD's thr_self ids start at 100001, above every pid.
    EXPECT_NE(me.tid, me.pid);
  }
  EXPECT_NE(me.start, 0u);
  EXPECT_EQ(&CurrentThread(), &me);  // cached
}

TEST(ThreadTest, AnotherThreadHasItsOwnIdAndIsAliveUntilItEnds) {
  ThreadIdentity other;
  std::thread t([&] { other = CurrentThread(); });
  t.join();
  // join returns when the thread has said it is done; the kernel may finish
  // it a moment later (under qemu-user noticeably later): poll, bounded.
  bool alive = true;
  for (int i = 0; i < 100000 && alive; ++i) alive = IsThreadAlive(other).value();
  EXPECT_FALSE(alive);
  EXPECT_EQ(other.pid, CurrentProcess().pid);
  EXPECT_NE(other.tid, CurrentThread().tid);
  EXPECT_NE(other.tid, 0u);
  EXPECT_LE(other.tid, kMaxThreadId);
  EXPECT_FALSE(IsThreadAlive(other).value());
  // By id alone: gone where the id finds a thread anywhere; FreeBSD's
  // thr_kill2 needs the pid, so an id that is no longer this process's may
  // be another process's thread there, and is taken for alive.
  EXPECT_EQ(IsThreadAlive({0, other.tid, 0}).value(), !config::kThreadFoundByIdAlone);
  EXPECT_EQ(ThreadStartStamp(other.pid, other.tid).status().code(), absl::StatusCode::kNotFound);
}

TEST(ThreadTest, AReusedIdIsNotTheSameThread) {
  const ThreadIdentity& me = CurrentThread();
  EXPECT_TRUE(IsThreadAlive(me).value());
  EXPECT_TRUE(IsThreadAlive({me.pid, me.tid, 0}).value());  // start unknown
  EXPECT_TRUE(IsThreadAlive({0, me.tid, 0}).value());       // pid unknown too
  EXPECT_FALSE(IsThreadAlive({me.pid, me.tid, me.start + 1}).value());
  EXPECT_FALSE(IsThreadAlive({0, 0, 0}).value());
  EXPECT_EQ(ThreadStartStamp(me.pid, me.tid).value(), me.start);
}

TEST(ThreadTest, LivenessOfAThreadThatIsRunning) {
  std::promise<ThreadIdentity> id;
  std::promise<void> done;
  std::thread t([&] {
    id.set_value(CurrentThread());
    done.get_future().wait();
  });
  const ThreadIdentity other = id.get_future().get();
  EXPECT_TRUE(IsThreadAlive(other).value());
  EXPECT_EQ(ThreadStartStamp(other.pid, other.tid).value(), other.start);
  done.set_value();
  t.join();
}

}  // namespace
}  // namespace osport::os
