// System memory taken away from a creator mid-creation (issue 11, the
// intermittent CrashTest failure): a live creator must never publish a stub
// naming memory that is gone, so a joiner never reports a live creator's
// region as "memory gone under attachers".
//
// How it happens: the POSIX backends name a region's memory from its stub's
// identity, and a name found taken by memory that is unattached and was never
// written is treated as an abandoned creation and removed
// (os::RemoveSystemMemoryOf, and the create path on a name clash). A creator
// between making its memory and writing the header looks exactly like that.
// Stubs with nearby inodes share candidate names, so a neighbouring region's
// create or remove --force can take them; so can ipcrm. Each test below
// pauses the creator at one point of that window (through the hook table),
// removes its memory as a neighbour would, lets it go on, and then joins.
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/config.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/map.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/helper.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

// args: home name backend size op nth [fail]. Pauses at call `nth` of `op`
// during the attach ("paused"), goes on at "go" -- with "fail", that call
// then fails (EIO) -- replies "created <id>" or "err <status>", then stays
// attached until told to detach.
OSPORT_TEST_HELPER(CreatorPausedAt) {
  RegionOptions o;
  o.home = args.at(0);
  o.name = args.at(1);
  o.backend = os::ParseBackend(args.at(2)).value();
  o.size = std::stoull(args.at(3));
  const auto op = static_cast<os::Op>(std::stoi(args.at(4)));
  absl::StatusOr<Region> r;
  {
    os::FaultRule rule = testing::PauseForParent(op, std::stoull(args.at(5)));
    if (args.size() > 6 && args[6] == "fail") rule.result = os::FaultRule::Fail(op, 1, EIO).result;
    os::FaultInjector pause(rule);
    r = Region::Attach(o);
  }
  if (!r.ok()) {
    testing::TellParent(absl::StrCat("err ", r.status().ToString()));
    return 1;
  }
  if (!r->created() || !r->Unlock().ok()) return 1;
  testing::TellParent(absl::StrCat("created ", r->header().system_id));
  testing::ReadParentLine();
  return r->Detach().ok() ? 0 : 1;
}

class CreateRaceTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  RegionOptions Opts() const { return Options("r", kSize, GetParam()); }

  absl::StatusOr<os::Child> StartCreator(os::Op op, std::uint64_t nth, bool fail = false) {
    std::vector<std::string> args{dir(), "r", std::string(os::BackendName(GetParam())),
                                  absl::StrCat(kSize), absl::StrCat(static_cast<int>(op)),
                                  absl::StrCat(nth)};
    if (fail) args.push_back("fail");
    return testing::StartHelper("CreatorPausedAt", args);
  }

  // What the stub on disk says now.
  struct Stub {
    std::uint32_t magic = 0;
    std::uint32_t flags = 0;
    std::uint64_t system_id = 0;
  };
  Stub ReadStub() {
    alignas(8) std::byte buf[kHeaderSize] = {};
    std::ifstream in(Path("r"), std::ios::binary);
    in.read(reinterpret_cast<char*>(buf), kHeaderSize);
    EXPECT_EQ(in.gcount(), static_cast<std::streamsize>(kHeaderSize));
    const auto* h = reinterpret_cast<const RegionHeader*>(buf);
    return Stub{h->magic.load(std::memory_order_relaxed), h->flags, h->system_id};
  }

  // After the creator said `line`: it made the region anew, a joiner joins
  // it (not kBusy "memory gone"), and everything goes away at the end.
  void ExpectJoinable(os::Child& creator, const std::string& line) {
    ASSERT_EQ(line.rfind("created ", 0), 0u) << line;
    std::uint64_t id = 0;
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(8), &id)) << line;
    Track(GetParam(), id);
    absl::StatusOr<Region> j = Region::Attach(Opts());
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_FALSE(j->created());
    EXPECT_EQ(j->header().system_id, id);
    ASSERT_TRUE(j->Unlock().ok());
    ASSERT_TRUE(j->Detach().ok());
    ASSERT_TRUE(creator.Send("detach").ok());
    EXPECT_EQ(creator.Wait().value(), 0);
    absl::StatusOr<RegionStat> st = Stat(Opts());
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_EQ(st->live_refcount, 0u);
    ASSERT_TRUE(Remove(Opts(), true).ok());
  }
};

