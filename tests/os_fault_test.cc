// Every os call made to fail through the hook table: the caller gets a Status
// that names the call and carries the errno, and nothing leaks. Interrupted
// and short transfers are retried transparently.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/fault_injection.h"
#include "os/file.h"
#include "os/process.h"
#include "os/time.h"
#include "tests/support/helper.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

gsl::span<const std::byte> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

class FaultTest : public testing::ResourceTest {
 protected:
  File Make(const std::string& name, const std::string& content = "data") {
    File f = Open(Path(name), kOpenCreate).value();
    EXPECT_TRUE(Write(f, Bytes(content)).ok());
    EXPECT_EQ(Seek(f, 0, 0, 0, false, Whence::kSet).value(), 0u);
    return f;
  }
  void Remove(const std::string& name) { ASSERT_TRUE(Unlink(Path(name)).ok()); }
  // How many kOpen calls creating a file with an exact mode makes (POSIX:
  // open and fchmod; Win32: CreateFileW alone).
  std::uint64_t OpenCallsOfACreate() {
    std::uint64_t opens = 0;
    {
      CallCounter counter;
      EXPECT_TRUE(Open(Path("probe"), kOpenCreate, 0640).ok());
      opens = counter.calls(Op::kOpen);
    }
    Remove("probe");
    return opens;
  }
  // A file made read-only (Win32: its read-only attribute) removed anyway.
  bool ClearReadOnlyAndRemove(const std::string& name) {
    std::error_code ec;
    std::filesystem::permissions(Path(name), std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add, ec);
    return std::filesystem::remove(Path(name), ec) && !ec;
  }
};

struct Case {
  const char* name;
  Op op;
  int err;
  absl::StatusCode code;
  const char* function;  // the OS function the message must name
  std::function<absl::Status(FaultTest&, File&)> call;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class EveryCallFails : public FaultTest, public ::testing::WithParamInterface<Case> {};

TEST_P(EveryCallFails, StatusNamesTheCallAndCarriesTheErrno) {
  const Case& c = GetParam();
  File f = Make("target");
  absl::Status s;
  {
    FaultInjector fault(c.op, 1, c.err);
    s = c.call(*this, f);
    EXPECT_EQ(fault.fired(), 1u) << "the call never reached " << OpName(c.op);
  }
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), c.code) << s;
  EXPECT_EQ(ErrnoOf(s), c.err) << s;
  EXPECT_NE(s.message().find(c.function), absl::string_view::npos) << s;
  EXPECT_TRUE(f.Close().ok());
  Remove("target");
}

std::string ReadAll(File& f) {
  std::string buf(64, '\0');
  auto n = Read(f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(buf.data()), buf.size()));
  return n.ok() ? buf.substr(0, *n) : "";
}

