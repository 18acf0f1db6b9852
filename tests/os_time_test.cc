// os/time.h: sleeping carries microseconds and really waits.
#include "os/time.h"

#include <chrono>

#include "gtest/gtest.h"
#include "os/fault_injection.h"

namespace osport::os {
namespace {

TEST(TimeTest, MicrosecondsCarryIntoSeconds) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Sleep(0, 1'020'000).ok());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // A lower bound only: a sleep may be late, never early.
  EXPECT_GE(elapsed, std::chrono::microseconds(1'020'000));
}

TEST(TimeTest, ZeroSleepYieldsTheCpu) {
  CallCounter counter;
  ASSERT_TRUE(Sleep(0, 0).ok());
  EXPECT_EQ(counter.calls(Op::kYield), 1u);
  EXPECT_EQ(counter.calls(Op::kSleep), 0u);
  YieldCpu();
  EXPECT_EQ(counter.calls(Op::kYield), 2u);
}

}  // namespace
}  // namespace osport::os
