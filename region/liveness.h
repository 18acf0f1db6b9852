// The region lifecycle protocol, written down once, and the kernel-released
// liveness lock that carries it (attach.cc, create.cc, join.cc, detach.cc
// and remove.cc follow it).
//
// THE LIFECYCLE PROTOCOL
//
// Every shared region has a backing file (the region itself for kFile, a
// one-header stub for system memory). One byte of that file, far past any
// data (kLivenessOffset: Win32 byte-range locks are mandatory, so the data
// must never be locked), is the liveness byte. Its locks belong to the open
// file (Linux OFD locks, Win32 LockFileEx handle locks) and the kernel drops
// them when the holder dies, so "is anyone attached?", "did the creator
// die?" and "am I the last?" are answered by trying a lock, never by
// retrying and timing out (SQLite's DMS byte, Berkeley DB's DB_REGISTER).
//
//   shared     held by every attached process for as long as it is attached,
//              and by a joiner while it looks at the header.
//   exclusive  held by whoever initialises the region (creator, or whoever
//              replaces an abandoned one) until the header is complete, and
//              by whoever destroys it until its file and memory are gone.
//
// Attach (Attacher::Settle):
//  1. Open the file; if missing, create it O_EXCL and try the exclusive lock
//     at once. Granted, the file still empty and still named by the name
//     (else start again from the name: a join-only attach took it as
//     abandoned and unlinked it): initialise (memory, header, magic last,
//     stub), then convert to shared. Not granted (a joiner got in between): go on as a
//     joiner. SysV and POSIX shm memory is named from the stub, and until
//     its header is written it looks abandoned to a clean-up of those names
//     (a neighbouring stub's derived names may overlap ours): before the
//     conversion the creator checks that its recorded id still names its
//     memory (same token) and, if it was taken, makes it again, so a stub
//     naming gone memory is never published by a live creator (create.cc).
//     A try that fails (an error, not a death) discards what it made: an
//     initialiser, still exclusive, its memory and file; a creator whose
//     lock or a check before initialising failed, its file -- only if it
//     then gets exclusive and the file is still empty and named (as in 4);
//     else the file stays, abandoned, for the next attach.
//  2. Joiner: wait (bounded by RegionOptions::attach_timeout) for the shared
//     lock: it is refused only while an initialiser or destroyer holds the
//     exclusive lock, and granted at once if that process dies.
//  3. Holding shared, no one is initialising, so a header that is not valid
//     (file of any size without a complete header, a stub without magic,
//     memory without magic) was ABANDONED by a dead creator (or destroyed).
//     Valid: map the size the header says (never more than the file holds),
//     take the region mutex -- waiting at most until the attach deadline
//     (Mutex::LockFor), so neither a live holder nor a lock word whose owner
//     cannot be confirmed keeps Attach for ever (kTimedOut naming the
//     holder) -- check again, record the attachment. Done.
//  4. Abandoned: release shared, try exclusive (back off and go to 2 if
//     refused: another joiner is looking too). Granted: no one is attached.
//     If the path no longer names this file it was destroyed: reopen (1).
//     If meanwhile someone initialised it, join it (2). Otherwise replace it
//     IN PLACE (truncate, remove the stale memory the stub names, initialise)
//     -- never unlink by name after a check. A joiner that may not create
//     removes the abandoned file instead, still holding exclusive. Either
//     only if a creator can have left it (MayBeOsportFile: empty, or whole
//     header pages starting with the creation record -- a creator's first
//     write -- or a header, naming this very file); any other file is
//     someone's, not a region, and is left as it is (kNotARegion).
//  5. Memory gone behind a valid stub (a reboot, ipcrm, systemd RemoveIPC,
//     the Win95 rule): as 4 -- with exclusive it is replaced; while other
//     processes still hold shared it is refused (kBusy), never silently
//     recreated under them, naming their pids from the stub's copy of the
//     attachment slots (region/stub_slots.h: the kernel does not say who
//     holds an OFD or LockFileEx lock).
//
// Statuses, one meaning per event:
//   kOwnerDied    (os::IsOwnerDead agrees) the previous holder died and YOU
//                 HOLD the lock now: repair, or Panic(). Only Region::Lock
//                 (and its timed/try forms) return it.
//   kRunRecovery  the region is panicked and the lock is NOT held. Attach
//                 returns it for a region already panicked and when it is
//                 the one that found a dead holder (it marks the panic,
//                 releases the lock; the message says a process died). An
//                 Attach with RegionOptions::recover instead returns the
//                 region locked, panicked() true, to repair and ClearPanic().
//
// Remove (non-force): attach (the region mutex held), then try the
// exclusive lock BEFORE marking: granted, nobody else is attached, and the
// detach below destroys the region still holding it; refused, others hold
// shared (perhaps a joiner waiting for the mutex we hold): mark, and the
// last of them to detach removes it. A try that fails (an error) marks
// nothing and says so: a region marked with nobody attached would be
// destroyed by whoever joined it next.
//
// Remove (force): never attaches, but never takes a region from under its
// initialiser or destroyer either: it waits (at most the attach timeout,
// then kNotReady and nothing removed) for the SHARED liveness lock, which
// only an exclusive holder refuses, and holds it until the name is gone.
// Forced removals of one file run one at a time, each holding the remover
// byte (kForceRemoverOffset) exclusively; the name is unlinked only if it
// still names the file held. So, against every osport process, the check
// before the unlink cannot go stale: the name can change only through an
// exclusive holder or another forced removal of that file, and both wait.
// (A region file whose owner lost write permission by hand is opened
// read-only, and an exclusive range lock needs a writable descriptor:
// those forced removals are not serialised with each other.) Not in the
// model below: it has no forced removal. Found by review 6: a force that
// ignored the lock removed a creation in progress and leaked its memory,
// and let a destroyer's unlink hit the next region made under the name.
//
// Detach: under the region mutex drop our attachment slot (the refcount is a
// cache of the slots, repaired from them when they disagree, so a kill
// between the two stores is harmless). If the region is marked for removal
// and the table is empty, try the exclusive lock: granted means the kernel
// agrees no one else is attached, so clear the magic, remove the memory,
// and unlink the path -- only if it still names our file, and while holding
// exclusive, so no one else can replace or remove it meanwhile. Refused:
// someone is joining; the last of them removes it. Failed (an error): the
// mark stays and the detach says so. A memory removal that fails keeps the
// stub (the way back to the memory). Closing the file drops the lock.
//
// Fork: a Region inherited across fork() is not an attachment of the child.
// Its Detach only unmaps and closes; its lock calls, Grow and Remap are
// refused (Region::UsableHere). Nor does the child keep the parent's
// liveness lock, an OFD lock being the open file's, which fork shares:
//  - a region's file is opened with os::kOpenReleaseInForkedChild (by an
//    attach, a stat or a forced removal; no fork() can come between the open
//    and the marking, nor between forgetting it and closing it), so in a
//    child its descriptor points at /dev/null;
//  - a file region's mapping is made through a description of its own
//    (os::MapFile), so the child's inherited mapping holds no lock either.
// So the parent's death releases its lock while children it forked live on
// (review 10: such a child kept its dead parent "attached", and `remove`
// only marked the region) -- once each child runs: between fork() and its
// atfork handler a child still shares the description.
//
// Grow: under the region mutex record the target (header grow_target),
// extend the file, remap, store the new size in the header, clear the
// target; on failure the file is cut back to the old size and the target
// cleared. A joiner maps what the header says. A grower that dies midway
// holds the lock: the next joiner that takes it gets the owner death (the
// region panics: kRunRecovery, or locked for a recovering joiner) and,
// finding the target left, cuts the file back to the header's size -- the
// old or the new one -- and clears it (SettleDeadGrow).
//
// Pid namespaces (region/pid_namespace.cc): the mutex judges its owner, and
// attach/detach their slots, by pid and start stamp, which name another
// process, or none, in another pid namespace (two containers sharing a
// home: review 10 saw a live holder taken over). So every attached process
// is of the namespace the header records (pid_namespace), written only
// under the exclusive liveness lock (by an initialiser, or an adopter):
//  - Attach first reads its own namespace (os::CurrentPidNamespace), which
//    also refuses a process whose /proc is missing or another namespace's.
//  - In step 3, before the region mutex: the header's namespace is ours, go
//    on. Else, holding shared, it is found kOtherNamespace and handled as an
//    abandoned region is in step 4: release, try exclusive. Granted: nobody
//    is attached (all recorded processes are gone), so adopt -- clear the
//    slots (never judged by pid), record our namespace, join (a lock word
//    left by a dead holder is then an owner death, as always), downgrade.
//    Refused: back off and look again until the attach deadline, then kBusy
//    naming both namespaces. The header's namespace cannot change while we
//    hold shared, so what a joiner checked stays true while it is attached.
//
// THE MODEL. models/lifecycle.pml is this protocol (Attach, Detach and
// non-force Remove, as the code does them) in SPIN; ci/model-check searches
// it exhaustively (3 processes, up to 2 deaths at any step, file and stub
// backends, Linux OFD lock semantics; PNS=1: two pid namespaces, the rule
// above): one region under one name (every
// attached process's file is the one the name names), attach only to a
// complete, linked header, a dead creator never wedges the name, a destroy
// never hits an attached region, no deadlock, a mutex taken over only from
// a dead holder -- and --old shows the
// counterexamples of the round-1 protocol. It found one race in the code as
// it was: between a creator's O_EXCL create and its exclusive try, an attach
// that may not create (a non-force Remove, osport lock/grow/panic/recover)
// could unlink the 0-byte file as abandoned (step 4), and the creator then
// initialised an unlinked region while the next create made a second one.
// Hence step 1's name check (model: FIX=1; test: NewFileRaceTest).
// Change this comment, the code and the model together.
#ifndef OSPORT_REGION_LIVENESS_H_
#define OSPORT_REGION_LIVENESS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "os/file.h"

