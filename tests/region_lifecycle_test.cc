// The region lifecycle (region/liveness.h) under crashes at every step: for
// each shared backend and each step (create, join, grow, detach, remove) a
// helper process counts the os calls the step makes through the hook table,
// then is paused at each one in turn and killed there (SIGKILL /
// TerminateProcess). The next process must attach (or see the owner death
// exactly once), and removal must leave nothing behind. Also: a joiner
// arriving at every step of creation succeeds; fork leaves an inert Region.
#include <atomic>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/hooks.h"
#include "region/errors.h"
#include "region/region.h"
#include "tests/support/helper.h"
#include "tests/support/ledger.h"
#include "os/file.h"
#include "os/map.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

std::atomic<std::uint64_t> g_calls{0};
std::uint64_t g_pause_at = 0;

// Counts every os call; at call g_pause_at tells the parent which one and
// waits for "go" (anything else, or end of input, ends the process at once:
// no cleanup, as a kill).
os::HookResult PausingHook(os::Op op, void*) {
  const std::uint64_t n = ++g_calls;
  if (n == g_pause_at) {
    testing::TellParent(absl::StrCat("paused ", n, " ", os::OpName(op)));
    if (testing::ReadParentLine() != "go") std::_Exit(99);
  }
  return {};
}

RegionOptions HelperOptions(const std::vector<std::string>& args) {
  RegionOptions o;
  o.home = args[0];
  o.name = args[1];
  o.backend = os::ParseBackend(args[2]).value();
  o.size = std::stoull(args[3]);
  o.retry.attempts = 50;
  o.retry.backoff = absl::Milliseconds(2);
  o.attach_timeout = absl::Seconds(5);
  return o;
}

// args: home name backend size step N. Runs `step` with the hook installed
// around it; N == 0 only counts. Replies "done <calls>" or "err <status>".
OSPORT_TEST_HELPER(StepCrasher) {
  const RegionOptions o = HelperOptions(args);
  const std::string step = args[4];
  g_pause_at = std::stoull(args[5]);
  absl::StatusOr<Region> r;
  if (step == "grow" || step == "detach") {
    r = Region::Attach(o);
    if (!r.ok()) {
      testing::TellParent(absl::StrCat("err ", r.status().ToString()));
      return 1;
    }
    if (step == "detach" && !r->Unlock().ok()) return 1;
  }
  os::InstallHook(&PausingHook, nullptr);
  absl::Status s;
  if (step == "create" || step == "join") {
    r = Region::Attach(o);
    s = r.status();
  } else if (step == "grow") {
    s = r->Grow(2 * o.size);
  } else if (step == "detach") {
    s = r->Detach();
  } else if (step == "remove") {
    s = Remove(o, false).status();
  }
  os::InstallHook(nullptr, nullptr);
  const std::uint64_t calls = g_calls.load();
  if (!s.ok()) {
    testing::TellParent(absl::StrCat("err ", s.ToString()));
    return 1;
  }
  if (r.ok() && r->attached()) {
    if (step != "detach" && !r->Unlock().ok()) return 1;
    if (!r->Detach().ok()) return 1;
  }
  testing::TellParent(absl::StrCat("done ", calls));
  return 0;
}

struct Step {
  const char* name;
  bool file_only;
};

