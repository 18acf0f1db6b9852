// A Region inherited across fork() is inert in the child (region/liveness.h):
// detaching or destroying it there only unmaps and closes, never touches the
// header, the file or system memory -- also when the child outlives the
// region and a new one of the same name exists. POSIX only (Win32 has no fork).
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "os/file.h"
#include "region/region.h"
#include "tests/support/region_fixture.h"

namespace osport::region {
namespace {

constexpr std::uint64_t kSize = 64 * 1024;

class ForkTest : public testing::RegionTest, public ::testing::WithParamInterface<os::Backend> {
 protected:
  RegionOptions Opts() const { return Options("r", kSize, GetParam()); }
  // Runs `child` in a forked child; returns its exit status (0 = passed).
  template <typename Fn>
  int InChild(Fn child) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(child());
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
  }
};

TEST_P(ForkTest, AChildsDetachOfAnInheritedRegionLeavesTheParentsAttachment) {
  absl::StatusOr<Region> r = Region::Attach(Opts());
  ASSERT_TRUE(r.ok()) << r.status();
  Track(*r);
  ASSERT_TRUE(r->Unlock().ok());
  const std::uint32_t before = r->header().refcount;
  EXPECT_EQ(InChild([&] { return r->Detach().ok() && !r->attached() ? 0 : 1; }), 0);
  EXPECT_EQ(InChild([&] {
              Region gone = std::move(*r);  // destroyed in the child
              return 0;
            }),
            0);
  // The parent is still attached, counted once, and holds its liveness lock:
  // marking and detaching removes the region now, as the last attacher.
  EXPECT_EQ(r->header().refcount, before);
  ASSERT_TRUE(r->Lock().ok());
  ASSERT_TRUE(r->MarkForRemoval().ok());
  ASSERT_TRUE(r->Unlock().ok());
  ASSERT_TRUE(r->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

TEST_P(ForkTest, AChildOutlivingTheRegionNeverTouchesItsSuccessor) {
  absl::StatusOr<Region> r = Region::Attach(Opts());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->Unlock().ok());
  int to_child[2], to_parent[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(to_parent), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    char c;
    if (::read(to_child[0], &c, 1) != 1) ::_exit(2);  // the parent replaced the region
    const bool ok = r->Detach().ok();                 // the inherited one
    (void)::write(to_parent[1], "x", 1);
    ::_exit(ok ? 0 : 1);
  }
  // The parent removes the region and creates a new one of the same name.
  r->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(r->Detach().ok());
  absl::StatusOr<Region> next = Region::Attach(Opts());
  ASSERT_TRUE(next.ok()) << next.status();
  Track(*next);
  EXPECT_TRUE(next->created());
  ASSERT_TRUE(next->Unlock().ok());
  ASSERT_EQ(::write(to_child[1], "x", 1), 1);
  char c;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) ::close(fd);
  // The successor is intact: its file, its memory, its one attachment.
  EXPECT_TRUE(os::Exists(Path("r")).value());
  EXPECT_EQ(next->header().refcount, 1u);
  EXPECT_EQ(next->header().magic.load(), kRegionMagic);
  absl::StatusOr<Region> again = Region::Attach(Opts());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created());
  ASSERT_TRUE(again->Unlock().ok());
  ASSERT_TRUE(again->Detach().ok());
  ASSERT_TRUE(next->Lock().ok());
  next->header().flags |= kFlagRemoveOnDetach;
  ASSERT_TRUE(next->Unlock().ok());
  ASSERT_TRUE(next->Detach().ok());
  EXPECT_FALSE(os::Exists(Path("r")).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, ForkTest, ::testing::ValuesIn(testing::SharedBackends()),
                         [](const ::testing::TestParamInfo<os::Backend>& p) {
                           return std::string(os::BackendName(p.param));
                         });

}  // namespace
}  // namespace osport::region
