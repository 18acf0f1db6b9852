// Every error path of the region lifecycle, injected: for each shared backend
// and each step (create, join, grow, detach, remove), a clean run counts the
// os calls the step makes per op (the hook table); then, once for each of
// those calls, that one call fails (EIO, then EAGAIN) and the test checks what the caller
// and everyone after it find. The step may fail or succeed (some calls are
// hints whose failure is ignored), but afterwards:
//   - the process holds nothing it should not: its next attach succeeds on
//     the first try, finds no panic (a failed step is not an owner death),
//     and the attachments counted are exactly the live ones;
//   - an attacher that was there before the step can still lock;
//   - a non-force remove then removes the region, and nothing is left: no
//     file in the home, no system memory the test made, no mapping.
// The crash-point tests (region_lifecycle_test.cc) kill a process at each
// call; these make each call fail and let the process carry on.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/fault_injection.h"
#include "os/error.h"
#include "os/file.h"
#include "os/hooks.h"
#include "os/map.h"
#include "os/mutex.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tests/support/ledger.h"
#include "tests/support/region_fixture.h"
#include "tests/support/region_worker.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

constexpr std::size_t kOps = static_cast<std::size_t>(os::Op::kCount);
using OpCounts = std::array<std::uint64_t, kOps>;

class ErrorSweepTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  void SetUp() override {
    testing::RegionTest::SetUp();
    o_ = Options("sweep", kSize, GetParam());
  }

  // Runs `setup`, `step` and `check` once cleanly (counting the step's calls),
  // then once per counted call with that call failing. Prints and returns
  // the number of error points covered.
  int Sweep(const char* what, const std::function<void()>& setup, const std::function<void()>& step,
            const std::function<void()>& check) {
    OpCounts counts{};
    setup();
    {
      os::CallCounter counter;
      step();
      for (std::size_t i = 0; i < kOps; ++i) counts[i] = counter.calls(static_cast<os::Op>(i));
    }
    {
      SCOPED_TRACE(absl::StrCat(what, ": clean run"));
      check();
    }
    if (HasFailure()) return 0;
    int points = 0;
    int fired = 0;
    // EIO: a hard failure. EAGAIN: a call refused for now (mmap under
    // RLIMIT_MEMLOCK, say), which must never be taken for memory that is gone
    // (review 10: a create whose own check mapping got EAGAIN made its memory
    // again under a new name and leaked the first).
    for (int err : {EIO, EAGAIN}) {
      for (std::size_t i = 0; i < kOps; ++i) {
        const auto op = static_cast<os::Op>(i);
        // EAGAIN from a byte-range lock is not a failure but its answer
        // "another holder has it" (fcntl F_SETLK), which the liveness tests
        // drive with real holders.
        if (err == EAGAIN && op == os::Op::kLockRange) continue;
        for (std::uint64_t n = 1; n <= counts[i]; ++n) {
          SCOPED_TRACE(absl::StrCat(what, ": ", os::OpName(op), " call ", n, " of ", counts[i], " fails with ",
                                    err == EIO ? "EIO" : "EAGAIN"));
          setup();
          if (HasFailure()) return points;
          {
            os::FaultInjector fault(op, n, err);
            step();
            fired += static_cast<int>(fault.fired());
          }
          check();
          if (HasFailure()) return points;  // the first broken point says it all
          ++points;
        }
      }
    }
    // A step whose call counts change under faults still failed each call
    // at least once in most points; all points missing the fault means the
    // counting is broken.
    EXPECT_GT(fired, points / 2) << what;
    std::printf("[ error points ] %s/%s: %d os calls failed one at a time\n", what,
                std::string(os::BackendName(GetParam())).c_str(), points);
    return points;
  }

  // Attaches (create or join), returned unlocked; a failure is recorded.
  void AttachInto(std::optional<Region>* into) {
    absl::StatusOr<Region> r = Region::Attach(o_);
    status_ = r.status();
    if (!r.ok()) return;
    *into = std::move(*r);
  }

  void Unlocked(std::optional<Region>* r) {
    if (r->has_value() && (*r)->LockHeld()) {
      ASSERT_TRUE((*r)->Unlock().ok());
    }
  }

  // A holder that stays attached across the step.
  void MakeHolder() {
    holder_.reset();
    AttachInto(&holder_);
    ASSERT_TRUE(status_.ok()) << status_;
    ASSERT_TRUE(holder_->Unlock().ok());
  }

  // Detaches `r` if the step left it attached (a failed Detach may be retried).
  void Release(std::optional<Region>* r) {
    if (!r->has_value()) return;
    Unlocked(r);
    if ((*r)->attached()) {
      EXPECT_TRUE((*r)->Detach().ok()) << "a second Detach after a failed one";
    }
    r->reset();
  }

  // What everyone after the step must find (see the file comment): `others`
  // processes are attached (the holder, if any).
  void CheckUsableThenRemove() {
    Release(&made_);
    const std::uint32_t others = holder_.has_value() ? 1 : 0;
    if (holder_.has_value()) {
      absl::Status l = holder_->LockFor(absl::Seconds(2));
      ASSERT_TRUE(l.ok()) << "the attacher from before the step cannot lock: " << l;
      EXPECT_FALSE(holder_->panicked());
      ASSERT_TRUE(holder_->Unlock().ok());
    }
    RegionOptions first_try = o_;
    first_try.retry.attempts = 0;
    first_try.attach_timeout = absl::Seconds(2);
    {
      absl::StatusOr<Region> j = Region::Attach(first_try);
      ASSERT_TRUE(j.ok()) << "the next attach: " << j.status();
      EXPECT_FALSE(j->panicked()) << "a failed step is not an owner death";
      absl::StatusOr<RegionStat> st = Stat(o_);
      ASSERT_TRUE(st.ok()) << st.status();
      EXPECT_EQ(st->refcount, others + 1) << "attachments recorded";
      EXPECT_EQ(st->live_refcount, others + 1) << "live attachments";
      ASSERT_TRUE(j->Unlock().ok());
      ASSERT_TRUE(j->Detach().ok());
    }
    Release(&holder_);
    absl::StatusOr<RemoveOutcome> rm = Remove(o_, false);
    ASSERT_TRUE(rm.ok()) << rm.status();
    EXPECT_EQ(*rm, RemoveOutcome::kRemoved);
    ExpectNothingLeft();
  }

  void ExpectNothingLeft() {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir())) files.push_back(e.path().string());
    EXPECT_TRUE(files.empty()) << ::testing::PrintToString(files);
    const std::vector<std::string> memory = testing::LedgerLeftovers();
    EXPECT_TRUE(memory.empty()) << "system memory left behind: " << ::testing::PrintToString(memory);
  }

  RegionOptions o_;
  absl::Status status_;
  std::optional<Region> made_;    // what the step attached
  std::optional<Region> holder_;  // attached before the step, kept across it
};