TEST_P(CreateRaceTest, MemoryRemovedAfterTheHeaderIsWrittenIsMadeAgainBeforePublishing) {
  // Paused at the second write to the stub: the complete copy of the header,
  // after the header in memory is written; the first wrote the id (magic 0).
  absl::StatusOr<os::Child> creator = StartCreator(os::Op::kWrite, 2);
  ASSERT_TRUE(creator.ok()) << creator.status();
  ASSERT_EQ(creator->ReadLine().value(), "paused");
  const Stub stub = ReadStub();
  ASSERT_EQ(stub.magic, 0u) << "not paused before the complete stub";
  ASSERT_NE(stub.flags & kFlagNamed, 0u);
  Track(GetParam(), stub.system_id);
  // A neighbour whose zero check came before the header was written, or ipcrm.
  ASSERT_TRUE(os::RemoveSystemMemory(GetParam(), stub.system_id).ok());
  ASSERT_TRUE(creator->Send("go").ok());
  ExpectJoinable(*creator, creator->ReadLine().value_or(""));
}

TEST_P(CreateRaceTest, MemoryTakenBeforeItIsMappedIsMadeAgain) {
  // Paused at the creation's first mapping call: the memory exists, is not
  // attached, and was never written, so it looks abandoned to a clean-up of
  // the names derived from this stub (a neighbour's create, remove --force).
  absl::StatusOr<os::Child> creator = StartCreator(os::Op::kMap, 1);
  ASSERT_TRUE(creator.ok()) << creator.status();
  ASSERT_EQ(creator->ReadLine().value(), "paused");
  {
    absl::StatusOr<os::File> stub = os::Open(Path("r"), os::kOpenReadOnly, 0);
    ASSERT_TRUE(stub.ok()) << stub.status();
    ASSERT_TRUE(os::RemoveSystemMemoryOf(GetParam(), *stub).ok());
  }
  ASSERT_TRUE(creator->Send("go").ok());
  ExpectJoinable(*creator, creator->ReadLine().value_or(""));
}

