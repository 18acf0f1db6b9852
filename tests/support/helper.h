// Multi-process tests re-run the test binary in a helper mode: a registered
// function runs in the child instead of the tests, talking to the parent
// through its stdin/stdout lines.
#ifndef OSPORT_TESTS_SUPPORT_HELPER_H_
#define OSPORT_TESTS_SUPPORT_HELPER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "os/fault_injection.h"
#include "os/hooks.h"
#include "os/process.h"

namespace osport::testing {

using HelperFn = int (*)(const std::vector<std::string>& args);

bool RegisterHelper(const char* name, HelperFn fn);

// Starts this test binary as helper `name` with `args`.
absl::StatusOr<os::Child> StartHelper(const std::string& name,
                                      const std::vector<std::string>& args = {});

// In a helper: one line from the parent ("" at end of input) / one to it.
std::string ReadParentLine();
void TellParent(const std::string& line);

// In a helper: a rule that pauses call `nth` of `op` -- tells the parent
// "paused", then goes on when the parent sends any line.
os::FaultRule PauseForParent(os::Op op, std::uint64_t nth);

// Runs the helper named by argv if it asks for one; returns -1 otherwise.
int MaybeRunHelper(int argc, char** argv);

}  // namespace osport::testing

// Defines and registers a helper: OSPORT_TEST_HELPER(Name) { ... return 0; }
#define OSPORT_TEST_HELPER(name)                                                     \
  static int name(const std::vector<std::string>& args);                            \
  [[maybe_unused]] static const bool name##_registered =                             \
      ::osport::testing::RegisterHelper(#name, &name);                               \
  static int name([[maybe_unused]] const std::vector<std::string>& args)

#endif  // OSPORT_TESTS_SUPPORT_HELPER_H_
