// os/thread.h after fork(): the child's cached identity is its own, not the
// parent thread's (POSIX only: Win32 has no fork).
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "os/config.h"
#include "os/thread.h"

namespace osport::os {
namespace {

TEST(ThreadForkTest, AForkedChildForgetsTheParentsThreadIdentity) {
  const ThreadIdentity parent = CurrentThread();  // cached in this thread
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const ThreadIdentity& child = CurrentThread();
    // The child's only thread: id == pid where the first thread's is
    // (Linux, the portable ids); FreeBSD's thr_self gives it a new id.
    const bool ok = (!config::kMainThreadIdIsPid ||
                     child.tid == static_cast<std::uint32_t>(::getpid())) &&
                    child.pid == static_cast<std::uint32_t>(::getpid()) &&
                    child.tid != parent.tid && child.start != 0;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace osport::os
