// The attach of a region, step by step: the seed's __db_rattach made
// crash-safe by the protocol of region/liveness.h. Internal to region/:
// attach.cc (the tries, open, settle), create.cc (initialise, replace, stub),
// join.cc (validate and record a join).
#ifndef OSPORT_REGION_ATTACHER_H_
#define OSPORT_REGION_ATTACHER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "os/dir.h"
#include "os/file.h"
#include "os/map.h"
#include "os/process.h"
#include "region/options.h"
#include "region/region.h"
#include "region/token.h"

namespace osport::region {

inline os::ProcessIdentity Me() { return os::CurrentProcess(); }

// One attach: the state of a single try and the steps of __db_rattach.
class Attacher {
 public:
  Attacher(const RegionOptions& options, std::string path, os::Backend backend, std::uint64_t size)
      : o_(options), path_(std::move(path)), backend_(backend), size_(size) {}

  // Attaches: tries Once until it settles, backing off between tries.
  absl::StatusOr<Region> Run();

 private:
  // What a joiner found under the shared liveness lock. kOtherNamespace: a
  // valid region recorded for another pid namespace, to be adopted only by
  // a process alone with it (region/liveness.h, "Pid namespaces").
  enum class Found { kValid, kAbandoned, kMemoryGone, kOtherNamespace };

  // attach.cc
  // Heap or anonymous memory: one process, no file, nothing to join.
  absl::StatusOr<Region> AttachPrivate();
  // Every error names the region: OS errors get "attach region NAME: " in
  // front, unless their message says which region already.
  absl::Status Named(const absl::Status& s) const;
  absl::Status OpenFile(Region& r, bool* created, bool* retry, std::string* why);
  absl::Status Explain(const absl::Status& s);
  // One try of __db_rattach, by the protocol of region/liveness.h. OK +
  // !retry: `r` is attached, locked, and holds the shared liveness lock.
  absl::Status Once(Region& r, bool* retry, std::string* why);
  // After a failed try that created the file (O_EXCL) but never began to
  // initialise it: unlinks it if this process is alone with it and it is
  // still empty and named (as an abandoned file would be); else leaves it.
  void DiscardEmptyCreation(Region& r);
  absl::Status TimedOut(const std::string& what) const;
  // Steps 1-5 of the protocol: create, join, or replace an abandoned region.
  absl::Status Settle(Region& r, bool fresh, bool* initialising, bool* retry, std::string* why);
  // Exclusive -> shared once the region is complete (in place where the
  // platform converts locks; Win32 releases and takes shared, waiting out
  // anyone who took exclusive in between: they find a valid header).
  absl::Status Downgrade(Region& r);
  // Step 5 refused: names the live attachers the stub's slots list.
  absl::Status MemoryGoneUnderAttachers(const std::string& why,
                                        const std::vector<std::uint32_t>& pids) const;

  // create.cc
  // Fills a new region's header, locked, magic last.
  absl::Status Initialise(Region& r);
  absl::Status CreateAndPublish(Region& r);
  // Removes the system memory an abandoned stub names, if it names any, and
  // memory whose creator died before recording it (derived from the stub).
  // An error means memory may remain that only this stub leads to: the
  // caller keeps the stub as it is (memory that is not provably the
  // stub's, NotProvablyTheStubs, is left and is no error here).
  [[nodiscard]] absl::Status RemoveStaleMemory(Region& r);
  // Whether the abandoned file may be replaced or removed: osport's, or a
  // dead creator's remnant (MayBeOsportFile); else kNotARegion. Holding
  // exclusive, before anything is changed.
  absl::Status CheckReplaceable(Region& r);
  // Step 4: alone (exclusive) with an abandoned region that still has its
  // name: initialise it in place, or (a joiner that may not create) remove
  // it and say so, with `why` it was abandoned (a dead creator, memory gone).
  // The caller has removed its stale memory first (RemoveStaleMemory).
  absl::Status Replace(Region& r, const std::string& why);
  absl::Status Create(Region& r);
  // One making of named memory, its header and stub. *taken: another
  // process removed the new memory meanwhile (see create.cc); nothing of it
  // is kept or removed, and it may be made again.
  absl::Status CreateNamed(Region& r, bool* taken);
  // Whether the id the new region recorded still names its memory (the
  // same token), attached and detached again to look.
  absl::StatusOr<bool> StillNamed(Region& r);
  // The creation record, the first thing written to a new region's file
  // (a file region's first page; a stub's only one), in one write: the
  // format word, backend, flags, `system_id` and `size` (what finds the
  // memory) and the binding -- a token and this file's own identity, by
  // which MayBeOsportFile tells a creator's remnant from anyone's file --
  // with the magic 0.
  absl::Status WriteRecord(Region& r, std::uint64_t system_id, std::uint64_t size);
  // A stub's final form: a copy of the initialised memory header.
  absl::Status WriteStubCopy(Region& r);

  // join.cc
  // Step 3: look at the header while holding the shared (or exclusive)
  // liveness lock. kAbandoned / kMemoryGone in *found are not errors.
  absl::Status Join(Region& r, Found* found, bool* retry, std::string* why);
  // The size checks of a join: the header never claims more than exists.
  absl::Status CheckSize(Region& r, std::uint64_t map_size, bool named, bool* retry, std::string* why);
  // The region mutex, waited for until the attach deadline (never for ever).
  absl::Status LockBounded(Region& r);
  absl::Status JoinLocked(Region& r, std::uint64_t map_size, bool named, bool* retry, std::string* why);
  absl::Status Panicked();
  // pid_namespace.cc
  // Before the region mutex is touched: a region recorded for this pid
  // namespace is joined; one recorded for another is kOtherNamespace in
  // *found, or -- holding the exclusive liveness lock, alone with it --
  // adopted: recorded for this namespace, its attachment slots (all of
  // dead processes, the kernel says) cleared.
  absl::Status CheckPidNamespace(Region& r, Found* found);
  // kBusy after the attach deadline: attachers of another pid namespace.
  absl::Status OtherNamespaceAttached() const;

  const RegionOptions& o_;
  const std::string path_;
  const os::Backend backend_;
  const std::uint64_t size_;
  absl::Time deadline_;  // on os::MonotonicNow's clock
  // This process's pid namespace (os::CurrentPidNamespace), read once per
  // shared attach before anything is looked at.
  std::uint64_t pid_namespace_ = 0;
  // The namespace the region's header recorded when last looked at.
  std::uint64_t other_namespace_ = 0;
  // The user this process acts as (os::CurrentUser), read once per attach
  // for every trust check of it (region/trust_checks.h).
  std::string caller_;
  // The home, opened once per attach without links and checked
  // (region/trust_checks.h); moved into the Region that attaches.
  os::Dir home_;
  // The token and stub identity of the region being made (region/token.h).
  Binding binding_;
};

}  // namespace osport::region

#endif  // OSPORT_REGION_ATTACHER_H_