namespace osport::region {

// The liveness byte: far past any region's data (OSPORT_REGIONSIZE_MAX is
// far below 2^62), so it never overlaps bytes anyone reads or writes.
inline constexpr std::uint64_t kLivenessOffset = std::uint64_t{1} << 62;
// The byte a forced removal holds exclusively (see "Remove (force)" above).
inline constexpr std::uint64_t kForceRemoverOffset = kLivenessOffset + 1;

// This process's hold on one file's liveness byte (or, for a forced
// removal, the remover byte: same locking, another byte).
class Liveness {
 public:
  enum class Held : std::uint8_t { kNone, kShared, kExclusive };

  explicit Liveness(std::uint64_t offset = kLivenessOffset) : offset_(offset) {}

  [[nodiscard]] Held held() const { return held_; }

  // Tries to hold `kind` without waiting. Where the platform cannot convert
  // a held lock in place (Win32), a lock of the other kind is released first,
  // so after a refusal nothing is held there; elsewhere the old lock stays.
  [[nodiscard]] absl::StatusOr<bool> Try(os::File& file, os::RangeLock kind);

  // Tries until `deadline`, a point on os::MonotonicNow's clock, backing off
  // (1 ms doubling to 32 ms, jittered by pid so that two contenders do not
  // stay in step). false: timed out.
  [[nodiscard]] absl::StatusOr<bool> Wait(os::File& file, os::RangeLock kind, absl::Time deadline);

  // Releases what is held.
  [[nodiscard]] absl::Status Release(os::File& file);

  // The file was closed (the kernel dropped the lock) or this object was
  // inherited by fork: hold nothing, unlock nothing.
  void Forget() { held_ = Held::kNone; }

 private:
  std::uint64_t offset_;
  Held held_ = Held::kNone;
};

}  // namespace osport::region

#endif  // OSPORT_REGION_LIVENESS_H_
