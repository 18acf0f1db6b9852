// A Region's life between attach and detach: moves, the region lock, panic.
#include "region/region.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/thread.h"
#include "region/attacher.h"

namespace osport::region {

Region::~Region() { DetachOrAbandon(); }

void Region::DetachOrAbandon() {
  // A Detach that could not take the region lock leaves the object
  // attached (region.h): one more try, then let go without the header.
  if (attached()) (void)Detach();
  if (attached()) Abandon();
}

Region::Region(Region&& other) noexcept
    : options_(std::move(other.options_)), path_(std::move(other.path_)),
      home_(std::move(other.home_)), file_(std::move(other.file_)), map_(std::move(other.map_)),
      live_(other.live_),
      owner_(other.owner_), created_(other.created_),
      remove_file_on_detach_(other.remove_file_on_detach_) {
  other.live_.Forget();
}

Region& Region::operator=(Region&& other) noexcept {
  if (this != &other) {
    DetachOrAbandon();
    options_ = std::move(other.options_);
    path_ = std::move(other.path_);
    home_ = std::move(other.home_);
    file_ = std::move(other.file_);
    map_ = std::move(other.map_);
    live_ = other.live_;
    other.live_.Forget();
    owner_ = other.owner_;
    created_ = other.created_;
    remove_file_on_detach_ = other.remove_file_on_detach_;
  }
  return *this;
}

void* Region::data() const { return static_cast<std::byte*>(map_.data()) + kHeaderSize; }

std::uint64_t Region::data_size() const { return map_.size() - kHeaderSize; }

absl::string_view RemoveOutcomeName(RemoveOutcome outcome) {
  return outcome == RemoveOutcome::kRemoved ? "removed" : "marked";
}

absl::Status Region::NotAttached(absl::string_view op) const {
  return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL,
                           absl::StrFormat("region %s: %s: not attached",
                                           options_.name.empty() ? "(unnamed)" : options_.name, op));
}

bool Region::LockHeld() const {
  if (!attached()) return false;
  const os::MutexOwner owner = header().mutex.owner();
  return owner.held && owner.tid == os::CurrentThread().tid;
}

absl::Status Region::UsableHere(absl::string_view op) const {
  if (!attached()) return NotAttached(op);
  if (!Inherited()) return absl::OkStatus();
  const os::ProcessIdentity me = Me();
  const std::string attacher =
      owner_.pid != me.pid
          ? absl::StrFormat("process %u", owner_.pid)
          : absl::StrFormat("an earlier process %u (started at %u, this one at %u: the pid was reused)",
                            owner_.pid, owner_.start, me.start);
  return os::PortableError(
      absl::StatusCode::kFailedPrecondition, EINVAL,
      absl::StrFormat("region %s: %s: this Region was attached by %s and inherited across "
                      "fork(); process %u is not attached to it (attach the region again in this "
                      "process: an inherited Region keeps only its mapping, without the region lock, "
                      "Grow or Remap)",
                      options_.name, op, attacher, me.pid));
}

absl::Status Region::NeedLock(absl::string_view op) const {
  if (absl::Status s = UsableHere(op); !s.ok()) return s;
  if (LockHeld()) return absl::OkStatus();
  return os::PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                           absl::StrFormat("region %s: %s needs the region lock held", options_.name, op));
}

absl::Status Region::CheckFits(std::size_t size, std::size_t align) const {
  if (!attached()) return NotAttached("As<T>");
  if (size > data_size()) {
    return os::PortableError(absl::StatusCode::kOutOfRange, ERANGE,
                             absl::StrFormat("region %s: As<T>: T needs %u bytes, the data area has %u",
                                             options_.name, size, data_size()));
  }
  if (reinterpret_cast<std::uintptr_t>(data()) % align != 0) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrFormat("region %s: As<T>: T needs %u-byte alignment, the data "
                                             "area is not aligned for it",
                                             options_.name, align));
  }
  return absl::OkStatus();
}

