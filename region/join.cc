// Attach, the joiner's side: map what the header says, validate it, take
// the region lock and record the attachment.
#include "region/attacher.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/error.h"
#include "os/process.h"
#include "os/thread.h"
#include "os/time.h"
#include "region/grow.h"
#include "region/liveness.h"
#include "region/preflight.h"
#include "region/stub_slots.h"
#include "region/token.h"
#include "region/trust_checks.h"

namespace osport::region {

using os::HasErrno;

absl::Status Attacher::Join(Region& r, Found* found, bool* retry, std::string* why) {
  auto abandoned = [&](Found what, std::string reason) {
    *found = what;
    *why = std::move(reason);
    return absl::OkStatus();
  };
  // A backend the caller named is a requirement, as a size is unless
  // size_is_default: a region that lives in other memory is refused before
  // its header is written, not joined silently (newcomer review of
  // 2026-12-02; Berkeley DB refuses an environment opened with DB_SYSTEM_MEM
  // that was not created in system memory). Unset: any backend is joined.
  // A create-only attach says already_exists of any complete region, in
  // whatever memory (below).
  auto refuse_other_backend = [&](os::Backend actual) {
    if (o_.exclusive || !o_.backend.has_value() || *o_.backend == actual) return absl::OkStatus();
    return RegionError(RegionErrc::kIncompatible,
                       absl::StrFormat("region %s is a %s region, not %s as asked (leave "
                                       "RegionOptions::backend unset to join a region whatever its backend)",
                                       o_.name, os::BackendName(actual), os::BackendName(*o_.backend)));
  };
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
  if (!info.ok()) return info.status();
  const std::uint64_t fsize = info->size();
  if (fsize < kHeaderSize) {
    return abandoned(Found::kAbandoned,
                     absl::StrFormat("its file has %u bytes and no live creator", fsize));
  }
  if (fsize > kHeaderSize) {
    // A region file: its header is read and every field checked with an
    // ordinary read before the file is mapped writable or faulted in
    // (issue 12, F5: never write to a file that is not a region).
    absl::StatusOr<Preflight> pre = PreflightHeader(r.file_, fsize, o_.name);
    if (!pre.ok()) return pre.status();
    if (!pre->ready) {
      return abandoned(Found::kAbandoned, "its header was never completed and no creator is alive");
    }
    if (absl::Status s = refuse_other_backend(os::Backend::kFile); !s.ok()) return s;
  }
  bool named = false;
  std::uint64_t map_size = fsize;
  if (fsize == kHeaderSize) {
    // A stub: the region lives in system memory named by the header.
    alignas(8) std::byte buf[kHeaderSize];
    absl::StatusOr<std::size_t> n = os::ReadAt(r.file_, 0, buf);
    if (!n.ok()) return n.status();
    if (*n != kHeaderSize) return abandoned(Found::kAbandoned, "its stub is incomplete and no creator is alive");
    const auto* stub = reinterpret_cast<const RegionHeader*>(buf);
    const std::uint32_t magic = stub->magic.load(std::memory_order_relaxed);
    if (magic == 0) return abandoned(Found::kAbandoned, "its stub was never completed and no creator is alive");
    if (absl::Status s = CheckMagicAndFormat(magic, stub->format, o_.name); !s.ok()) return s;
    const auto stub_backend = static_cast<os::Backend>(stub->backend);
    map_size = stub->size.load(std::memory_order_relaxed);
    if ((stub->flags & kFlagNamed) == 0 || !os::BackendNamed(stub_backend) ||
        map_size < 2 * kHeaderSize || map_size % kHeaderSize != 0 ||
        map_size > os::config::kRegionSizeMax) {
      return RegionError(RegionErrc::kCorrupt,
                         absl::StrFormat("region %s: corrupt stub (backend %u, size %u)", o_.name,
                                         stub->backend, map_size));
    }
    // Nothing is mapped writable, let alone written, before the memory is
    // known to be this stub's: AttachBoundMemory looks through a read-only
    // view first (region/token.h).
    absl::StatusOr<os::Mapping> m =
        AttachBoundMemory(r.file_, *stub, map_size, o_, o_.mode, os::MapAccess::kReadWrite);
    if (!m.ok()) {
      if (!os::IsMemoryGone(m.status())) return m.status();  // a transient EAGAIN is not "gone"
      // Not where the stub says: gone, unless memory bound to this stub is
      // elsewhere (a damaged stub: never replaced, issue 12).
      if (absl::Status s = CheckMemoryGone(r.file_, *stub, o_); !s.ok()) return s;
      return abandoned(Found::kMemoryGone, std::string(m.status().message()));
    }
    r.map_ = std::move(*m);
    named = true;
    // Checked once the memory is proven the stub's: a damaged backend field
    // is corrupt (above), not another backend.
    if (absl::Status s = refuse_other_backend(stub_backend); !s.ok()) return s;
  } else {
    absl::StatusOr<os::Mapping> m = os::MapFile(r.file_, fsize, fsize);  // sized just above
    if (!m.ok()) return m.status();
    r.map_ = std::move(*m);
  }
  // The header is read (magic), then written (lock, count): fault it in
  // for writing now, in one step, rather than by a read fault and then a
  // write fault (measured: about a third of a join's time; bench/region).
  os::PrefaultHint(r.map_, 0, kHeaderSize);
  RegionHeader& h = r.header();
  const std::uint32_t magic = h.magic.load(std::memory_order_acquire);
  if (magic == 0) {
    if (named && os::config::kZeroOnLastClose) {
      // The Win95 rule: its last user released the memory.
      return abandoned(Found::kAbandoned, "its memory was released by its last user (zero on last close)");
    }
    return abandoned(Found::kAbandoned, "its header was never completed and no creator is alive");
  }
  if (absl::Status s = CheckMagicAndFormat(magic, h.format, o_.name); !s.ok()) return s;
  if (!named) {
    // The file may be longer than the header says (a grow that failed or
    // died before storing its size): map what the header says, never more
    // than the file holds.
    const std::uint64_t claimed = h.size.load(std::memory_order_acquire);
    if (claimed < map_size && claimed >= 2 * kHeaderSize && claimed % kHeaderSize == 0) {
      (void)r.map_.Unmap();
      absl::StatusOr<os::Mapping> m = os::MapFile(r.file_, claimed, fsize);
      if (!m.ok()) return m.status();
      r.map_ = std::move(*m);
      map_size = claimed;
    }
  }
  RegionHeader& hh = r.header();
  if (absl::Status s = CheckSize(r, map_size, named, retry, why); !s.ok() || *retry) return s;
  if (o_.exclusive) {
    // A complete region lives here: a create-only attach stops before its
    // lock, so a holder cannot make it wait (RegionOptions::exclusive).
    return os::PortableError(absl::StatusCode::kAlreadyExists, EEXIST,
                             absl::StrFormat("region %s already exists (create only)", o_.name));
  }
  // Before the mutex, whose owner is judged by pid: attached processes are
  // all of one pid namespace.
  if (absl::Status s = CheckPidNamespace(r, found); !s.ok() || *found != Found::kValid) return s;
  // 1 is panicked; any other value but 0 is corrupt, said by CheckFields
  // under the lock below.
  if (hh.panic.load(std::memory_order_acquire) == 1 && !o_.recover) return Panicked();

  absl::Status locked = LockBounded(r);
  if (locked.ok() || os::IsOwnerDead(locked)) {
    // Holding the lock: a grow target still recorded is a dead grower's
    // (its death is the owner death just reported, or was reported to an
    // attached process's Lock, which decided about the data). Settle the
    // size: no data is lost by it, so it does not panic by itself.
    (void)SettleDeadGrow(hh, r.file_);
  }
  if (os::IsOwnerDead(locked)) {
    // One status, one meaning (region/liveness.h, "Statuses"): a dead holder
    // found by Attach panics the region. A recovering joiner keeps the lock
    // and gets the region (panicked() says so); any other joiner gets
    // kRunRecovery with the lock NOT held, like every attached process's
    // next Lock. kOwnerDied always means "you hold the lock" (Region::Lock).
    hh.panic.store(1, std::memory_order_release);
    if (o_.recover) {
      locked = absl::OkStatus();
    } else {
      (void)hh.mutex.Unlock(&r.file_);
      return RegionError(RegionErrc::kRunRecovery,
                         absl::StrFormat("region %s: a process died holding the region lock; the "
                                         "region is now panicked and the lock is not held: run "
                                         "recovery (attach with RegionOptions::recover, repair, "
                                         "Region::ClearPanic)",
                                         o_.name));
    }
  }
  if (!locked.ok()) return locked;
  absl::Status s = JoinLocked(r, map_size, named, retry, why);
  if (!s.ok() || *retry) (void)hh.mutex.Unlock(&r.file_);
  return s;
}

absl::Status Attacher::LockBounded(Region& r) {
  // Never a wait for ever: a holder that stays alive past the attach
  // deadline, or a lock word whose owner cannot be confirmed (record
  // mismatch, id reused, owner record unwritten; os/mutex.h resolves those
  // within 2 s once it can tell), ends in kTimedOut naming the holder.
  const absl::Duration left = std::max(deadline_ - os::MonotonicNow(), absl::ZeroDuration());
  absl::Status s = r.header().mutex.LockFor(left, &r.file_);
  if (!os::HasErrno(s, ETIMEDOUT)) return s;
  const os::MutexOwner owner = r.header().mutex.owner();
  return RegionError(
      RegionErrc::kTimedOut,
      absl::StrFormat("region %s: its lock was not free within the attach timeout (%s); nothing is "
                      "held: the region lock is held (pid %u, thread %u%s): %s",
                      o_.name, absl::FormatDuration(o_.attach_timeout), owner.pid, owner.tid,
                      owner.pid == 0 ? ", owner record not written" : "", s.message()));
}

absl::Status Attacher::CheckSize(Region& r, std::uint64_t map_size, bool named, bool* retry, std::string* why) {
  const std::uint64_t claimed = r.header().size.load(std::memory_order_acquire);
  if (claimed == map_size) return absl::OkStatus();
  if (claimed < 2 * kHeaderSize || claimed % kHeaderSize != 0) {
    return RegionError(RegionErrc::kCorrupt,
                       absl::StrFormat("region %s: corrupt header: size %u is impossible", o_.name,
                                       claimed));
  }
  if (named) {
    return RegionError(RegionErrc::kCorrupt,
                       absl::StrFormat("region %s: its stub says %u bytes, its memory %u",
                                       o_.name, map_size, claimed));
  }
  absl::StatusOr<os::IoInfo> now = os::GetIoInfo(r.file_);
  if (!now.ok()) return now.status();
  if (claimed > now->size()) {
    return RegionError(RegionErrc::kTruncated,
                       absl::StrFormat("region %s: header says %u bytes but the file has only %u",
                                       o_.name, claimed, now->size()));
  }
  // Grown after we sized the file (or still growing): size it again.
  *retry = true;
  *why = absl::StrFormat("its size changed while joining (header %u, mapped %u)", claimed, map_size);
  return absl::OkStatus();
}

absl::Status Attacher::JoinLocked(Region& r, std::uint64_t map_size, bool named, bool* retry, std::string* why) {
  RegionHeader& h = r.header();
  if (h.magic.load(std::memory_order_acquire) != kRegionMagic) {
    *retry = true;
    *why = "it was removed while waiting for its lock";
    return absl::OkStatus();
  }
  if (absl::Status s = CheckSize(r, map_size, named, retry, why); !s.ok() || *retry) return s;
  if (absl::Status s = CheckFields(h, map_size, o_.name); !s.ok()) return s;  // panic 0 or 1, too
  if (h.panic.load(std::memory_order_acquire) != 0 && !o_.recover) return Panicked();
  if (o_.size != 0 && !o_.size_is_default && RoundRegionSize(o_.size) > map_size) {
    return RegionError(RegionErrc::kTooSmall,
                       absl::StrFormat("region %s has %u bytes, fewer than the %u asked for",
                                       o_.name, map_size, RoundRegionSize(o_.size)));
  }
  RepairRefcount(h);
  ReconcileDead(h);
  const os::ProcessIdentity me = Me();
  if (absl::Status s = AddAttachment(h, me.pid, me.start, o_.name); !s.ok()) return s;
  if (named) {
    // Name ourselves in the stub too, where our pid outlives the memory
    // (region/stub_slots.h). Diagnostic only: a failure costs the pid in
    // a later "memory gone under attachers" message, nothing else.
    const int slot = FindSlot(h, me);
    if (slot >= 0 && h.attachments[slot].count == 1) (void)CopySlotToStub(r.file_, h, slot);
  }
  return absl::OkStatus();
}

absl::Status Attacher::Panicked() {
  return RegionError(RegionErrc::kRunRecovery,
                     absl::StrFormat("region %s is panicked: run recovery (attach with "
                                     "RegionOptions::recover, repair, Region::ClearPanic)",
                                     o_.name));
}

}  // namespace osport::region