TEST_P(ErrorSweepTest, Create) {
  Sweep("create", [] {}, [&] { AttachInto(&made_); },
        [&] {
          // A create that failed leaves nothing half made, not even the empty
          // file it made before its lock (the next attach would clean that,
          // but a failed call must not leave anything behind). Where the
          // failure came after the region was published (Win32 gives up its
          // exclusive lock to convert it: others may have joined it since)
          // what stays is a complete region nobody is attached to.
          if (!status_.ok()) {
            if (os::Exists(Path("sweep")).value_or(true)) {
              absl::StatusOr<RegionStat> st = Stat(o_);
              ASSERT_TRUE(st.ok()) << "a failed create left " << st.status();
              EXPECT_EQ(st->magic, kRegionMagic) << "a failed create left a region half made";
              EXPECT_EQ(st->live_refcount, 0u);
            } else {
              ExpectNothingLeft();
            }
          }
          CheckUsableThenRemove();
        });
}

TEST_P(ErrorSweepTest, JoinBesideAnAttacher) {
  Sweep("join", [&] { MakeHolder(); }, [&] { AttachInto(&made_); }, [&] { CheckUsableThenRemove(); });
}

TEST_P(ErrorSweepTest, JoinAlone) {
  auto setup = [&] { MakeDetached(o_); };  // the region exists, nobody attached
  Sweep("join-alone", setup, [&] { AttachInto(&made_); }, [&] { CheckUsableThenRemove(); });
}