absl::Status Region::Lock() { return LockWith(LockWait::kForever, absl::ZeroDuration(), "Lock"); }

absl::Status Region::TryLock() { return LockWith(LockWait::kNever, absl::ZeroDuration(), "TryLock"); }

absl::Status Region::LockFor(absl::Duration timeout) { return LockWith(LockWait::kFor, timeout, "LockFor"); }

absl::Status Region::LockWith(LockWait wait, absl::Duration timeout, absl::string_view op) {
  if (absl::Status s = UsableHere(op); !s.ok()) return s;
  os::Mutex& m = header().mutex;
  absl::Status s = wait == LockWait::kForever ? m.Lock(&file_)
                   : wait == LockWait::kNever ? m.TryLock(&file_)
                                              : m.LockFor(timeout, &file_);
  if (os::IsOwnerDead(s)) {
    // One status, one meaning: the lock is held and the data may be half
    // updated (os::IsOwnerDead and RegionErrcOf agree).
    return RegionError(RegionErrc::kOwnerDied,
                       absl::StrFormat("region %s: the previous holder of the region lock died; "
                                       "you hold it now: repair the data, or Panic()",
                                       options_.name));
  }
  if ((wait == LockWait::kNever && os::HasErrno(s, EBUSY)) || (wait == LockWait::kFor && os::HasErrno(s, ETIMEDOUT))) {
    // Busy or timed out: distinct from every error, and NOT held.
    const os::MutexOwner owner = m.owner();
    return WithRegionErrc(
        s, RegionErrc::kTimedOut,
        wait == LockWait::kNever
            ? absl::StrFormat("region %s: TryLock: the region lock is held (pid %u); not acquired",
                              options_.name, owner.pid)
            : absl::StrFormat("region %s: LockFor(%s): the region lock was not free in time (held "
                              "by pid %u); not acquired",
                              options_.name, absl::FormatDuration(timeout), owner.pid));
  }
  if (!s.ok()) {
    // EDEADLK is the likeliest newcomer's slip: Lock right after Attach
    // (newcomer review 9).
    const char* hint = os::HasErrno(s, EDEADLK)
                           ? " (Attach returns the region locked: Unlock it, or adopt the lock with "
                             "RegionLock::Adopt)"
                           : "";
    return os::Annotate(s, absl::StrFormat("region %s: %s%s", options_.name, op, hint));
  }
  if (header().panic.load(std::memory_order_acquire) != 0 && !options_.recover) {
    // Every attached process hears of a panic on its next Lock.
    (void)m.Unlock(&file_);
    return RegionError(RegionErrc::kRunRecovery,
                       absl::StrFormat("region %s is panicked: the lock is not held; attach with "
                                       "RegionOptions::recover to repair it and ClearPanic()",
                                       options_.name));
  }
  return absl::OkStatus();
}

absl::Status Region::ClearPanic() {
  if (absl::Status s = NeedLock("ClearPanic"); !s.ok()) return s;
  header().panic.store(0, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Region::MarkForRemoval() {
  if (absl::Status s = NeedLock("MarkForRemoval"); !s.ok()) return s;
  header().flags |= kFlagRemoveOnDetach;
  return absl::OkStatus();
}

absl::Status Region::Unlock() {
  if (absl::Status s = UsableHere("Unlock"); !s.ok()) return s;
  return os::Annotate(header().mutex.Unlock(&file_), absl::StrFormat("region %s: Unlock", options_.name));
}

void Region::Panic() {
  if (attached()) header().panic.store(1, std::memory_order_release);
}

void Region::Abandon() {
  (void)map_.Unmap();
  live_.Forget();  // closing the file drops the kernel's lock
  (void)file_.Close();
  (void)home_.Close();
}

bool Region::Inherited() const {
  if (owner_.pid == 0) return false;
  const os::ProcessIdentity me = Me();  // cached; forgotten in a forked child
  return owner_.pid != me.pid || owner_.start != me.start;
}

}  // namespace osport::region
