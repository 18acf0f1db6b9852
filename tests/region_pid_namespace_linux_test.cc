// One pid namespace per region at a time (region/liveness.h, "Pid
// namespaces"). Two containers sharing a home (review 10, replay #1): a
// pid recorded by one names another process in the other, or none, so a
// live lock holder there was taken for dead -- two holders, and a panic
// nobody caused. Real processes in real namespaces: the worker runs under
// unshare(1), as a container's processes do. Linux builds that judge
// liveness by /proc only (tests/CMakeLists.txt); needs root.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/map.h"
#include "os/process.h"
#include "region/errors.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/helper.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

// LeakSanitizer (in ASan) reads /proc at exit: without it, a fatal error.
#if defined(__SANITIZE_ADDRESS__)
#define OSPORT_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OSPORT_TEST_LSAN 1
#endif
#endif

namespace osport::region {
namespace {

using testing::Ask;
using testing::StartRegionWorker;

constexpr std::uint64_t kSize = 64 * 1024;
constexpr char kUnshare[] = "/usr/bin/unshare";

// A new pid namespace with its own /proc, as a container has; the worker is
// its pid 1, and dies with unshare (--kill-child).
const std::vector<std::string> kContainer{kUnshare, "--pid", "--fork", "--mount-proc", "--kill-child"};

// Calls os::CurrentPidNamespace with the `nth` /proc read failing (EIO),
// then again without: prints both results.
OSPORT_TEST_HELPER(PidNamespaceRead) {
  int nth = 0;
  if (args.size() != 1 || !absl::SimpleAtoi(args[0], &nth)) return 2;
  std::string first;
  {
    os::FaultInjector fault(os::Op::kProcessInfo, static_cast<std::uint64_t>(nth), EIO);
    absl::StatusOr<std::uint64_t> ns = os::CurrentPidNamespace();
    first = ns.ok() ? absl::StrCat("ok ", *ns) : absl::StrCat("err ", ns.status().message());
  }
  absl::StatusOr<std::uint64_t> again = os::CurrentPidNamespace();
  testing::TellParent(first);
  testing::TellParent(again.ok() ? absl::StrCat("ok ", *again) : std::string(again.status().message()));
  return 0;
}

// args: home name backend. Run as pid 1 of a new pid namespace with its own
// /proc. Its child X attaches region `name` (creating it), forks Y and exits;
// once X is reaped, Y sets the namespace's last pid so that its own child Z
// gets X's pid back. Z holds the Region X attached, inherited through two
// forks, at X's very pid: it tries Lock and says what happened ("refused:
// ...", "locked", or "no reuse: ..."). Exits 0 when all ran.
OSPORT_TEST_HELPER(InheritedAtAReusedPid) {
  if (args.size() != 3) return 2;
  RegionOptions o;
  o.home = args[0];
  o.name = args[1];
  o.size = kSize;
  o.backend = os::ParseBackend(args[2]).value();
  o.attach_timeout = absl::Seconds(5);
  int go[2];  // init -> Y: X is reaped
  if (::pipe(go) != 0) return 3;
  const pid_t x = ::fork();
  if (x < 0) return 3;
  if (x == 0) {
    absl::StatusOr<Region> r = Region::Attach(o);
    if (!r.ok() || !r->Unlock().ok()) {
      testing::TellParent(absl::StrCat("attach: ", r.status().ToString()));
      std::fflush(nullptr);
      ::_exit(1);
    }
    const auto xpid = static_cast<std::uint32_t>(::getpid());
    const std::uint64_t xstart = os::CurrentProcess().start;
    const pid_t y = ::fork();
    if (y == 0) {
      ::close(go[1]);
      char c = 0;
      if (::read(go[0], &c, 1) != 1) ::_exit(1);
      // Start stamps count clock ticks (/proc/<pid>/stat field 22): a pid
      // reused within X's very tick is not told apart. Without ns_last_pid
      // reuse takes a wrap of the pid space, far longer; here the clock is
      // let pass X's tick first.
      const long hz = ::sysconf(_SC_CLK_TCK);
      for (;;) {
        timespec now{};
        if (hz <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &now) != 0) ::_exit(1);
        const auto ticks = static_cast<std::uint64_t>(now.tv_sec) * static_cast<std::uint64_t>(hz) +
                           static_cast<std::uint64_t>(now.tv_nsec) / (1000000000u / static_cast<std::uint64_t>(hz));
        if (ticks > xstart) break;
        const timespec tick{0, 1000000000 / hz};
        (void)::nanosleep(&tick, nullptr);
      }
      const std::string last = absl::StrCat(xpid - 1);
      const int fd = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
      const bool set = fd >= 0 && ::write(fd, last.data(), last.size()) == static_cast<ssize_t>(last.size());
      if (fd >= 0) ::close(fd);
      const pid_t z = ::fork();
      if (z == 0) {
        std::string says;
        if (static_cast<std::uint32_t>(::getpid()) != xpid) {
          says = absl::StrCat("no reuse: pid ", ::getpid(), ", wanted ", xpid,
                              set ? "" : " (ns_last_pid not set)");
        } else {
          absl::Status s = r->Lock();
          says = s.ok() ? "locked" : absl::StrCat("refused: ", s.ToString());
        }
        testing::TellParent(says);
        std::fflush(nullptr);
        ::_exit(0);
      }
      int st = 0;
      ::_exit(z > 0 && ::waitpid(z, &st, 0) == z && WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    ::_exit(y > 0 ? 0 : 1);  // dies attached, as after a kill
  }
  ::close(go[0]);
  int st = 0;
  if (::waitpid(x, &st, 0) != x || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 4;
  if (::write(go[1], "g", 1) != 1) return 3;
  // Y is ours now (orphans go to pid 1): wait for it.
  for (;;) {
    const pid_t p = ::wait(&st);
    if (p < 0) break;
  }
  return 0;
}

std::uint64_t OurNamespace() {
  struct stat st {};
  return ::stat("/proc/self/ns/pid", &st) == 0 ? st.st_ino : 0;
}

class PidNamespaceTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  void SetUp() override {
    RegionTest::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare --pid; CI runs it as root";
    if (::access(kUnshare, X_OK) != 0) GTEST_SKIP() << kUnshare << " (util-linux) is missing";
  }
  RegionOptions Opts(absl::Duration timeout) const {
    RegionOptions o = Options("r", kSize, GetParam());
    o.attach_timeout = timeout;
    return o;
  }
  // A worker in a new pid namespace (checked to be there) that creates the
  // region and holds its lock.
  void StartHolder(os::Child* w, std::uint64_t* its_ns) {
    absl::StatusOr<os::Child> c = StartRegionWorker(Opts(absl::Seconds(10)), "", kContainer);
    ASSERT_TRUE(c.ok()) << c.status();
    *w = std::move(*c);
    const std::string ns = Ask(*w, "pidns");
    ASSERT_TRUE(absl::SimpleAtoi(ns, its_ns)) << "the worker says: " << ns;
    ASSERT_NE(*its_ns, OurNamespace()) << "unshare --pid did not give the worker a pid namespace";
    ASSERT_EQ(Ask(*w, "attach"), "ok created=1");
    ASSERT_EQ(Ask(*w, "lock"), "ok");
  }
};

TEST(PidNamespaceReadTest, IsTheInodeOfProcSelfNsPidAndEveryFailedReadIsNamed) {
  absl::StatusOr<std::uint64_t> ns = os::CurrentPidNamespace();
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(*ns, OurNamespace());
  EXPECT_NE(*ns, 0u);
  // A fresh process reads /proc/self, then /proc/self/ns/pid; a failure of
  // either is an error naming it, and caches nothing.
  const char* const paths[] = {"/proc/self", "/proc/self/ns/pid"};
  for (int nth = 1; nth <= 2; ++nth) {
    SCOPED_TRACE(paths[nth - 1]);
    absl::StatusOr<os::Child> h = testing::StartHelper("PidNamespaceRead", {absl::StrCat(nth)});
    ASSERT_TRUE(h.ok()) << h.status();
    const absl::StatusOr<std::string> first = h->ReadLine();
    const absl::StatusOr<std::string> again = h->ReadLine();
    ASSERT_TRUE(first.ok() && again.ok());
    EXPECT_TRUE(absl::StartsWith(*first, "err ")) << *first;
    EXPECT_TRUE(absl::StrContains(*first, absl::StrCat("readlink(\"", paths[nth - 1], "\")"))) << *first;
    EXPECT_EQ(*again, absl::StrCat("ok ", *ns));
    EXPECT_EQ(h->Wait().value_or(-1), 0);
  }
}

// The worker, pid 1 of its namespace, holds the region lock. Its pid here
// is init's, started at another time: without the namespace check this
// attach took the lock over as an owner death and panicked the region.
TEST_P(PidNamespaceTest, ALiveHolderInAnotherPidNamespaceIsNeverTakenForDead) {
  os::Child w;
  std::uint64_t its_ns = 0;
  ASSERT_NO_FATAL_FAILURE(StartHolder(&w, &its_ns));

  absl::StatusOr<Region> refused = Region::Attach(Opts(absl::Milliseconds(300)));
  if (refused.ok()) Track(*refused);
  ASSERT_FALSE(refused.ok()) << "joined a region whose lock holder lives in another pid namespace";
  EXPECT_EQ(RegionErrcOf(refused.status()), RegionErrc::kBusy) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                absl::StrCat("another pid namespace (pid:[", its_ns, "]")))
      << refused.status();
  // stat does not judge the other namespace's pids.
  absl::StatusOr<RegionStat> st = Stat(Opts(absl::Seconds(1)));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->other_namespace);
  EXPECT_EQ(st->pid_namespace, its_ns);
  EXPECT_TRUE(st->owner.held && st->owner_alive);
  EXPECT_FALSE(st->panic);

