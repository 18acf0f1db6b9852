// The liveness lock of region/liveness.h: one byte, shared or exclusive
// (the liveness byte, or a forced removal's remover byte).
#include "region/liveness.h"

#include <algorithm>

#include "os/process.h"
#include "os/time.h"

namespace osport::region {

namespace {
Liveness::Held HeldOf(os::RangeLock kind) {
  return kind == os::RangeLock::kExclusive ? Liveness::Held::kExclusive : Liveness::Held::kShared;
}
}  // namespace

absl::StatusOr<bool> Liveness::Try(os::File& file, os::RangeLock kind) {
  const Held want = HeldOf(kind);
  if (held_ == want) return true;
  if (held_ != Held::kNone && !os::RangeLockConvertsInPlace()) {
    if (absl::Status s = Release(file); !s.ok()) return s;
  }
  absl::StatusOr<bool> got = os::TryLockRange(file, offset_, 1, kind);
  if (!got.ok()) return got.status();
  if (*got) held_ = want;
  return *got;
}

absl::StatusOr<bool> Liveness::Wait(os::File& file, os::RangeLock kind, absl::Time deadline) {
  std::uint64_t pause_us = 1000 + os::CurrentProcess().pid % 512;
  for (;;) {
    absl::StatusOr<bool> got = Try(file, kind);
    if (!got.ok() || *got) return got;
    const absl::Time now = os::MonotonicNow();  // deadline: monotonic (os/time.h)
    if (now >= deadline) return false;
    const std::uint64_t left = static_cast<std::uint64_t>(absl::ToInt64Microseconds(deadline - now));
    if (absl::Status s = os::Sleep(0, std::min(pause_us, left)); !s.ok()) return s;
    pause_us = std::min<std::uint64_t>(pause_us * 2, 32000);
  }
}

absl::Status Liveness::Release(os::File& file) {
  if (held_ == Held::kNone) return absl::OkStatus();
  held_ = Held::kNone;
  return os::UnlockRange(file, offset_, 1);
}

}  // namespace osport::region
