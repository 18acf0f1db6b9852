// Scoped fault injection on top of the hook table: "the Nth call of op fails
// with errno E", "the next write is short", "pause at the Nth map".
#ifndef OSPORT_OS_FAULT_INJECTION_H_
#define OSPORT_OS_FAULT_INJECTION_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "os/hooks.h"

namespace osport::os {

// One rule: when the `nth` call (1-based, counted from installation) of `op`
// is made, apply `result`; with `repeat`, also every later call. `on_hit`, if
// set, runs first (in the calling thread) and may block: that is how a test
// pauses a process at a chosen system call.
struct FaultRule {
  Op op = Op::kCount;
  std::uint64_t nth = 1;
  HookResult result;
  bool repeat = false;
  std::function<void()> on_hit;

  // The nth call fails with `portable_errno`.
  static FaultRule Fail(Op op, std::uint64_t nth, int portable_errno);
  // The nth call is interrupted (EINTR) once.
  static FaultRule Interrupt(Op op, std::uint64_t nth);
  // The nth call (and with `repeat` every later one) transfers short.
  static FaultRule Short(Op op, std::uint64_t nth, bool repeat);
  // The nth call first runs `fn` (which may block), then proceeds.
  static FaultRule Pause(Op op, std::uint64_t nth, std::function<void()> fn);
};

// Installs its rules in the hook table for its lifetime; counts every call of
// every op meanwhile. Only one FaultInjector may live at a time (the hook slot
// is process-wide); constructing a second one aborts in debug builds.
class FaultInjector {
 public:
  explicit FaultInjector(std::vector<FaultRule> rules);
  explicit FaultInjector(FaultRule rule) : FaultInjector(std::vector<FaultRule>{std::move(rule)}) {}
  // Shorthand: the nth call of `op` fails with `portable_errno`.
  FaultInjector(Op op, std::uint64_t nth, int portable_errno);
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Calls of `op` seen since installation (including failed ones).
  [[nodiscard]] std::uint64_t calls(Op op) const;
  // How many times rule `index` fired.
  [[nodiscard]] std::uint64_t fired(std::size_t index = 0) const;

 private:
  static HookResult Dispatch(Op op, void* self);
  HookResult Decide(Op op);

  std::vector<FaultRule> rules_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Op::kCount)> calls_{};
  std::vector<std::atomic<std::uint64_t>> fired_;
};

// Counts calls without changing them: for asserting that a code path makes
// (or avoids) a given system call.
class CallCounter {
 public:
  CallCounter() : injector_(std::vector<FaultRule>{}) {}
  [[nodiscard]] std::uint64_t calls(Op op) const { return injector_.calls(op); }

 private:
  FaultInjector injector_;
};

}  // namespace osport::os

#endif  // OSPORT_OS_FAULT_INJECTION_H_