  // Still the holder: its unlock succeeds (a takeover made it EPERM).
  EXPECT_EQ(Ask(w, "unlock"), "ok");
  EXPECT_EQ(Ask(w, "detach"), "ok");

  // Nobody attached: this namespace adopts it, data and all, not panicked.
  absl::StatusOr<Region> adopted = Region::Attach(Opts(absl::Seconds(5)));
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  Track(*adopted);
  // (Under the Win95 rule named memory went with its last user: made anew.)
  EXPECT_EQ(adopted->created(), os::config::kZeroOnLastClose && os::BackendNamed(GetParam()));
  EXPECT_FALSE(adopted->panicked());
  EXPECT_EQ(adopted->header().pid_namespace.load(), OurNamespace());
  EXPECT_EQ(adopted->header().refcount, 1u) << "the other namespace's slot was kept";
  ASSERT_TRUE(adopted->Unlock().ok());
  // ... and now the other namespace is refused while we are attached.
  ASSERT_EQ(Ask(w, "timeout 300"), "ok");
  const std::string reply = Ask(w, "attach");
  EXPECT_TRUE(absl::StartsWith(reply, "err busy ")) << reply;
  EXPECT_TRUE(absl::StrContains(reply, absl::StrCat("another pid namespace (pid:[", OurNamespace(), "]")))
      << reply;
  ASSERT_TRUE(adopted->Lock().ok());
  ASSERT_TRUE(adopted->MarkForRemoval().ok());
  ASSERT_TRUE(adopted->Unlock().ok());
  ASSERT_TRUE(adopted->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
  w.CloseInput();
  EXPECT_EQ(w.Wait().value_or(-1), 0);
}

// A holder that dies in its namespace is an owner death here too: the
// region panics (kRunRecovery), as for any dead holder.
TEST_P(PidNamespaceTest, AHolderThatDiedInAnotherPidNamespaceIsAnOwnerDeath) {
  os::Child w;
  std::uint64_t its_ns = 0;
  ASSERT_NO_FATAL_FAILURE(StartHolder(&w, &its_ns));
  ASSERT_TRUE(w.Kill().ok());  // unshare; --kill-child takes the worker with it
  (void)w.Wait();
  // The worker's liveness lock goes with it, shortly after unshare: the
  // attach waits for that (bounded), then adopts and finds the dead holder.
  absl::StatusOr<Region> r = Region::Attach(Opts(absl::Seconds(10)));
  if (r.ok()) Track(*r);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsRunRecovery(r.status())) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "a process died holding the region lock"))
      << r.status();
  RegionOptions recover = Opts(absl::Seconds(5));
  recover.recover = true;
  absl::StatusOr<Region> rec = Region::Attach(recover);
  ASSERT_TRUE(rec.ok()) << rec.status();
  Track(*rec);
  EXPECT_TRUE(rec->panicked());
  EXPECT_EQ(rec->header().pid_namespace.load(), OurNamespace());
  ASSERT_TRUE(rec->MarkForRemoval().ok());
  ASSERT_TRUE(rec->Unlock().ok());
  ASSERT_TRUE(rec->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

// A /proc that is not the process's own -- missing, or another pid
// namespace's (`unshare --pid --fork` without --mount-proc) -- reads every
// pid as another process: attach refuses before it looks at anything.
TEST_P(PidNamespaceTest, AProcThatIsNotThisNamespacesIsRefusedBeforeAnythingIsMade) {
  struct Case {
    const char* what;
    std::vector<std::string> wrapper;
    const char* says;
    bool under_lsan;  // LeakSanitizer needs /proc itself at exit (a fatal error without)
  };
  const Case cases[] = {
      {"/proc of the parent namespace", {kUnshare, "--pid", "--fork", "--kill-child"},
       "/proc belongs to another pid namespace", true},
      {"no /proc",
       {kUnshare, "--mount", "--propagation", "private", "--fork", "--kill-child", "/bin/sh", "-c",
        "umount -l /proc && exec \"$0\" \"$@\""},
       "/proc is not mounted", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
#ifdef OSPORT_TEST_LSAN
    if (!c.under_lsan) continue;  // run in every other native Linux cell, TSan's too
#endif
    absl::StatusOr<os::Child> w = StartRegionWorker(Opts(absl::Seconds(1)), "", c.wrapper);
    ASSERT_TRUE(w.ok()) << w.status();
    const std::string ns = Ask(*w, "pidns");
    EXPECT_TRUE(absl::StrContains(ns, c.says)) << ns;
    const std::string reply = Ask(*w, "attach");
    EXPECT_TRUE(absl::StartsWith(reply, "err ")) << reply;
    EXPECT_TRUE(absl::StrContains(reply, c.says)) << reply;
    EXPECT_TRUE(absl::StrContains(reply, "region r")) << reply;
    EXPECT_FALSE(os::Exists(Path("r")).value()) << "made a file before refusing";
    w->CloseInput();
    EXPECT_EQ(w->Wait().value_or(-1), 0);
  }
}

// A descendant that gets the attacher's pid back (the attacher died, the pid
// was reused) is still not the attacher: the start stamp differs, and an
// inherited Region refuses the lock there as anywhere (region.h, "fork").
// Reuse made on purpose: ns_last_pid in a pid namespace of our own.
TEST_P(PidNamespaceTest, ARegionInheritedAtTheAttachersReusedPidIsStillInherited) {
  absl::StatusOr<std::string> self = os::ExecutablePath();
  ASSERT_TRUE(self.ok()) << self.status();
  std::vector<std::string> argv = kContainer;
  argv.insert(argv.end(), {*self, "--osport_helper=InheritedAtAReusedPid", dir(), "r",
                           std::string(os::BackendName(GetParam()))});
  absl::StatusOr<os::Child> h = os::Spawn(argv);
  ASSERT_TRUE(h.ok()) << h.status();
  const std::string says = h->ReadLine().value_or("");
  EXPECT_EQ(h->Wait().value_or(-1), 0) << says;
  // Without a settable ns_last_pid (a kernel without checkpoint/restore)
  // the reuse cannot be made: skipped. Anything else is a failure.
  if (absl::StartsWith(says, "no reuse: ") && absl::StrContains(says, "ns_last_pid not set")) {
    GTEST_SKIP() << says;
  }
  EXPECT_TRUE(absl::StartsWith(says, "refused: ")) << says;
  EXPECT_TRUE(absl::StrContains(says, "the pid was reused")) << says;
  EXPECT_TRUE(absl::StrContains(says, "inherited across fork()")) << says;
  // The attacher died attached (its child's copy released): the next attach
  // cleans its slot, and nobody held the lock: no panic.
  absl::StatusOr<Region> r = Region::Attach(Opts(absl::Seconds(5)));
  ASSERT_TRUE(r.ok()) << r.status();
  Track(*r);
  EXPECT_FALSE(r->panicked());
  EXPECT_EQ(r->header().refcount, 1u);
  ASSERT_TRUE(r->MarkForRemoval().ok());
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(r->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, PidNamespaceTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& i) {
                           return std::string(os::BackendName(i.param));
                         });

}  // namespace
}  // namespace osport::region
