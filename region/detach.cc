// Detach: the seed's __db_rdetach, by the protocol of region/liveness.h;
// the last detach of a region marked for removal destroys it.
#include "region/region.h"

#include <string>

#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/thread.h"
#include "region/attacher.h"
#include "region/errors.h"
#include "region/stub_slots.h"
#include "region/trust_checks.h"

namespace osport::region {

using os::HasErrno;

absl::Status Region::Detach() { return DetachAndReport(nullptr); }

absl::Status Region::DetachAndReport(bool* destroyed) {
  if (destroyed != nullptr) *destroyed = false;
  if (!attached()) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL,
                             absl::StrFormat("region %s is not attached", options_.name));
  }
  if (!os::BackendShared(map_.backend()) || Inherited()) {
    // Private memory; or a Region inherited across fork(): the child is not
    // an attacher, so it only unmaps and closes -- never the header, the
    // file or system memory (and closing its copy of the descriptor leaves
    // the parent's liveness lock alone).
    Abandon();
    return absl::OkStatus();
  }
  RegionHeader& h = header();
  // Bounded like an attach (review 6: 'osport lock' released the lock and
  // then waited, unbounded, for the next holder to drop its slot).
  absl::Status locked = h.mutex.LockFor(options_.attach_timeout, &file_);
  if (os::IsOwnerDead(locked)) {
    h.panic.store(1, std::memory_order_release);  // we hold it now; finish detaching
  } else if (HasErrno(locked, EDEADLK)) {
    // This thread still holds the lock (the caller never unlocked): fine.
  } else if (HasErrno(locked, ETIMEDOUT)) {
    return WithRegionErrc(locked, RegionErrc::kTimedOut,
                          absl::StrFormat("detach region %s: the region lock was not free within %s "
                                          "(held by pid %u); still attached (retry Detach)",
                                          options_.name, absl::FormatDuration(options_.attach_timeout),
                                          h.mutex.owner().pid));
  } else if (!locked.ok()) {
    // Without the lock the header may not be edited, and abandoning here
    // would leave this live process's slot recorded for good (its liveness
    // lock gone; with the file-lock mutex the lock is itself a range-lock
    // call: the error sweep's no_spinlocks finding). Stay attached: the
    // caller may retry; the destructor retries once, then abandons.
    return os::Annotate(locked, "detach region " + options_.name +
                                    ": could not take the region lock; still attached (retry Detach)");
  }
  const os::ProcessIdentity me = Me();
  RepairRefcount(h);
  const int slot = FindSlot(h, me);
  absl::Status dropped = DropAttachment(h, me.pid, me.start, options_.name);
  ReconcileDead(h);
  const bool marked = (h.flags & kFlagRemoveOnDetach) != 0 || remove_file_on_detach_;
  const bool last = h.refcount == 0;
  bool destroy = false;
  absl::Status undecided = absl::OkStatus();
  if (marked && last) {
    // The table says we are the last; the kernel must agree: a joiner that
    // holds the shared lock but waits for the mutex we hold is not in the
    // table yet. Refused: it will find the mark, and its detach removes it.
    // Failed: the region stays marked, and the error says so.
    absl::StatusOr<bool> alone = live_.Try(file_, os::RangeLock::kExclusive);
    destroy = alone.ok() && *alone;
    if (!alone.ok()) undecided = alone.status();
  }
  if (!destroy && (h.flags & kFlagNamed) != 0 && slot >= 0 && h.attachments[slot].pid == 0) {
    (void)CopySlotToStub(file_, h, slot);  // the stub's copy of our slot (region/stub_slots.h)
  }
  if (destroy) {
    h.magic.store(0, std::memory_order_release);  // anyone who looks later sees no region
  } else if (last) {
    os::ReleaseLastUser(map_, sizeof(os::Mutex));
  }
  (void)h.mutex.Unlock(&file_);
  const os::Backend backend = map_.backend();
  const std::uint64_t sysid = map_.system_id();
  absl::Status unmapped = map_.Unmap();
  const std::string context = "detach region " + options_.name;
  absl::Status removed = absl::OkStatus();
  if (destroy) {
    // Still holding exclusive: remove the memory, then the name if it is
    // still ours (only a remove --force can have taken it meanwhile).
    // A failed memory removal keeps the stub: it is the way back to the
    // memory for `remove --force` (the header already says no region).
    if (os::BackendNamed(backend)) removed = os::RemoveSystemMemory(backend, sysid);
    if (removed.ok()) removed = UnlinkIfSameAt(home_, options_.name, file_);
    if (destroyed != nullptr) *destroyed = true;
  }
  live_.Forget();
  absl::Status closed = file_.Close();
  (void)home_.Close();
  if (!removed.ok()) return os::Annotate(removed, context);
  if (!undecided.ok()) {
    return os::Annotate(undecided, context + ": detached, but could not tell whether it was the last "
                                              "attacher; the region stays marked for removal (the next "
                                              "detach or remove removes it)");
  }
  if (!dropped.ok()) return dropped;
  if (!unmapped.ok()) return os::Annotate(unmapped, context);
  if (!closed.ok()) return os::Annotate(closed, context);
  return absl::OkStatus();
}

}  // namespace osport::region