INSTANTIATE_TEST_SUITE_P(
    Os, EveryCallFails,
    ::testing::Values(
        Case{"Open", Op::kOpen, EACCES, absl::StatusCode::kPermissionDenied, "open",
             [](FaultTest& fx, File&) { return Open(fx.Path("target"), 0).status(); }},
        Case{"OpenCreate", Op::kOpen, ENOSPC, absl::StatusCode::kResourceExhausted, "open",
             [](FaultTest& fx, File&) { return Open(fx.Path("other"), kOpenCreate).status(); }},
        Case{"Read", Op::kRead, EIO, absl::StatusCode::kUnknown, "read",
             [](FaultTest&, File& f) {
               std::byte b[4];
               return Read(f, b).status();
             }},
        Case{"Write", Op::kWrite, ENOSPC, absl::StatusCode::kResourceExhausted, "write",
             [](FaultTest&, File& f) { return Write(f, Bytes("abc")); }},
        Case{"ReadAt", Op::kRead, EIO, absl::StatusCode::kUnknown, "pread",
             [](FaultTest&, File& f) {
               std::byte b[4];
               return ReadAt(f, 1, b).status();
             }},
        Case{"WriteAt", Op::kWrite, ENOSPC, absl::StatusCode::kResourceExhausted, "pwrite",
             [](FaultTest&, File& f) { return WriteAt(f, 2, Bytes("abc")); }},
        Case{"Seek", Op::kSeek, EINVAL, absl::StatusCode::kInvalidArgument, "lseek",
             [](FaultTest&, File& f) { return Seek(f, 0, 0, 1, false, Whence::kSet).status(); }},
        Case{"IoInfo", Op::kStat, EIO, absl::StatusCode::kUnknown, "fstat",
             [](FaultTest&, File& f) { return GetIoInfo(f).status(); }},
        Case{"Exists", Op::kStat, EACCES, absl::StatusCode::kPermissionDenied, "stat",
             [](FaultTest& fx, File&) { return Exists(fx.Path("target")).status(); }},
        Case{"Unlink", Op::kUnlink, EBUSY, absl::StatusCode::kFailedPrecondition, "unlink",
             [](FaultTest& fx, File&) { return Unlink(fx.Path("target")); }},
        Case{"Truncate", Op::kTruncate, EFBIG, absl::StatusCode::kOutOfRange, "ftruncate",
             [](FaultTest&, File& f) { return Truncate(f, 100); }},
        Case{"Allocate", Op::kAllocate, ENOSPC, absl::StatusCode::kResourceExhausted, "fallocate",
             [](FaultTest&, File& f) { return Allocate(f, 0, 1 << 20); }},
        Case{"Sync", Op::kSync, EIO, absl::StatusCode::kUnknown, "fsync",
             [](FaultTest&, File& f) { return Sync(f); }},
        Case{"Close", Op::kClose, EIO, absl::StatusCode::kUnknown, "close",
             [](FaultTest&, File& f) { return f.Close(); }},
        Case{"Sleep", Op::kSleep, EINVAL, absl::StatusCode::kInvalidArgument, "sleep",
             [](FaultTest&, File&) { return Sleep(0, 1000); }},
        Case{"ProcessInfo", Op::kProcessInfo, EACCES, absl::StatusCode::kPermissionDenied,
             config::kWin32 ? "OpenProcess" : "kill",
             [](FaultTest&, File&) { return IsAlive(ProcessIdentity{1, 0}).status(); }},
        Case{"Spawn", Op::kSpawn, EAGAIN, absl::StatusCode::kUnavailable,
             config::kWin32 ? "CreatePipe" : "socketpair",
             [](FaultTest&, File&) { return testing::StartHelper("Echo").status(); }}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

OSPORT_TEST_HELPER(Echo) {
  for (std::string line; !(line = testing::ReadParentLine()).empty();) testing::TellParent(line);
  return 0;
}

TEST_F(FaultTest, ProcessCallsFailCleanly) {
  absl::StatusOr<Child> c = testing::StartHelper("Echo");
  ASSERT_TRUE(c.ok()) << c.status();
  {
    FaultInjector fault(Op::kWrite, 1, EPIPE);
    absl::Status s = c->Send("x");
    EXPECT_TRUE(HasErrno(s, EPIPE)) << s;
    EXPECT_NE(s.message().find("send"), absl::string_view::npos) << s;
  }
  {
    FaultInjector fault(Op::kKill, 1, EPERM);
    absl::Status s = c->Kill();
    EXPECT_TRUE(HasErrno(s, EPERM)) << s;
    EXPECT_NE(s.message().find("kill"), absl::string_view::npos) << s;
  }
  {
    FaultInjector fault(Op::kWait, 1, ECHILD);
    c->CloseInput();
    absl::StatusOr<int> s = c->Wait();
    EXPECT_TRUE(HasErrno(s.status(), ECHILD)) << s.status();
    EXPECT_NE(s.status().message().find("waitpid"), absl::string_view::npos) << s.status();
  }
  EXPECT_EQ(c->Wait().value(), 0);  // the real wait still reaps it
}

TEST_F(FaultTest, ACreateThatFailsHalfwayLeavesNoFile) {
  // Where creating with an exact mode takes two calls (POSIX: open, then
  // fchmod), failing the second must not leave the file behind. Win32 sets
  // the mode in the one CreateFileW call and checks nothing after creating.
  if (OpenCallsOfACreate() < 2) GTEST_SKIP() << "creating a file with its mode is one call here";
  FaultInjector fault(Op::kOpen, 2, EPERM);
  absl::StatusOr<File> f = Open(Path("half"), kOpenCreate, 0640);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("fchmod"), absl::string_view::npos) << f.status();
  EXPECT_FALSE(Exists(Path("half")).value());
}

TEST_F(FaultTest, ACreateThatFailsHalfwayLeavesAReplacedNameAlone) {
  // The half-made file is removed by name; if another process replaced the
  // name between the open and the failure, what it put there stays. Both
  // ways of creating: by path and in a directory.
  if (OpenCallsOfACreate() < 2) GTEST_SKIP() << "creating a file with its mode is one call here";
  absl::StatusOr<Dir> dir = OpenDir(this->dir());
  ASSERT_TRUE(dir.ok()) << dir.status();
  for (bool at : {false, true}) {
    SCOPED_TRACE(at ? "OpenAt" : "Open");
    { File other = Make("other", "theirs"); }
    FaultRule fail = FaultRule::Fail(Op::kOpen, 2, EPERM);  // the fchmod
    fail.on_hit = [&] {
      // Another process renames its file over the name we just created
      // (not through osport: the hook table is busy with this very call).
      std::error_code ec;
      std::filesystem::rename(Path("other"), Path("half"), ec);
      ASSERT_FALSE(ec) << ec.message();
    };
    absl::StatusOr<File> f = [&] {
      FaultInjector fault(fail);
      return at ? OpenAt(*dir, "half", kOpenCreate | kOpenExclusive, 0640)
                : Open(Path("half"), kOpenCreate | kOpenExclusive, 0640);
    }();
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.status().message().find("fchmod"), absl::string_view::npos) << f.status();
    absl::StatusOr<File> theirs = Open(Path("half"), kOpenReadOnly);
    ASSERT_TRUE(theirs.ok()) << "the replacing file was removed: " << theirs.status();
    EXPECT_EQ(ReadAll(*theirs), "theirs");
    Remove("half");
  }
  // When it cannot tell whether the name is still its file (the check's
  // stat fails), it leaves the name alone: that is the harmless mistake.
  for (bool at : {false, true}) {
    SCOPED_TRACE(at ? "OpenAt, the check fails" : "Open, the check fails");
    absl::StatusOr<File> f = [&] {
      FaultInjector fault({FaultRule::Fail(Op::kOpen, 2, EPERM), FaultRule::Fail(Op::kStat, 1, EIO)});
      return at ? OpenAt(*dir, "half", kOpenCreate | kOpenExclusive, 0640)
                : Open(Path("half"), kOpenCreate | kOpenExclusive, 0640);
    }();
    ASSERT_FALSE(f.ok());
    EXPECT_TRUE(Exists(Path("half")).value());
    Remove("half");
  }
}

