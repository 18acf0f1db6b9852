// os/thread.h: ids and stamps of the calling thread, liveness of others.
#include "os/thread.h"

#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "os/error.h"
#include "os/process.h"

namespace osport::os {
namespace {

TEST(ThreadTest, TheMainThreadIsTheProcess) {
  // gtest runs tests on the main thread: its id is the pid.
  const ThreadIdentity& me = CurrentThread();
  EXPECT_EQ(me.pid, CurrentProcess().pid);
  EXPECT_EQ(me.tid, me.pid);
  EXPECT_EQ(me.start, CurrentProcess().start);
  EXPECT_NE(me.start, 0u);
  EXPECT_EQ(&CurrentThread(), &me);  // cached
}

TEST(ThreadTest, AnotherThreadHasItsOwnIdAndIsAliveUntilItEnds) {
  ThreadIdentity other;
  std::thread t([&] { other = CurrentThread(); });
  t.join();
  EXPECT_EQ(other.pid, CurrentProcess().pid);
  EXPECT_NE(other.tid, CurrentThread().tid);
  EXPECT_NE(other.tid, 0u);
  EXPECT_LE(other.tid, kMaxThreadId);
  EXPECT_FALSE(IsThreadAlive(other.tid, other.start).value());
  EXPECT_EQ(ThreadStartStamp(other.tid).status().code(), absl::StatusCode::kNotFound);
}

TEST(ThreadTest, AReusedIdIsNotTheSameThread) {
  const ThreadIdentity& me = CurrentThread();
  EXPECT_TRUE(IsThreadAlive(me.tid, me.start).value());
  EXPECT_TRUE(IsThreadAlive(me.tid, 0).value());
  EXPECT_FALSE(IsThreadAlive(me.tid, me.start + 1).value());
  EXPECT_FALSE(IsThreadAlive(0, 0).value());
  EXPECT_EQ(ThreadStartStamp(me.tid).value(), me.start);
}

TEST(ThreadTest, LivenessOfAThreadThatIsRunning) {
  std::promise<ThreadIdentity> id;
  std::promise<void> done;
  std::thread t([&] {
    id.set_value(CurrentThread());
    done.get_future().wait();
  });
  const ThreadIdentity other = id.get_future().get();
  EXPECT_TRUE(IsThreadAlive(other.tid, other.start).value());
  EXPECT_EQ(ThreadStartStamp(other.tid).value(), other.start);
  done.set_value();
  t.join();
}

}  // namespace
}  // namespace osport::os
