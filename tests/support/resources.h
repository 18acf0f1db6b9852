// What a test may leave behind, counted before and after: open descriptors
// (handles on Win32) and a private scratch directory that must end up empty.
#ifndef OSPORT_TESTS_SUPPORT_RESOURCES_H_
#define OSPORT_TESTS_SUPPORT_RESOURCES_H_

#include <string>

#include "gtest/gtest.h"

namespace osport::testing {

// Open descriptors (POSIX) or handles (Win32) of this process.
int CountOpenHandles();

// A fixture with a fresh scratch directory and a leak check: at TearDown no
// descriptor opened during the test may still be open, and the directory
// holds only what the test declared it leaves (nothing by default).
class ResourceTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

 public:
  // A path inside the scratch directory.
  std::string Path(const std::string& name) const;
  const std::string& dir() const { return dir_; }

 protected:
  // Suites whose files are plain scratch data turn the empty-directory check off.
  bool require_empty_dir_ = true;

 private:
  std::string dir_;
  int handles_before_ = 0;
};

}  // namespace osport::testing

#endif  // OSPORT_TESTS_SUPPORT_RESOURCES_H_