class LifecycleCrashTest : public testing::RegionTest,
                           public ::testing::WithParamInterface<std::tuple<os::Backend, const char*>> {
 protected:
  os::Backend backend() const { return std::get<0>(GetParam()); }
  std::string step() const { return std::get<1>(GetParam()); }
  RegionOptions Opts() const { return Options("r", kSize, backend()); }

  absl::StatusOr<os::Child> Start(std::uint64_t n) {
    return testing::StartHelper("StepCrasher", {dir(), "r", std::string(os::BackendName(backend())),
                                                absl::StrCat(kSize), step(), absl::StrCat(n)});
  }

  // Every step but create starts from an existing region nobody is attached to.
  void Prepare() {
    if (step() == "create") return;
    absl::StatusOr<Region> r = Region::Attach(Opts());
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
  }

  // What the next process finds after a kill at call `n` (`where`): the
  // region attaches, or reports the owner death exactly once (kRunRecovery
  // saying a process died; the lock is not held) and is recovered keeping a
  // usable region; it has the old or the new size (a grow is settled: the
  // file cut back to the header's size, no target left); it is removed
  // leaving nothing behind.
  void CheckAfterKill(std::uint64_t n, const std::string& where, int* owner_deaths) {
    SCOPED_TRACE(where);
    absl::StatusOr<Region> r = Region::Attach(Opts());
    if (!r.ok() && IsRunRecovery(r.status()) && r.status().message().find("died") != absl::string_view::npos) {
      ++*owner_deaths;
      EXPECT_FALSE(os::IsOwnerDead(r.status())) << r.status();
      // Told once; after that the region is panicked for everyone.
      absl::StatusOr<Region> again = Region::Attach(Opts());
      EXPECT_TRUE(IsRunRecovery(again.status())) << n << ": " << again.status();
      EXPECT_EQ(again.status().message().find("died"), absl::string_view::npos) << again.status();
      RegionOptions ro = Opts();
      ro.recover = true;
      absl::StatusOr<Region> c = Region::Attach(ro);
      ASSERT_TRUE(c.ok()) << "recovery after a kill at call " << n << ": " << c.status();
      EXPECT_TRUE(c->panicked());
      CheckSize(*c);
      ASSERT_TRUE(c->ClearPanic().ok());
      ASSERT_TRUE(c->Unlock().ok());
      ASSERT_TRUE(c->Detach().ok());
      r = Region::Attach(Opts());
    }
    ASSERT_TRUE(r.ok()) << "kill at call " << n << " (" << where << "): " << r.status();
    CheckSize(*r);
    ASSERT_TRUE(r->Unlock().ok());
    ASSERT_TRUE(r->Detach().ok());
    // NotFound is right too: a remover killed after marking the region
    // leaves the mark, and our detach, the last, removed it.
    absl::Status removed = Remove(Opts(), false).status();
    ASSERT_TRUE(removed.ok() || removed.code() == absl::StatusCode::kNotFound) << removed;
    EXPECT_FALSE(os::Exists(Path("r")).value()) << where;
    EXPECT_EQ(testing::LedgerLeftovers(), std::vector<std::string>{}) << where << ": system memory left behind";
  }

  // A usable region of the old or the new size, with no grow under way; a
  // file region's file holds exactly that where a mapped file can be cut
  // back (POSIX; Win32 refuses while views exist).
  void CheckSize(Region& r) {
    const std::uint64_t size = r.header().size.load();
    EXPECT_TRUE(size == RoundRegionSize(kSize) || size == RoundRegionSize(2 * kSize)) << size;
    EXPECT_EQ(r.size(), size);
    EXPECT_EQ(r.header().grow_target.load(), 0u);
    if (backend() == os::Backend::kFile && os::RangeLockConvertsInPlace()) {
      os::File f = os::Open(Path("r"), os::kOpenReadOnly).value();
      EXPECT_EQ(os::GetIoInfo(f).value().size(), size);
      ASSERT_TRUE(f.Close().ok());
    }
  }
};

