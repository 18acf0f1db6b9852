// The process-wide hook slot and operation names.
#include "os/hooks.h"

namespace osport::os {
namespace internal {
std::atomic<const HookSlot*> g_hook{nullptr};
std::atomic<const ObserverSlot*> g_observer{nullptr};
}  // namespace internal

namespace {
// The slot InstallHook fills; g_hook points at it only while a hook is set.
// Two slots alternate so a reader that loaded the previous pointer never sees
// it rewritten under it by the very next install.
internal::HookSlot g_slots[2];
int g_next_slot = 0;
}  // namespace

void InstallHook(HookFn fn, void* context) {
  if (fn == nullptr) {
    internal::g_hook.store(nullptr, std::memory_order_release);
    return;
  }
  internal::HookSlot* slot = &g_slots[g_next_slot];
  g_next_slot ^= 1;
  *slot = internal::HookSlot{fn, context};
  internal::g_hook.store(slot, std::memory_order_release);
}

namespace {
// The observer's slot; like the hook's, installed before os calls start.
internal::ObserverSlot g_observer_slot;
}  // namespace

void InstallObserver(ObserverFn fn, void* context) {
  if (fn == nullptr) {
    internal::g_observer.store(nullptr, std::memory_order_release);
    return;
  }
  g_observer_slot = internal::ObserverSlot{fn, context};
  internal::g_observer.store(&g_observer_slot, std::memory_order_release);
}

void internal::NotifyObserver(ObjectEvent event, absl::string_view object) {
  const ObserverSlot* slot = g_observer.load(std::memory_order_acquire);
  if (slot != nullptr) slot->fn(event, object, slot->context);
}

absl::string_view OpName(Op op) {
  switch (op) {
    case Op::kOpen: return "open";
    case Op::kClose: return "close";
    case Op::kRead: return "read";
    case Op::kWrite: return "write";
    case Op::kSeek: return "seek";
    case Op::kStat: return "stat";
    case Op::kUnlink: return "unlink";
    case Op::kAllocate: return "allocate";
    case Op::kTruncate: return "truncate";
    case Op::kSync: return "sync";
    case Op::kSleep: return "sleep";
    case Op::kYield: return "yield";
    case Op::kLockRange: return "lock_range";
    case Op::kFutexWait: return "futex_wait";
    case Op::kFutexWake: return "futex_wake";
    case Op::kMap: return "map";
    case Op::kUnmap: return "unmap";
    case Op::kAdvise: return "advise";
    case Op::kShmCreate: return "shm_create";
    case Op::kShmRemove: return "shm_remove";
    case Op::kProcessInfo: return "process_info";
    case Op::kSpawn: return "spawn";
    case Op::kWait: return "wait";
    case Op::kKill: return "kill";
    case Op::kListDir: return "list_dir";
    case Op::kRename: return "rename";
    case Op::kLink: return "link";
    case Op::kCount: break;
  }
  return "unknown";
}

}  // namespace osport::os
