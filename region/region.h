// A region: shared memory with a header at offset 0 and a backing file in a
// home directory (the seed's __db_rattach / __db_rdetach / __db_rgrow, made
// crash-safe). Built only on os/; no platform code here.
#ifndef OSPORT_REGION_REGION_H_
#define OSPORT_REGION_REGION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "os/dir.h"
#include "os/file.h"
#include "os/map.h"
#include "os/process.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/liveness.h"
#include "region/options.h"

namespace osport::region {

// What a successful Remove did (see Remove below).
enum class RemoveOutcome : std::uint8_t {
  kRemoved,  // the region is gone (or there was nothing to remove)
  kMarked,   // others are attached: the last of them to detach removes it
};
// "removed", "marked".
[[nodiscard]] absl::string_view RemoveOutcomeName(RemoveOutcome outcome);

// An attached region. Move-only. Destroying an attached Region detaches it
// (ignoring errors; see Detach for the one it cannot finish); call Detach()
// where the outcome matters.
//
// Locking: the region lock is the header's mutex. Attach returns with it
// held; the caller initialises its data if created(), then Unlock()s. Grow
// requires it held. A process that dies holding it makes the next Lock()
// get kOwnerDied -- held -- and the next Attach mark the region panicked
// (kRunRecovery, not held). One status, one meaning: region/liveness.h.
// RegionLock (region/lock_guard.h) holds it for a scope.
//
// fork(): a child that inherits an attached Region is not attached (the
// issue 11 contract; region/liveness.h, "Fork"). Its copy keeps the mapping
// -- data() reads and writes the same memory -- but holds no liveness lock,
// no slot and no reference; Lock, TryLock, LockFor, Unlock, Grow, Remap,
// ClearPanic and MarkForRemoval there return FailedPrecondition (EINVAL)
// naming fork(), and Detach or destruction only unmap and close. A child
// that uses the region attaches it again (Region::Attach); a region whose
// only attacher died counts as unattached even while such children live.
// "Inherited" is judged by process identity (pid and start stamp), so a
// descendant that got a dead attacher's pid back is inherited too where
// start stamps exist (Linux /proc, Win32; elsewhere the pid alone). Only
// fork() runs the atfork handlers that release the liveness lock and renew
// the cached identity: a child made with _Fork, vfork or a raw clone must
// exec or _exit before it calls osport.
//
// Errors: every status a Region method returns names the region.
class Region {
 public:
  // Creates or joins the region described by `options` and returns it
  // LOCKED, with created() saying whether this call created it. Errors:
  // InvalidArgument (options), NotFound (no region and !create), and the
  // RegionErrc kinds: kNotARegion (a file whose magic is not osport's, or a
  // directory, FIFO, socket or device of the caller's at the name: never
  // mapped), kCorrupt / kIncompatible / kTruncated (a header that
  // cannot be trusted: never mapped past the file's end), kRunRecovery
  // (panicked, the lock NOT held -- also when this Attach found a process
  // dead holding the lock and marked the region panicked; with
  // RegionOptions::recover it returns the region locked instead, panicked()
  // true), kTooSmall, kFull, kNotReady (still not ready after the retry
  // policy ran out, or another process still creating, replacing or
  // removing it at RegionOptions::attach_timeout), kBusy (its memory is gone
  // but other processes are still attached: named with their pids),
  // kTimedOut (the region lock still held by a live process, or by an owner
  // that cannot be confirmed, at RegionOptions::attach_timeout; nothing is
  // held).
  // Attach never returns kOwnerDied: that status always means "held".
  [[nodiscard]] static absl::StatusOr<Region> Attach(const RegionOptions& options);

  Region() = default;
  ~Region();
  Region(Region&& other) noexcept;
  Region& operator=(Region&& other) noexcept;
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  [[nodiscard]] bool attached() const { return map_.mapped(); }
  [[nodiscard]] bool created() const { return created_; }
  [[nodiscard]] const std::string& name() const { return options_.name; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] os::Backend backend() const { return map_.backend(); }