TEST_P(LifecycleCrashTest, AKillAtEveryOsCallOfTheStepLeavesAUsableRegion) {
  if (step() == "grow" && backend() != os::Backend::kFile) GTEST_SKIP() << "only file regions grow";
  Prepare();
  std::uint64_t total = 0;
  {
    absl::StatusOr<os::Child> counter = Start(0);
    ASSERT_TRUE(counter.ok()) << counter.status();
    const std::string line = counter->ReadLine().value_or("");
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts[0], "done") << line;
    ASSERT_TRUE(absl::SimpleAtoi(parts[1], &total)) << line;
    ASSERT_EQ(counter->Wait().value(), 0);
    ASSERT_GT(total, 0u);
  }
  // The counting run left the region (or none, for remove) behind: start over.
  ASSERT_TRUE(Remove(Opts(), true).ok());
  int covered = 0, owner_deaths = 0;
  for (std::uint64_t n = 1; n <= total; ++n) {
    Prepare();
    absl::StatusOr<os::Child> h = Start(n);
    ASSERT_TRUE(h.ok()) << h.status();
    const std::string line = h->ReadLine().value_or("");
    if (line.rfind("paused ", 0) != 0) {
      // This run made fewer calls (a retry less): the step completed.
      ASSERT_EQ(line.rfind("done", 0), 0u) << line;
      ASSERT_EQ(h->Wait().value(), 0);
      ASSERT_TRUE(Remove(Opts(), true).ok());
      continue;
    }
    ASSERT_TRUE(h->Kill().ok());
    ASSERT_NE(h->Wait().value(), 0);
    ++covered;
    CheckAfterKill(n, absl::StrCat(step(), " ", os::BackendName(backend()), " killed at ", line),
                   &owner_deaths);
    if (HasFatalFailure()) return;
  }
  std::printf("[ crash points ] %s/%s: %d of %d os calls covered, %d reported an owner death\n",
              step().c_str(), std::string(os::BackendName(backend())).c_str(), covered,
              static_cast<int>(total), owner_deaths);
  EXPECT_GT(covered, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, LifecycleCrashTest,
    ::testing::Combine(::testing::ValuesIn(testing::SharedBackends()),
                       ::testing::Values("create", "join", "grow", "detach", "remove")),
    [](const ::testing::TestParamInfo<std::tuple<os::Backend, const char*>>& p) {
      return absl::StrCat(os::BackendName(std::get<0>(p.param)), "_", std::get<1>(p.param));
    });

// A joiner that arrives while the creator is paused at each os call of
// creation waits (or replaces a creator that had not locked yet) and then
// succeeds -- never incompatible or corrupt; and so does the creator.
class JoinDuringCreateTest : public testing::RegionTest,
                             public ::testing::WithParamInterface<os::Backend> {};

TEST_P(JoinDuringCreateTest, AJoinerArrivingAtEveryStepOfCreationSucceeds) {
  RegionOptions o = Options("r", kSize, GetParam());
  auto start = [&](std::uint64_t n) {
    return testing::StartHelper("StepCrasher", {dir(), "r", std::string(os::BackendName(GetParam())),
                                                absl::StrCat(kSize), "create", absl::StrCat(n)});
  };
  std::uint64_t total = 0;
  {
    absl::StatusOr<os::Child> counter = start(0);
    ASSERT_TRUE(counter.ok());
    std::vector<std::string> parts = absl::StrSplit(counter->ReadLine().value_or(""), ' ');
    ASSERT_TRUE(absl::SimpleAtoi(parts.back(), &total));
    ASSERT_EQ(counter->Wait().value(), 0);
  }
  ASSERT_TRUE(Remove(o, true).ok());
  int covered = 0;
  for (std::uint64_t n = 1; n <= total; ++n) {
    absl::StatusOr<os::Child> creator = start(n);
    ASSERT_TRUE(creator.ok());
    const std::string line = creator->ReadLine().value_or("");
    if (line.rfind("paused ", 0) != 0) {
      ASSERT_EQ(creator->Wait().value(), 0);
      ASSERT_TRUE(Remove(o, true).ok());
      continue;
    }
    // The joiner runs in a thread; once it has made its first os call the
    // creator is told to go on.
    std::promise<void> arrived;
    std::atomic<bool> once{false};
    os::FaultInjector seen(os::FaultRule::Pause(os::Op::kOpen, 1, [&] {
      if (!once.exchange(true)) arrived.set_value();
    }));
    std::future<absl::Status> joined = std::async(std::launch::async, [&] {
      absl::StatusOr<Region> r = Region::Attach(o);
      if (!r.ok()) return r.status();
      absl::Status u = r->Unlock();
      absl::Status d = r->Detach();
      return u.ok() ? d : u;
    });
    arrived.get_future().wait();
    ASSERT_TRUE(creator->Send("go").ok());
    EXPECT_TRUE(joined.get().ok()) << line;
    EXPECT_EQ(creator->ReadLine().value_or("").rfind("done", 0), 0u) << line;
    EXPECT_EQ(creator->Wait().value(), 0) << line;
    ++covered;
    absl::Status removed = Remove(o, false).status();
    ASSERT_TRUE(removed.ok()) << line << ": " << removed;
    EXPECT_FALSE(os::Exists(Path("r")).value()) << line;
    EXPECT_EQ(testing::LedgerLeftovers(), std::vector<std::string>{}) << line << ": system memory left behind";
  }
  std::printf("[ join points ] create/%s: a joiner arrived at %d of %d os calls\n",
              std::string(os::BackendName(GetParam())).c_str(), covered, static_cast<int>(total));
}