std::vector<os::Backend> RemovableBackends() {
  // Memory the creator's liveness lock does not protect: names another
  // process can remove (a Win32 section lives while any handle does).
  std::vector<os::Backend> out;
  for (os::Backend b : testing::SharedBackends()) {
    if (b == os::Backend::kSysV || b == os::Backend::kPosixShm) out.push_back(b);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Backends, CreateRaceTest, ::testing::ValuesIn(RemovableBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CreateRaceTest);

// Every backend: the race models/lifecycle.pml found. A creator has made its
// file (O_EXCL, 0 bytes) and not yet tried its exclusive lock; an attach that
// may not create (a non-force remove, osport lock) finds the empty file with
// no creator lock, takes it as abandoned and unlinks it. The creator, granted
// the lock next, must see that its file lost its name and start again from
// the name -- not initialise the unlinked file, which no one could join while
// the next create made a second region under the name.
using NewFileRaceTest = CreateRaceTest;

TEST_P(NewFileRaceTest, ANewFileRemovedAsAbandonedBeforeItsCreatorLocksItIsMadeAgain) {
  if (os::config::kWin32) {
    GTEST_SKIP() << "Win32 keeps the name of a file its creator holds open, so no other process "
                    "can remove it in this window: the race cannot happen there";
  }
  // Paused at the creator's first lock call: the exclusive try on its new file.
  absl::StatusOr<os::Child> creator = StartCreator(os::Op::kLockRange, 1);
  ASSERT_TRUE(creator.ok()) << creator.status();
  ASSERT_EQ(creator->ReadLine().value(), "paused");
  {
    absl::StatusOr<os::File> file = os::Open(Path("r"), os::kOpenReadOnly, 0);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_EQ(os::GetIoInfo(*file).value().size(), 0u) << "not paused before the creator initialised";
  }
  RegionOptions no_create = Opts();
  no_create.create = false;
  absl::Status looked = Region::Attach(no_create).status();
  EXPECT_EQ(looked.code(), absl::StatusCode::kNotFound) << looked;
  ASSERT_FALSE(os::Exists(Path("r")).value()) << "the empty file was not taken as abandoned";
  ASSERT_TRUE(creator->Send("go").ok());
  ExpectJoinable(*creator, creator->ReadLine().value_or(""));
}

// Every backend (the file backend is the one the bug hit: stub memory is
// removed first, so a stub's joiner saw "memory gone"; on Win32 the last
// lock call comes after Downgrade gave up exclusive, so there the failure
// leaves the published region, which the joiner joins): the race
// models/lifecycle.pml found with failing calls (FAILS=1). A creator has written its region's magic and its last lock
// call (Downgrade) fails; a joiner opened the file meanwhile and waits for
// its shared lock. The creator's clean-up removes what it made -- and must
// clear the magic before the unlink, as a destroy does: else the joiner,
// granted the lock next, joins a complete region in a file no name leads to
// (it did for the file backend) while the next create makes another.
TEST_P(NewFileRaceTest, AJoinerWaitingOnAFailedInitialiserNeverJoinsItsRemovedFile) {
  // The creator's last byte-range lock call of its attach: Downgrade's.
  std::uint64_t locks = 0;
  {
    RegionOptions probe = Options("probe", kSize, GetParam());
    absl::StatusOr<Region> p;
    {
      os::CallCounter counter;
      p = Region::Attach(probe);
      locks = counter.calls(os::Op::kLockRange);
    }
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_TRUE(p->created());
    ASSERT_TRUE(p->MarkForRemoval().ok());
    ASSERT_TRUE(p->Unlock().ok());
    ASSERT_TRUE(p->Detach().ok());
  }
  ASSERT_GT(locks, 0u);
  absl::StatusOr<os::Child> creator = StartCreator(os::Op::kLockRange, locks, /*fail=*/true);
  ASSERT_TRUE(creator.ok()) << creator.status();
  ASSERT_EQ(creator->ReadLine().value(), "paused");

  // The joiner: an attach in a thread of ours, known to have opened the
  // file once it makes its first lock call (the shared wait).
  std::promise<void> reached;
  std::once_flag once;
  auto say_reached = [&] { std::call_once(once, [&] { reached.set_value(); }); };
  absl::StatusOr<Region> j;
  {
    os::FaultInjector watch(os::FaultRule::Pause(os::Op::kLockRange, 1, say_reached));
    std::thread joiner([&] {
      j = Region::Attach(Opts());
      if (j.ok()) {
        EXPECT_TRUE(j->Unlock().ok());  // this thread holds the lock
      }
      say_reached();  // (an attach that never locked: the checks below say so)
    });
    reached.get_future().wait();
    // No ASSERT before the join: a joinable thread left behind terminates.
    EXPECT_TRUE(creator->Send("go").ok());
    const std::string said = creator->ReadLine().value_or("");
    EXPECT_EQ(said.rfind("err ", 0), 0u) << said;
    joiner.join();
  }
  EXPECT_EQ(creator->Wait().value_or(-1), 1);
  ASSERT_TRUE(j.ok()) << j.status();
  Track(*j);
  // The joiner's region is the one under the name, and it alone is attached.
  EXPECT_TRUE(os::Exists(Path("r")).value()) << "the joiner joined a file no name leads to";
  absl::StatusOr<RegionStat> st = Stat(Opts());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->live_refcount, 1u);
  ASSERT_TRUE(j->Lock().ok());
  ASSERT_TRUE(j->MarkForRemoval().ok());
  ASSERT_TRUE(j->Unlock().ok());
  ASSERT_TRUE(j->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, NewFileRaceTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