TEST_F(FaultTest, ACreatingOpenThatFailsAtAnyCallLeavesNoFile) {
  // Every os call of a creating open, failed one at a time: the open fails
  // and leaves no file (POSIX: the fchmod after open; Win32: a reparse-point
  // check after CreateFileW left the new file until it was skipped for a
  // file the call created), or it succeeds despite the fault. Writable and
  // read-only modes, by path and in a directory.
  absl::StatusOr<Dir> dir = OpenDir(this->dir());
  ASSERT_TRUE(dir.ok()) << dir.status();
  const std::uint32_t kinds[] = {kOpenCreate | kOpenExclusive, kOpenCreate, kOpenCreate | kOpenTruncate};
  int failed_opens = 0;
  for (bool at : {false, true}) {
    for (std::uint32_t flags : kinds) {
      for (std::uint32_t mode : {0640u, 0440u}) {
        auto open = [&] {
          return at ? OpenAt(*dir, "f", flags, mode) : Open(Path("f"), flags | kOpenNoFollow, mode);
        };
        std::vector<std::uint64_t> counts(static_cast<std::size_t>(Op::kCount));
        {
          CallCounter counter;
          ASSERT_TRUE(open().ok());
          for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = counter.calls(static_cast<Op>(i));
        }
        ASSERT_TRUE(ClearReadOnlyAndRemove("f"));
        for (std::size_t i = 0; i < counts.size(); ++i) {
          for (std::uint64_t n = 1; n <= counts[i]; ++n) {
            SCOPED_TRACE(absl::StrCat(at ? "OpenAt" : "Open", " flags ", flags, " mode ", mode, ": ",
                                      OpName(static_cast<Op>(i)), " call ", n, " fails"));
            absl::StatusOr<File> f = [&] {
              FaultInjector fault(static_cast<Op>(i), n, EIO);
              return open();
            }();
            const bool exists = Exists(Path("f")).value();
            if (f.ok()) {
              EXPECT_TRUE(exists);
            } else {
              ++failed_opens;
              EXPECT_FALSE(exists) << "a failed creating open left its file: " << f.status();
            }
            f = absl::StatusOr<File>(absl::UnknownError("closed"));
            if (exists) {
              ASSERT_TRUE(ClearReadOnlyAndRemove("f"));
            }
          }
        }
      }
    }
  }
  EXPECT_GT(failed_opens, 0);
}