INSTANTIATE_TEST_SUITE_P(Backends, JoinDuringCreateTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

// A grow that fails (a full disk: ENOSPC at allocation; no address space:
// ENOMEM at the remap) leaves the region as it was: the file cut back, the
// header's size unchanged, and every later attach, smaller grow and removal
// working (issue 11 inputs (a) and (b), injected through the hook table).
class FailedGrowTest : public testing::RegionTest,
                       public ::testing::WithParamInterface<std::tuple<os::Op, int>> {};

TEST_P(FailedGrowTest, AFailedGrowLeavesAUsableRegionOfTheOldSize) {
  auto [op, err] = GetParam();
  // Where every page must be written before mapping (OSPORT_MAPINIT) the
  // disk fills up in the zero-writing, not in an allocation call.
  if (op == os::Op::kAllocate && os::MapInitRequired()) op = os::Op::kWrite;
  RegionOptions o = Options("g", kSize);
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::uint64_t old = r->size();
  {
    os::FaultInjector fault(op, 1, err);
    absl::Status s = r->Grow(16 * kSize);
    EXPECT_TRUE(os::HasErrno(s, err)) << s;
    EXPECT_EQ(fault.fired(), 1u);
  }
  EXPECT_EQ(r->size(), old);
  EXPECT_EQ(r->header().size.load(), old);
  // The file is cut back where the system allows cutting a mapped file
  // (POSIX); Win32 refuses while a view exists, and joiners map the
  // header's size either way.
  os::File f = os::Open(Path("g"), os::kOpenReadOnly).value();
  EXPECT_GE(os::GetIoInfo(f).value().size(), old);
  if (os::RangeLockConvertsInPlace()) {  // POSIX
    EXPECT_EQ(os::GetIoInfo(f).value().size(), old);
  }
  ASSERT_TRUE(f.Close().ok());
  ASSERT_TRUE(r->Unlock().ok());
  absl::StatusOr<Region> j = Region::Attach(o);  // joinable at once
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->size(), old);
  ASSERT_TRUE(j->Grow(2 * kSize).ok());  // a smaller grow works
  ASSERT_TRUE(j->Unlock().ok());
  EXPECT_TRUE(r->NeedsRemap());
  ASSERT_TRUE(r->Remap().ok());
  ASSERT_TRUE(j->Detach().ok());
  ASSERT_TRUE(r->Detach().ok());
  ASSERT_TRUE(Remove(o, false).ok());
}

INSTANTIATE_TEST_SUITE_P(Faults, FailedGrowTest,
                         ::testing::Values(std::make_tuple(os::Op::kAllocate, ENOSPC),
                                           std::make_tuple(os::Op::kMap, ENOMEM)),
                         [](const ::testing::TestParamInfo<std::tuple<os::Op, int>>& p) {
                           return std::string(std::get<0>(p.param) == os::Op::kMap ? "ENOMEM_remap"
                                                                                  : "ENOSPC_allocate");
                         });