// A region whose creator died after recording its memory and before
// publishing it (memory magic 0), nobody attached: the join replaces it,
// removing the stale memory first. A failure there must keep the stub, the
// only way back to that memory (the zero_on_last_close cell found the
// stub unlinked and the memory leaked).
TEST_P(ErrorSweepTest, JoinAnAbandonedCreation) {
  if (GetParam() == os::Backend::kPagingFile) {
    GTEST_SKIP() << "a Win32 section dies with its last handle: nothing stale stays to replace";
  }
  auto setup = [&] {
    ASSERT_NO_FATAL_FAILURE(MakeDetached(o_));
    absl::StatusOr<RegionStat> st = Stat(o_);
    ASSERT_TRUE(st.ok()) << st.status();
    const bool file = GetParam() == os::Backend::kFile;
    absl::StatusOr<os::File> f = os::Open(Path("sweep"), file ? 0u : static_cast<unsigned>(os::kOpenReadOnly), 0);
    ASSERT_TRUE(f.ok()) << f.status();
    absl::StatusOr<os::Mapping> m = file ? os::MapFile(*f, st->size)
                                         : os::AttachSystemMemory(GetParam(), *f, st->system_id, st->size);
    ASSERT_TRUE(m.ok()) << m.status();
    static_cast<RegionHeader*>(m->data())->magic.store(0, std::memory_order_release);
    ASSERT_TRUE(m->Unmap().ok());
  };
  Sweep("join-abandoned", setup, [&] { AttachInto(&made_); }, [&] { CheckUsableThenRemove(); });
}

TEST_P(ErrorSweepTest, Grow) {
  if (GetParam() != os::Backend::kFile) GTEST_SKIP() << "only file regions grow";
  auto setup = [&] {
    MakeHolder();
    AttachInto(&made_);  // the grower, locked
  };
  auto step = [&] { status_ = made_->Grow(4 * kSize); };
  auto check = [&] {
    const std::uint64_t size = made_->header().size.load();
    EXPECT_TRUE(size == made_->size()) << "the grower's view and the header disagree";
    EXPECT_TRUE(size == kSize || size == 4 * kSize) << size;
    EXPECT_EQ(status_.ok(), size == 4 * kSize) << status_;
    CheckUsableThenRemove();
  };
  Sweep("grow", setup, step, check);
}

TEST_P(ErrorSweepTest, Detach) {
  auto setup = [&] {
    MakeHolder();
    AttachInto(&made_);
    Unlocked(&made_);
  };
  Sweep("detach", setup, [&] { status_ = made_->Detach(); }, [&] { CheckUsableThenRemove(); });
}

TEST_P(ErrorSweepTest, LastDetach) {
  auto setup = [&] { MakeHolder(); };
  auto step = [&] { status_ = holder_->Detach(); };
  auto check = [&] {
    Release(&holder_);
    CheckUsableThenRemove();
  };
  Sweep("last-detach", setup, step, check);
}

// A Detach that cannot take the region lock changes nothing and stays
// attached (region.h): its slot is not left behind by a live process, and
// a second Detach finishes the job. Only the file-lock mutex takes an os
// call to lock uncontended (a range lock): the no_spinlocks cell runs it.
TEST_P(ErrorSweepTest, ADetachThatCannotTakeTheLockStaysAttachedAndCanRetry) {
  if (os::kRegionMutexKind != os::MutexKind::kFileLock) {
    GTEST_SKIP() << "the spin mutex makes no os call to lock uncontended: nothing to fail";
  }
  ASSERT_NO_FATAL_FAILURE(MakeHolder());
  AttachInto(&made_);
  ASSERT_TRUE(status_.ok()) << status_;
  ASSERT_TRUE(made_->Unlock().ok());
  {
    os::FaultInjector fault(os::Op::kLockRange, 1, EIO);
    absl::Status d = made_->Detach();
    ASSERT_TRUE(fault.fired());
    EXPECT_FALSE(d.ok());
    EXPECT_TRUE(os::HasErrno(d, EIO)) << d;
    EXPECT_NE(d.message().find("still attached"), absl::string_view::npos) << d;
  }
  EXPECT_TRUE(made_->attached());
  absl::StatusOr<RegionStat> st = Stat(o_);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->refcount, 2u) << "nothing changed";
  ASSERT_TRUE(made_->Detach().ok());
  EXPECT_FALSE(made_->attached());
  st = Stat(o_);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->refcount, 1u) << "the retry dropped the slot";
  made_.reset();
  CheckUsableThenRemove();
}

