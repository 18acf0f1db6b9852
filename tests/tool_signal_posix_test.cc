// The tool tests that need POSIX calls in the test itself: stop signals
// sent to `osport lock` with kill(2) -- SIGINT, SIGTERM and SIGHUP during the
// hold release the lock cleanly (the next locker gets OK, the region is not
// panicked) and end the tool with 128 + the signal number -- and a FIFO in
// the home (mkfifo), which no command may open (it would block for ever).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/tool_fixture.h"

namespace osport {
namespace {

TEST_F(ToolTest, StopSignalsReleaseTheLockCleanly) {
  ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    absl::StatusOr<os::Child> holder =
        os::Spawn({OSPORT_TOOL_PATH, "lock", "r", "--hold=600s", "--json", "--home=" + dir()});
    ASSERT_TRUE(holder.ok()) << holder.status();
    // The "locked" line comes when the lock is held, before the hold.
    const std::string first = holder->ReadLine().value_or("");
    const nlohmann::json locked = nlohmann::json::parse(first, nullptr, false);
    ASSERT_TRUE(locked.is_object()) << first;
    EXPECT_EQ(locked["event"], "locked");
    EXPECT_EQ(locked["pid"], holder->pid());
    ToolRun st = Osport({"stat", "r", "--json"});
    EXPECT_EQ(st.json()["mutex_owner"]["held"], true) << st.out;

    ASSERT_EQ(::kill(static_cast<pid_t>(holder->pid()), sig), 0);
    const std::string last = holder->ReadLine().value_or("");
    const nlohmann::json released = nlohmann::json::parse(last, nullptr, false);
    ASSERT_TRUE(released.is_object()) << last;
    EXPECT_EQ(released["event"], "released");
    EXPECT_EQ(released["error"], "interrupted");
    EXPECT_EQ(holder->Wait().value_or(-1), 128 + sig);

    // The next locker gets the lock without an owner death.
    ToolRun next = Osport({"lock", "r", "--hold=0s", "--json"});
    EXPECT_EQ(next.code, 0) << next.out;
    st = Osport({"stat", "r", "--json"});
    const nlohmann::json j = st.json();
    ASSERT_TRUE(j.is_object()) << st.out;
    EXPECT_EQ(j["panic"], false) << st.out;
    EXPECT_EQ(j["mutex_owner"]["held"], false) << st.out;
    EXPECT_EQ(j["mutex_stats"]["owner_deaths"], 0) << st.out;
    EXPECT_EQ(j["live_refcount"], 0) << st.out;
  }
  EXPECT_EQ(Osport({"remove", "r"}).code, 0);
}

// An answer that cannot be written is a failure (exit 1) (review 6: every
// command exited 0 with stdout on /dev/full); a create that fails so
// removes its region again (review 10: it was left made).
TEST_F(ToolTest, AnAnswerThatCannotBeWrittenIsAFailure) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full here";
  const std::vector<std::vector<std::string>> cases = {
      {"create", "r", "--size=64KiB"}, {"stat", "r"}, {"stat", "r", "--json"}, {"list"}, {"remove", "r"}};
  for (const std::vector<std::string>& args : cases) {
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/full 2>/dev/null",
                                     OSPORT_TOOL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--home=" + dir());
    absl::StatusOr<os::Child> c = os::Spawn(argv);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->Wait().value_or(-1), 1) << args[0];
    if (args[0] == "create") {
      EXPECT_FALSE(os::Exists(Path("r")).value()) << "a failed create left its region";
      ASSERT_EQ(Osport({"create", "r", "--size=64KiB"}).code, 0);  // for the commands below
    }
  }
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_F(ToolTest, AFifoInTheHomeIsRefusedNotOpened) {
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  const std::vector<std::vector<std::string>> cases = {
      {"stat", "fifo"}, {"lock", "fifo", "--hold=0s"}, {"grow", "fifo", "--size=1MiB"}, {"panic", "fifo"},
      {"create", "fifo", "--size=64KiB"}, {"remove", "fifo"}, {"remove", "fifo", "--force"}};
  for (std::vector<std::string> args : cases) {
    args.push_back("--json");
    ToolRun r = Osport(args);
    EXPECT_EQ(r.code, 1) << args[0] << ": " << r.out;
    EXPECT_EQ(r.json().value("error", ""), "not_a_region") << args[0] << ": " << r.out;
  }
  ToolRun list = Osport({"list", "--json"});
  EXPECT_EQ(list.code, 0) << list.out;
  EXPECT_EQ(list.json()["other_files"].size(), 1u) << list.out;
  EXPECT_EQ(::unlink(Path("fifo").c_str()), 0);
}

}  // namespace
}  // namespace osport