// A grow whose prefault fails (MADV_POPULATE_WRITE: ENOMEM) is undone like
// any failed grow: the old view, the old size, no target left, the file cut
// back. Where prefault only touches pages (no madvise) it cannot fail.
TEST_F(FailedGrowTest, AFailedPrefaultLeavesTheRegionAsItWas) {
  RegionOptions o = Options("p", kSize);
  o.prefault = true;
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::uint64_t old = r->size();
  std::uint64_t advised = 0;
  {
    // Every madvise fails: a hint before the prefault ignores its failure.
    std::vector<os::FaultRule> rules;
    for (std::uint64_t n = 1; n <= 4; ++n) rules.push_back(os::FaultRule::Fail(os::Op::kAdvise, n, ENOMEM));
    os::FaultInjector fault(std::move(rules));
    absl::Status s = r->Grow(4 * kSize);
    advised = fault.calls(os::Op::kAdvise);
    if (advised != 0) {
      EXPECT_TRUE(os::HasErrno(s, ENOMEM)) << s;
    }
  }
  if (advised != 0) {
    EXPECT_EQ(r->size(), old);
    EXPECT_EQ(r->header().size.load(), old);
    EXPECT_EQ(r->header().grow_target.load(), 0u);
    EXPECT_FALSE(r->NeedsRemap());
    os::File f = os::Open(Path("p"), os::kOpenReadOnly).value();
    if (os::RangeLockConvertsInPlace()) {  // POSIX
      EXPECT_EQ(os::GetIoInfo(f).value().size(), old);
    }
    ASSERT_TRUE(f.Close().ok());
    ASSERT_TRUE(r->Grow(2 * kSize).ok());  // and it grows again
  }
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(r->Detach().ok());
  ASSERT_TRUE(Remove(o, false).ok());
  if (advised == 0) GTEST_SKIP() << "prefault touches pages in this build (no madvise): it cannot fail";
}

// A file longer than its header says (what a grower killed between extending
// the file and storing the size leaves) is joined at the header's size.
TEST_F(FailedGrowTest, AFileLongerThanItsHeaderIsJoinedAtTheHeadersSize) {
  RegionOptions o = Options("g", kSize);
  absl::StatusOr<Region> r = Region::Attach(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::uint64_t old = r->size();
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(r->Detach().ok());
  {
    os::File f = os::Open(Path("g"), 0).value();
    ASSERT_TRUE(os::Truncate(f, 4 * old).ok());
  }
  absl::StatusOr<Region> j = Region::Attach(o);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->size(), old);
  EXPECT_FALSE(j->NeedsRemap());
  ASSERT_TRUE(j->Grow(2 * old).ok());  // and it can grow again
  ASSERT_TRUE(j->Unlock().ok());
  ASSERT_TRUE(j->Detach().ok());
  ASSERT_TRUE(Remove(o, false).ok());
}

// Recovery: a lock holder is killed; the next attach reports the owner death
// once and the region is panicked; every attached process hears of it on its
// next Lock (kRunRecovery, lock not held); a process attaching with
// `recover` finds the data kept, clears the panic, and everyone's Lock works.
class RecoveryTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {};

