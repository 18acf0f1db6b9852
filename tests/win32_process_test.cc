// Win32 specifics of os/process.h: arguments survive CreateProcessW's single
// command line, and the child inherits none of our handles.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "os/file.h"
#include "os/process.h"
#include "tests/support/helper.h"
#include "tests/support/resources.h"

namespace osport::os {
namespace {

using Win32ProcessTest = testing::ResourceTest;

OSPORT_TEST_HELPER(EchoArgs) {
  for (const std::string& a : args) testing::TellParent(absl::StrCat("[", a, "]"));
  testing::TellParent("end");
  return 0;
}

TEST_F(Win32ProcessTest, ArgumentsRoundTripThroughTheCommandLine) {
  const std::vector<std::string> args{
      "plain", "two words", "", "tab\there", "quote\"inside", "\"", "trailing\\",
      "back\\\\slashes\\\\", "slash\\\"quote", "C:\\Program Files\\x\\", "\\\\server\\share"};
  absl::StatusOr<Child> c = testing::StartHelper("EchoArgs", args);
  ASSERT_TRUE(c.ok()) << c.status();
  for (const std::string& a : args) EXPECT_EQ(c->ReadLine().value(), absl::StrCat("[", a, "]"));
  EXPECT_EQ(c->ReadLine().value(), "end");
  EXPECT_EQ(c->Wait().value(), 0);
}

OSPORT_TEST_HELPER(OpenPathsHeld) {
  // Reports whether the file the parent holds open is held here too: if it
  // were inherited, deleting it from here would leave it pending; simpler to
  // count our handles against a fresh helper's.
  testing::TellParent(std::to_string(testing::CountOpenHandles()));
  return 0;
}

TEST_F(Win32ProcessTest, ChildrenInheritNoFileHandles) {
  auto handles_of_child = [] {
    absl::StatusOr<Child> c = testing::StartHelper("OpenPathsHeld");
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return -1;
    const int n = std::stoi(c->ReadLine().value());
    EXPECT_EQ(c->Wait().value(), 0);
    return n;
  };
  const int baseline = handles_of_child();
  std::vector<File> files;
  for (int i = 0; i < 8; ++i) files.push_back(Open(Path(absl::StrCat("f", i)), kOpenCreate).value());
  EXPECT_EQ(handles_of_child(), baseline);
  for (File& f : files) EXPECT_TRUE(f.Close().ok());
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(Unlink(Path(absl::StrCat("f", i))).ok());
}

}  // namespace
}  // namespace osport::os
