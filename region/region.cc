// A Region's life between attach and detach: moves, the region lock, panic.
#include "region/region.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/thread.h"
#include "region/attacher.h"

namespace osport::region {

Region::~Region() {
  if (attached()) (void)Detach();
}

Region::Region(Region&& other) noexcept
    : options_(std::move(other.options_)), path_(std::move(other.path_)),
      home_(std::move(other.home_)), file_(std::move(other.file_)), map_(std::move(other.map_)),
      live_(other.live_),
      owner_pid_(other.owner_pid_), created_(other.created_),
      remove_file_on_detach_(other.remove_file_on_detach_) {
  other.live_.Forget();
}

Region& Region::operator=(Region&& other) noexcept {
  if (this != &other) {
    if (attached()) (void)Detach();
    options_ = std::move(other.options_);
    path_ = std::move(other.path_);
    home_ = std::move(other.home_);
    file_ = std::move(other.file_);
    map_ = std::move(other.map_);
    live_ = other.live_;
    other.live_.Forget();
    owner_pid_ = other.owner_pid_;
    created_ = other.created_;
    remove_file_on_detach_ = other.remove_file_on_detach_;
  }
  return *this;
}

void* Region::data() const { return static_cast<std::byte*>(map_.data()) + kHeaderSize; }

std::uint64_t Region::data_size() const { return map_.size() - kHeaderSize; }

absl::Status Region::Lock() {
  if (!attached()) return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL, "region is not attached");
  absl::Status s = header().mutex.Lock(&file_);
  if (os::IsOwnerDead(s)) {
    // One status, one meaning: the lock is held and the data may be half
    // updated (os::IsOwnerDead and RegionErrcOf agree).
    return RegionError(RegionErrc::kOwnerDied,
                       absl::StrFormat("region %s: the previous holder of the region lock died; "
                                       "you hold it now: repair the data, or Panic()",
                                       options_.name));
  }
  if (!s.ok()) return s;
  if (header().panic.load(std::memory_order_acquire) != 0 && !options_.recover) {
    // Every attached process hears of a panic on its next Lock.
    (void)header().mutex.Unlock(&file_);
    return RegionError(RegionErrc::kRunRecovery,
                       absl::StrFormat("region %s is panicked: the lock is not held; attach with "
                                       "RegionOptions::recover to repair it and ClearPanic()",
                                       options_.name));
  }
  return absl::OkStatus();
}

absl::Status Region::ClearPanic() {
  if (!attached()) return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL, "region is not attached");
  const os::MutexOwner owner = header().mutex.owner();
  if (!owner.held || owner.tid != os::CurrentThread().tid) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                             absl::StrFormat("region %s: ClearPanic needs the region lock held", options_.name));
  }
  header().panic.store(0, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Region::Unlock() {
  if (!attached()) return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL, "region is not attached");
  return header().mutex.Unlock(&file_);
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

bool Region::Inherited() const { return owner_pid_ != 0 && owner_pid_ != Me().pid; }

}  // namespace osport::region