TEST_P(RecoveryTest, AKilledHolderIsRecoveredKeepingTheDataAndEveryoneIsTold) {
  const RegionOptions o = Options("r", kSize, GetParam());
  absl::StatusOr<Region> a = Region::Attach(o);
  ASSERT_TRUE(a.ok()) << a.status();
  Track(*a);
  *static_cast<std::uint64_t*>(a->data()) = 42;
  ASSERT_TRUE(a->Unlock().ok());
  absl::StatusOr<os::Child> w1 = testing::StartRegionWorker(o);
  absl::StatusOr<os::Child> w2 = testing::StartRegionWorker(o);
  ASSERT_TRUE(w1.ok() && w2.ok());
  ASSERT_EQ(testing::Ask(*w1, "attach").substr(0, 2), "ok");
  ASSERT_EQ(testing::Ask(*w2, "attach").substr(0, 2), "ok");
  ASSERT_EQ(testing::Ask(*w1, "lock"), "ok");
  ASSERT_TRUE(w1->Kill().ok());
  ASSERT_NE(w1->Wait().value(), 0);

  absl::StatusOr<Region> b = Region::Attach(o);  // told once: panicked, lock not held
  EXPECT_TRUE(IsRunRecovery(b.status())) << b.status();
  EXPECT_FALSE(os::IsOwnerDead(b.status()));
  EXPECT_NE(b.status().message().find("died"), absl::string_view::npos) << b.status();
  // Everyone already attached hears of the panic on the next Lock.
  absl::Status locked = a->Lock();
  EXPECT_TRUE(IsRunRecovery(locked)) << locked;
  EXPECT_FALSE(os::IsOwnerDead(locked));
  EXPECT_TRUE(IsRunRecovery(a->Lock()));  // the lock was not kept
  EXPECT_EQ(testing::Ask(*w2, "lock").substr(0, 16), "err run_recovery");

  RegionOptions ro = o;
  ro.recover = true;
  absl::StatusOr<Region> c = Region::Attach(ro);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->created());
  EXPECT_TRUE(c->panicked());
  EXPECT_EQ(*static_cast<std::uint64_t*>(c->data()), 42u);  // the data is kept
  ASSERT_TRUE(c->ClearPanic().ok());
  ASSERT_TRUE(c->Unlock().ok());
  EXPECT_EQ(c->ClearPanic().code(), absl::StatusCode::kFailedPrecondition);  // needs the lock

  ASSERT_TRUE(a->Lock().ok());
  ASSERT_TRUE(a->Unlock().ok());
  EXPECT_EQ(testing::Ask(*w2, "lock"), "ok");
  EXPECT_EQ(testing::Ask(*w2, "unlock"), "ok");
  EXPECT_EQ(testing::Ask(*w2, "detach"), "ok");
  EXPECT_EQ(testing::Ask(*w2, "exit"), "");
  EXPECT_EQ(w2->Wait().value(), 0);
  ASSERT_TRUE(c->Detach().ok());
  ASSERT_TRUE(a->Lock().ok());
  ASSERT_TRUE(a->MarkForRemoval().ok());
  ASSERT_TRUE(a->Unlock().ok());
  ASSERT_TRUE(a->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, RecoveryTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

// args: home name backend size n. Removes (non-force) n times; replies
// "ok" if every outcome was removed, marked or not there.
OSPORT_TEST_HELPER(RemoverLoop) {
  const RegionOptions o = HelperOptions(args);
  const int n = std::stoi(args[4]);
  for (int i = 0; i < n; ++i) {
    absl::Status s = Remove(o, false).status();
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
      testing::TellParent(absl::StrCat("err ", s.ToString()));
      return 1;
    }
  }
  testing::TellParent("ok");
  return 0;
}

// Removal racing attach: three processes attach/lock/count/detach in a
// loop while a fourth removes in a loop. Every call succeeds (or is marked /
// not there for the remover), and after the last removal nothing is left:
// no file, no system memory -- nobody ended up in memory no name points to.
class RemoveRaceTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {};

TEST_P(RemoveRaceTest, AttachersAndARemoverInLoopsLeaveNothingBehind) {
  const RegionOptions o = Options("r", kSize, GetParam());
  std::vector<os::Child> workers;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<os::Child> w = testing::StartRegionWorker(o);
    ASSERT_TRUE(w.ok()) << w.status();
    workers.push_back(std::move(*w));
  }
  absl::StatusOr<os::Child> remover = testing::StartHelper(
      "RemoverLoop", {dir(), "r", std::string(os::BackendName(GetParam())), absl::StrCat(kSize), "60"});
  ASSERT_TRUE(remover.ok()) << remover.status();
  for (os::Child& w : workers) ASSERT_TRUE(w.Send("rounds 60").ok());
  for (os::Child& w : workers) EXPECT_EQ(w.ReadLine().value_or(""), "ok");
  EXPECT_EQ(remover->ReadLine().value_or(""), "ok");
  EXPECT_EQ(remover->Wait().value(), 0);
  for (os::Child& w : workers) {
    EXPECT_EQ(testing::Ask(w, "exit"), "");
    EXPECT_EQ(w.Wait().value(), 0);
  }
  absl::Status last = Remove(o, false).status();
  EXPECT_TRUE(last.ok() || last.code() == absl::StatusCode::kNotFound) << last;
  EXPECT_FALSE(os::Exists(Path("r")).value());
  EXPECT_EQ(testing::LedgerLeftovers(), std::vector<std::string>{}) << "system memory left behind";
}

INSTANTIATE_TEST_SUITE_P(Backends, RemoveRaceTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