TEST_F(FaultTest, InterruptedCallsAreRetriedTransparently) {
  File f = Make("intr", "");
  {
    FaultInjector fault(FaultRule::Interrupt(Op::kWrite, 1));
    ASSERT_TRUE(Write(f, Bytes("payload")).ok());
    EXPECT_EQ(fault.fired(), 1u);
    // Where calls can be interrupted the write was made again; Win32 has no
    // EINTR, so there the injected interrupt is a plain proceed.
    EXPECT_EQ(fault.calls(Op::kWrite), config::kInterruptibleCalls ? 2u : 1u);
  }
  ASSERT_EQ(Seek(f, 0, 0, 0, false, Whence::kSet).value(), 0u);
  {
    FaultInjector fault(FaultRule::Interrupt(Op::kRead, 1));
    EXPECT_EQ(ReadAll(f), "payload");
    EXPECT_EQ(fault.fired(), 1u);
  }
  {
    FaultInjector fault(FaultRule::Interrupt(Op::kOpen, 1));
    absl::StatusOr<File> g = Open(Path("intr"), kOpenReadOnly);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_EQ(ReadAll(*g), "payload");
  }
  {
    FaultInjector fault(FaultRule::Interrupt(Op::kSleep, 1));
    EXPECT_TRUE(Sleep(0, 1000).ok());
  }
  EXPECT_TRUE(f.Close().ok());
  Remove("intr");
}

TEST_F(FaultTest, ShortTransfersAreCompleted) {
  File f = Make("short", "");
  const std::string data(10000, 'q');
  {
    FaultInjector fault(FaultRule::Short(Op::kWrite, 1, true));
    ASSERT_TRUE(Write(f, Bytes(data)).ok());
    EXPECT_GT(fault.calls(Op::kWrite), 5u);  // halved each time: many calls
  }
  ASSERT_EQ(Seek(f, 0, 0, 0, false, Whence::kSet).value(), 0u);
  {
    FaultInjector fault(FaultRule::Short(Op::kRead, 1, true));
    std::string back(data.size(), '\0');
    ASSERT_EQ(Read(f, gsl::span<std::byte>(reinterpret_cast<std::byte*>(back.data()), back.size())).value(),
              data.size());
    EXPECT_EQ(back, data);
    EXPECT_GT(fault.calls(Op::kRead), 5u);
  }
  EXPECT_TRUE(f.Close().ok());
  Remove("short");
}

// ReadAt / WriteAt: the same retries as Read / Write, at the offset asked
// for, without a seek (Op::kSeek is never called); an offset past the
// largest file offset is InvalidArgument before any call.
TEST_F(FaultTest, PositionalTransfersRetryAtTheirOffsetWithoutASeek) {
  File f = Make("at", "");
  const std::string data(10000, 'p');
  {
    FaultInjector fault(FaultRule::Short(Op::kWrite, 1, true));
    ASSERT_TRUE(WriteAt(f, 100, Bytes(data)).ok());
    EXPECT_GT(fault.calls(Op::kWrite), 5u);
    EXPECT_EQ(fault.calls(Op::kSeek), 0u);
  }
  {
    FaultInjector fault(FaultRule::Interrupt(Op::kWrite, 1));
    ASSERT_TRUE(WriteAt(f, 0, Bytes("head")).ok());
    EXPECT_EQ(fault.calls(Op::kWrite), config::kInterruptibleCalls ? 2u : 1u);
  }
  EXPECT_EQ(GetIoInfo(f).value().size(), 100u + data.size());
  std::string back(data.size() + 50, '\0');
  {
    FaultInjector fault(FaultRule::Short(Op::kRead, 1, true));
    // Past the end: what is there, and no more.
    ASSERT_EQ(ReadAt(f, 100, gsl::span<std::byte>(reinterpret_cast<std::byte*>(back.data()), back.size()))
                  .value(),
              data.size());
    EXPECT_EQ(back.substr(0, data.size()), data);
    EXPECT_GT(fault.calls(Op::kRead), 5u);
    EXPECT_EQ(fault.calls(Op::kSeek), 0u);
  }
  {
    FaultInjector fault(FaultRule::Interrupt(Op::kRead, 1));
    std::byte head[6];
    ASSERT_EQ(ReadAt(f, 0, head).value(), 6u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(head), 6), std::string("head\0\0", 6));
    EXPECT_EQ(fault.fired(), 1u);
  }
  std::byte one[1];
  EXPECT_EQ(ReadAt(f, 1u << 30, one).value(), 0u);  // at or past the end: 0 bytes
  const std::uint64_t huge = std::uint64_t{1} << 63;
  for (absl::Status s : {ReadAt(f, huge, one).status(), WriteAt(f, huge - 1, Bytes("ab"))}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(ErrnoOf(s), EINVAL) << s;
  }
  EXPECT_TRUE(f.Close().ok());
  Remove("at");
}

TEST(HooksTest, UnhookedCallsAreNotCounted) {
  EXPECT_EQ(internal::g_hook.load(), nullptr);
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i) {
    EXPECT_NE(OpName(static_cast<Op>(i)), "unknown") << i;
  }
}

}  // namespace
}  // namespace osport::os