// A Detach waits for the region lock at most the attach timeout (review 6:
// 'osport lock' released its lock, then waited without end for the next
// holder): kTimedOut, still attached, nothing changed; once the holder
// lets go, a second Detach finishes.
TEST_P(ErrorSweepTest, ADetachWaitsForTheLockAtMostTheAttachTimeout) {
  ASSERT_NO_FATAL_FAILURE(MakeDetached(o_));
  absl::StatusOr<os::Child> holder = testing::StartRegionWorker(o_);
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_EQ(testing::Ask(*holder, "attach").rfind("ok", 0), 0u);
  ASSERT_EQ(testing::Ask(*holder, "lock"), "ok");
  RegionOptions brief = o_;
  brief.attach_timeout = absl::Milliseconds(200);
  // Attach itself needs the lock: attach first, then let the holder take it.
  ASSERT_EQ(testing::Ask(*holder, "unlock"), "ok");
  absl::StatusOr<Region> r = Region::Attach(brief);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_EQ(testing::Ask(*holder, "lock"), "ok");
  absl::Status d = r->Detach();
  EXPECT_TRUE(IsTimedOut(d)) << d;
  EXPECT_NE(d.message().find("still attached"), absl::string_view::npos) << d;
  EXPECT_TRUE(r->attached());
  ASSERT_EQ(testing::Ask(*holder, "unlock"), "ok");
  EXPECT_TRUE(r->Detach().ok());
  EXPECT_FALSE(r->attached());
  // Counted while the holder keeps the memory (a Win32 section dies with
  // its last handle; the stub's copy would say nothing then).
  absl::StatusOr<RegionStat> st = Stat(o_);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->refcount, 1u) << "the retried Detach dropped our slot; the holder's stays";
  ASSERT_EQ(testing::Ask(*holder, "detach"), "ok");
  ASSERT_TRUE(holder->Send("exit").ok());
  EXPECT_EQ(holder->Wait().value_or(-1), 0);
  ASSERT_TRUE(Remove(o_, false).ok());
  ExpectNothingLeft();
}

// The last detach of a region a remove marked destroys it; when that fails
// (or cannot tell it is the last) the region stays marked, and the next
// non-force remove finishes the job.
TEST_P(ErrorSweepTest, LastDetachOfAMarkedRegion) {
  auto setup = [&] {
    MakeHolder();
    absl::StatusOr<RemoveOutcome> rm = Remove(o_, false);
    ASSERT_TRUE(rm.ok()) << rm.status();
    ASSERT_EQ(*rm, RemoveOutcome::kMarked);
  };
  auto step = [&] { status_ = holder_->Detach(); };
  auto check = [&] {
    Release(&holder_);
    absl::StatusOr<RemoveOutcome> rm = Remove(o_, false);
    if (status_.ok()) {
      EXPECT_EQ(rm.status().code(), absl::StatusCode::kNotFound) << "a detach that said OK removed it";
    } else {
      ASSERT_TRUE(rm.ok() || rm.status().code() == absl::StatusCode::kNotFound) << rm.status();
    }
    ExpectNothingLeft();
  };
  Sweep("last-detach-marked", setup, step, check);
}

class RemoveSweepTest : public ErrorSweepTest {
 protected:
  void RemoveStep(bool force) {
    absl::StatusOr<RemoveOutcome> rm = Remove(o_, force);
    status_ = rm.status();
    removed_ = rm.ok() && *rm == RemoveOutcome::kRemoved;
  }
  // After a failed remove the region is still whole (or gone entirely).
  void CheckAfterRemove() {
    if (removed_) {
      ExpectNothingLeft();
      return;
    }
    CheckUsableThenRemove();
  }
  bool removed_ = false;
};

TEST_P(RemoveSweepTest, Remove) {
  auto setup = [&] { MakeDetached(o_); };  // the region exists, nobody attached
  Sweep("remove", setup, [&] { RemoveStep(false); }, [&] { CheckAfterRemove(); });
}

TEST_P(RemoveSweepTest, ForceRemove) {
  auto setup = [&] { MakeDetached(o_); };  // the region exists, nobody attached
  Sweep("remove-force", setup, [&] { RemoveStep(true); }, [&] { CheckAfterRemove(); });
}

std::string BackendTestName(const ::testing::TestParamInfo<os::Backend>& p) {
  return std::string(os::BackendName(p.param));
}

INSTANTIATE_TEST_SUITE_P(Backends, ErrorSweepTest, ::testing::ValuesIn(testing::SharedBackends()),
                         BackendTestName);
INSTANTIATE_TEST_SUITE_P(Backends, RemoveSweepTest, ::testing::ValuesIn(testing::SharedBackends()),
                         BackendTestName);

}  // namespace
}  // namespace osport::region
