// The helper registry and the test main that dispatches to it.
#include "tests/support/helper.h"

#include <cstdio>
#include <iostream>
#include <map>

#include "gtest/gtest.h"
#include "tests/support/ledger.h"

namespace osport::testing {
namespace {

constexpr char kFlag[] = "--osport_helper=";

std::string& Argv0() {
  static auto* argv0 = new std::string;
  return *argv0;
}

std::map<std::string, HelperFn>& Registry() {
  static auto* registry = new std::map<std::string, HelperFn>;
  return *registry;
}

}  // namespace

bool RegisterHelper(const char* name, HelperFn fn) {
  Registry()[name] = fn;
  return true;
}

absl::StatusOr<os::Child> StartHelper(const std::string& name,
                                      const std::vector<std::string>& args) {
  absl::StatusOr<std::string> exe = os::ExecutablePath();
  // The generic POSIX build has no way to ask (no /proc): argv[0], which
  // ctest gives as an absolute path.
  if (!exe.ok() && exe.status().code() == absl::StatusCode::kUnimplemented && !Argv0().empty()) {
    exe = Argv0();
  }
  if (!exe.ok()) return exe.status();
  std::vector<std::string> argv{*exe, kFlag + name};
  argv.insert(argv.end(), args.begin(), args.end());
  return os::Spawn(argv);
}

std::string ReadParentLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return "";
  return line;
}

void TellParent(const std::string& line) { std::cout << line << std::endl; }

int MaybeRunHelper(int argc, char** argv) {
  if (argc < 2) return -1;
  const std::string first = argv[1];
  if (first.rfind(kFlag, 0) != 0) return -1;
  const std::string name = first.substr(sizeof(kFlag) - 1);
  auto it = Registry().find(name);
  if (it == Registry().end()) {
    std::fprintf(stderr, "no test helper named '%s'\n", name.c_str());
    return 125;
  }
  JoinInheritedLedger();
  return it->second(std::vector<std::string>(argv + 2, argv + argc));
}

os::FaultRule PauseForParent(os::Op op, std::uint64_t nth) {
  return os::FaultRule::Pause(op, nth, [] {
    TellParent("paused");
    ReadParentLine();
  });
}

}  // namespace osport::testing

int main(int argc, char** argv) {
  if (argc > 0) osport::testing::Argv0() = argv[0];
  const int helper = osport::testing::MaybeRunHelper(argc, argv);
  if (helper >= 0) return helper;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