  // The caller's memory: everything after the header, and its size. Valid
  // until Grow/Remap/Detach.
  [[nodiscard]] void* data() const;
  [[nodiscard]] std::uint64_t data_size() const;

  // The data area as a T: checks that T fits in data_size() and that data()
  // is aligned for T (OutOfRange / InvalidArgument naming the region;
  // FailedPrecondition when not attached). T must be trivially copyable and
  // standard layout: other processes see its bytes, never its constructor.
  // The pointer is valid until Grow/Remap/Detach (the mapping may move:
  // call As<T>() again after them); access it with the region lock held.
  template <typename T>
  [[nodiscard]] absl::StatusOr<T*> As() const {
    static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>,
                  "Region::As<T>: T lives in shared memory; it must be trivially copyable and "
                  "standard layout (no pointers into one process, no virtual functions)");
    if (absl::Status s = CheckFits(sizeof(T), alignof(T)); !s.ok()) return s;
    return static_cast<T*>(data());
  }
  // The whole mapping, header included.
  [[nodiscard]] std::uint64_t size() const { return map_.size(); }
  [[nodiscard]] RegionHeader& header() const { return *static_cast<RegionHeader*>(map_.data()); }

  // The region lock. Lock's kOwnerDied status (os::IsOwnerDead agrees)
  // means the lock IS held and the data may be inconsistent: repair and
  // continue, or Panic(). kRunRecovery means the region is panicked and the
  // lock is NOT held -- every attached process hears it on its next Lock --
  // unless this Region was attached with RegionOptions::recover.
  [[nodiscard]] absl::Status Lock();
  // As Lock, but never waits for a live holder: kTimedOut (Unavailable,
  // EBUSY) while another thread holds it; NOT held then.
  [[nodiscard]] absl::Status TryLock();
  // As Lock, but waits at most `timeout` (a few ms late at worst): kTimedOut
  // (DeadlineExceeded, ETIMEDOUT) when it runs out; NOT held then.
  [[nodiscard]] absl::Status LockFor(absl::Duration timeout);
  [[nodiscard]] absl::Status Unlock();
  // Whether the calling thread holds the region lock.
  [[nodiscard]] bool LockHeld() const;

  // Decrements the reference count (dropping dead processes' attachments),
  // and if this was the last attachment of a region marked for removal,
  // destroys it (system memory and file). When others are still attached to
  // a marked region this is OK: the last of them removes it (a routine
  // detach never fails because someone marked the region). Leaves this
  // object detached, even on error -- except when the region lock cannot
  // be taken (an error other than an owner death, or not within
  // RegionOptions::attach_timeout: kTimedOut): then nothing is changed,
  // it stays attached (attached() is true) and Detach may be called again;
  // the destructor tries once more, then only unmaps and closes (the slot
  // then stays recorded until this process exits). In a child that
  // inherited this Region across fork() it only unmaps and closes (see
  // region/liveness.h).
  [[nodiscard]] absl::Status Detach();
  // Detach, and *destroyed (when not null) says whether this call destroyed
  // the region: it was marked for removal and this was its last attachment.
  [[nodiscard]] absl::Status DetachAndReport(bool* destroyed);

  // Grows a file-backed region to `new_size` (rounded up), with the lock
  // HELD: disk blocks guaranteed (ENOSPC now, not SIGBUS later), every new
  // page written when mapinit is required, faulted in with prefault; the
  // header size updated; remapped (data() may move). Other processes see
  // NeedsRemap() and call Remap().
  [[nodiscard]] absl::Status Grow(std::uint64_t new_size);

  // Whether another process grew the region since this one mapped it.
  [[nodiscard]] bool NeedsRemap() const;
  // Maps the region at the size its header now says.
  [[nodiscard]] absl::Status Remap();

