// os/error.h: statuses carry the errno, the function and the path.
#include "os/error.h"

#include "gtest/gtest.h"

namespace osport::os {
namespace {

TEST(ErrorTest, OsErrorCarriesEverything) {
  absl::Status s = OsError(ENOENT, "open", "/h/region", 2, "No such file or directory");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoOf(s), ENOENT);
  EXPECT_TRUE(HasErrno(s, ENOENT));
  EXPECT_FALSE(HasErrno(s, EEXIST));
  EXPECT_EQ(s.message(), "open(\"/h/region\"): No such file or directory (ENOENT, native 2)");
}

TEST(ErrorTest, CodesFollowTheErrno) {
  EXPECT_EQ(OsError(EEXIST, "f", "", 0, "").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(OsError(ENOSPC, "f", "", 0, "").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(OsError(EINVAL, "f", "", 0, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OsError(EACCES, "f", "", 0, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(OsError(EAGAIN, "f", "", 0, "").code(), absl::StatusCode::kUnavailable);
}

TEST(ErrorTest, AnnotateKeepsCodeAndErrno) {
  absl::Status s = Annotate(OsError(EBUSY, "unlink", "/x", 16, "busy"), "remove region r");
  EXPECT_TRUE(HasErrno(s, EBUSY));
  EXPECT_EQ(s.message().substr(0, 17), "remove region r: ");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

TEST(ErrorTest, ForeignStatusesHaveNoErrno) {
  EXPECT_EQ(ErrnoOf(absl::OkStatus()), 0);
  EXPECT_EQ(ErrnoOf(absl::InternalError("x")), 0);
  EXPECT_EQ(ErrnoName(EOWNERDEAD), "EOWNERDEAD");
  EXPECT_EQ(ErrnoName(987654), "errno 987654");
}

}  // namespace
}  // namespace osport::os
