// Rule matching for FaultInjector; the hook it installs is the only one.
#include "os/fault_injection.h"

#include <cassert>
#include <utility>

namespace osport::os {

FaultRule FaultRule::Fail(Op op, std::uint64_t nth, int portable_errno) {
  FaultRule r;
  r.op = op;
  r.nth = nth;
  r.result = HookResult{HookResult::Action::kFail, portable_errno};
  return r;
}

FaultRule FaultRule::Interrupt(Op op, std::uint64_t nth) {
  FaultRule r;
  r.op = op;
  r.nth = nth;
  r.result = HookResult{HookResult::Action::kInterrupt, 0};
  return r;
}

FaultRule FaultRule::Short(Op op, std::uint64_t nth, bool repeat) {
  FaultRule r;
  r.op = op;
  r.nth = nth;
  r.result = HookResult{HookResult::Action::kShort, 0};
  r.repeat = repeat;
  return r;
}

FaultRule FaultRule::Pause(Op op, std::uint64_t nth, std::function<void()> fn) {
  FaultRule r;
  r.op = op;
  r.nth = nth;
  r.on_hit = std::move(fn);
  return r;
}

FaultInjector::FaultInjector(std::vector<FaultRule> rules)
    : rules_(std::move(rules)), fired_(rules_.size()) {
  for (auto& c : calls_) c.store(0, std::memory_order_relaxed);
  for (auto& f : fired_) f.store(0, std::memory_order_relaxed);
  assert(internal::g_hook.load() == nullptr && "only one FaultInjector at a time");
  InstallHook(&FaultInjector::Dispatch, this);
}

FaultInjector::FaultInjector(Op op, std::uint64_t nth, int portable_errno)
    : FaultInjector(FaultRule::Fail(op, nth, portable_errno)) {}

FaultInjector::~FaultInjector() { InstallHook(nullptr, nullptr); }

std::uint64_t FaultInjector::calls(Op op) const {
  return calls_[static_cast<std::size_t>(op)].load(std::memory_order_relaxed);
}

std::uint64_t FaultInjector::fired(std::size_t index) const {
  return index < fired_.size() ? fired_[index].load(std::memory_order_relaxed) : 0;
}

HookResult FaultInjector::Dispatch(Op op, void* self) {
  return static_cast<FaultInjector*>(self)->Decide(op);
}

HookResult FaultInjector::Decide(Op op) {
  const std::uint64_t n =
      calls_[static_cast<std::size_t>(op)].fetch_add(1, std::memory_order_relaxed) + 1;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& rule = rules_[i];
    if (rule.op != op) continue;
    if (n == rule.nth || (rule.repeat && n > rule.nth)) {
      fired_[i].fetch_add(1, std::memory_order_relaxed);
      if (rule.on_hit) rule.on_hit();
      return rule.result;
    }
  }
  return {};
}

}  // namespace osport::os