  // Marks the region panicked: every later Attach and every other attached
  // process's next Lock get kRunRecovery.
  void Panic();
  // The pthread_mutex_consistent of a region: with the lock held (a Region
  // attached with RegionOptions::recover), marks the repaired region
  // consistent again; everyone's Lock works again.
  [[nodiscard]] absl::Status ClearPanic();
  [[nodiscard]] bool panicked() const {
    return attached() && header().panic.load(std::memory_order_acquire) != 0;
  }

  // Marks the region for removal, with the lock HELD (FailedPrecondition
  // otherwise): the last process to detach destroys it (system memory and
  // file); until then it stays usable, and everyone's Detach returns OK.
  // What a non-force Remove does from a handle.
  [[nodiscard]] absl::Status MarkForRemoval();
  [[nodiscard]] bool marked_for_removal() const {
    return attached() && (header().flags & kFlagRemoveOnDetach) != 0;
  }

 private:
  friend class Attacher;
  friend absl::StatusOr<RemoveOutcome> Remove(const RegionOptions& options, bool force);
  void Abandon();  // unmaps and closes without touching the header
  void DetachOrAbandon();  // the destructor's detach: never leaves it attached
  // The statuses of Lock/TryLock/LockFor from the mutex's, naming the region.
  enum class LockWait : std::uint8_t { kForever, kNever, kFor };
  [[nodiscard]] absl::Status LockWith(LockWait wait, absl::Duration timeout, absl::string_view op);
  // FailedPrecondition "region NAME: OP: not attached".
  [[nodiscard]] absl::Status NotAttached(absl::string_view op) const;
  // NotAttached, or FailedPrecondition (EINVAL) naming fork() when this
  // object was inherited: the calls that need an attachment of this process.
  [[nodiscard]] absl::Status UsableHere(absl::string_view op) const;
  // FailedPrecondition (EPERM) unless this thread holds the lock.
  [[nodiscard]] absl::Status NeedLock(absl::string_view op) const;
  [[nodiscard]] absl::Status CheckFits(std::size_t size, std::size_t align) const;
  // Whether this object was inherited across fork() (not made here): the
  // pid or the start stamp differs from the attacher's.
  [[nodiscard]] bool Inherited() const;

  RegionOptions options_;
  std::string path_;
  os::Dir home_;                // the home, opened once without links (region/trust_checks.h)
  os::File file_;
  os::Mapping map_;
  Liveness live_;               // this attachment's hold on the liveness byte
  // The process that attached: pid and start stamp, so that a descendant
  // that got the same pid back (reuse) still differs.
  os::ProcessIdentity owner_{};
  bool created_ = false;
  bool remove_file_on_detach_ = false;  // private file-backed regions (shared-only quirk)
};

// Removes the region named by `options` (home + name).
//   force == false: joins it (waiting at most options.attach_timeout for the
//     region lock: then kTimedOut, or kNotReady for a region being created,
//     and NOTHING was marked), marks it for removal, detaches. kRemoved if
//     this was the last attachment (removed now); kMarked while others are
//     attached -- not an error: the region stays usable, the last of them
//     to detach removes it, and their Detach returns OK. NotFound if it does
//     not exist (an abandoned half-created file is removed: kRemoved).
//   force == true: never attaches (a dead process may have left it locked or
//     corrupt): removes its system memory if the stub names some, and the
//     file. kRemoved, also when there was nothing to remove. A symbolic link
//     is refused. It never runs beside a live creator or destroyer of the
//     region, nor beside another forced removal of it: it waits for them at
//     most options.attach_timeout, then fails with kNotReady having removed
//     nothing (region/liveness.h, "Remove (force)").
[[nodiscard]] absl::StatusOr<RemoveOutcome> Remove(const RegionOptions& options, bool force);

}  // namespace osport::region

#endif  // OSPORT_REGION_REGION_H_
