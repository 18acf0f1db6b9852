// Attach: the tries of __db_rattach, opening the file, and settling who
// creates, joins or replaces (the protocol is in region/liveness.h).
#include "region/attacher.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/process.h"
#include "os/thread.h"
#include "os/time.h"
#include "region/grow.h"
#include "region/liveness.h"
#include "region/stub_slots.h"
#include "region/trust_checks.h"

namespace osport::region {

using os::HasErrno;

static_assert(os::config::kRegionSizeMax < kLivenessOffset,
              "the liveness byte must lie past every byte of region data");

absl::StatusOr<Region> Attacher::Run() {
  if (!os::CurrentProcessKnown(Me())) {
    // Recorded with start 0, our attachment would not be found by our own
    // detach once the stamp reads again (os/process.h). First, before
    // anything is looked at or made.
    return os::PortableError(absl::StatusCode::kUnavailable, EAGAIN,
                             absl::StrFormat("region %s: this process's start stamp could not be read "
                                             "just now; nothing was attached: retry",
                                             o_.name));
  }
  if (!os::BackendShared(backend_)) return AttachPrivate();
  deadline_ = os::MonotonicNow() + o_.attach_timeout;  // never moved by the wall clock (os/time.h)
  // Pids (the mutex owner, the attachment slots) mean something only in one
  // pid namespace, and only with this namespace's /proc: refused first.
  absl::StatusOr<std::uint64_t> ns = os::CurrentPidNamespace();
  if (!ns.ok()) return Named(ns.status());
  pid_namespace_ = *ns;
  absl::StatusOr<std::string> caller = os::CurrentUser();
  if (!caller.ok()) return Named(caller.status());
  caller_ = std::move(*caller);
  absl::StatusOr<os::Dir> home = OpenRegionHome(o_, caller_);
  if (!home.ok()) return home.status();
  home_ = std::move(*home);
  std::string why;
  for (int attempt = 0;; ++attempt) {
    Region r;
    bool retry = false;
    absl::Status s = Once(r, &retry, &why);
    if (s.ok() && !retry) {
      r.home_ = std::move(home_);
      return r;
    }
    if (!s.ok()) return Named(s);
    if (attempt >= o_.retry.attempts) break;
    // The seed slept 2, 4, 6 s: a growing back-off, bounded by attempts.
    const absl::Duration pause = o_.retry.backoff * (attempt + 1);
    const std::int64_t us = absl::ToInt64Microseconds(pause);
    if (absl::Status sl = os::Sleep(0, static_cast<std::uint64_t>(us)); !sl.ok()) return sl;
  }
  return RegionError(RegionErrc::kNotReady,
                     absl::StrFormat("region %s: not ready after %d attempts: %s", o_.name,
                                     o_.retry.attempts + 1, why));
}

absl::StatusOr<Region> Attacher::AttachPrivate() {
  Region r;
  r.options_ = o_;
  r.path_ = path_;
  absl::StatusOr<os::Mapping> m = os::MapPrivate(backend_, size_);
  if (!m.ok()) return Named(m.status());
  r.map_ = std::move(*m);
  if (absl::Status s = Initialise(r); !s.ok()) return Named(s);
  return r;
}

absl::Status Attacher::Named(const absl::Status& s) const {
  if (s.message().find("region " + o_.name) != absl::string_view::npos) return s;
  return os::Annotate(s, "attach region " + o_.name);
}

absl::Status Attacher::OpenFile(Region& r, bool* created, bool* retry, std::string* why) {
  *created = false;
  // Every open is relative to the home opened once without links, and an
  // existing file is checked (owner, type, links, mode) before it is read.
  if (o_.create && !o_.private_region) {
    // Joins outnumber creates: open the region that is most likely there
    // (one open(2), not a failing exclusive create and then an open). Only
    // a missing file goes on to the creator election below, unchanged.
    absl::StatusOr<os::File> f = OpenRegionFile(home_, o_, caller_, /*read_only=*/false, o_.mode);
    if (f.ok()) {
      r.file_ = std::move(*f);
      return absl::OkStatus();
    }
    if (!HasErrno(f.status(), ENOENT)) return Explain(f.status());
  }
  if (o_.create) {
    absl::StatusOr<os::File> f =
        os::OpenAt(home_, o_.name, os::kOpenCreate | os::kOpenExclusive | os::kOpenReleaseInForkedChild, o_.mode);
    if (f.ok()) {
      r.file_ = std::move(*f);
      *created = true;
      return absl::OkStatus();
    }
    if (!HasErrno(f.status(), EEXIST)) return Explain(f.status());
    if (o_.private_region) {
      return os::PortableError(absl::StatusCode::kAlreadyExists, EEXIST,
                               absl::StrFormat("region %s: a private region's file %s already "
                                               "exists",
                                               o_.name, path_));
    }
  }
  absl::StatusOr<os::File> f = OpenRegionFile(home_, o_, caller_, /*read_only=*/false, o_.mode);
  if (f.ok()) {
    r.file_ = std::move(*f);
    return absl::OkStatus();
  }
  if (HasErrno(f.status(), ENOENT)) {
    if (!o_.create) return f.status();
    *retry = true;
    *why = "its file was removed while joining";
    return absl::OkStatus();
  }
  return Explain(f.status());
}

absl::Status Attacher::Explain(const absl::Status& s) {
  // A link at the region's name is refused by OpenTrusted as untrusted
  // (ELOOP); its message already says "symbolic link".
  if (HasErrno(s, ELOOP) && !os::IsUntrusted(s)) {
    return os::UntrustedError(ELOOP, path_, "is a symbolic link; region files are never followed "
                                            "through links");
  }
  return s;
}

absl::Status Attacher::Once(Region& r, bool* retry, std::string* why) {
  r.options_ = o_;
  r.path_ = path_;
  r.owner_ = Me();
  bool created = false;
  if (absl::Status s = OpenFile(r, &created, retry, why); !s.ok() || *retry) return s;
  bool initialising = false;
  absl::Status s = Settle(r, created, &initialising, retry, why);
  if (!s.ok() || *retry) {
    // Discard what this try made. Only an initialiser, and only while it
    // still holds the exclusive lock (nobody else is attached, and nobody
    // else can replace or remove the file meanwhile), removes the memory
    // it made and the file; never anything another process made.
    const std::uint64_t sysid = r.map_.system_id();
    const os::Backend mapped = r.map_.backend();
    const bool had_map = r.map_.mapped();
    // Never leave with the region mutex held: a lock word naming this
    // live thread would make its next attach EDEADLK (a failed check
    // after locking; Downgrade drops the slot it recorded itself).
    if (r.LockHeld()) (void)r.header().mutex.Unlock(&r.file_);
    const bool discard = initialising && r.live_.held() == Liveness::Held::kExclusive;
    if (discard && had_map) {
      // As a destroy does (region/detach.cc): the magic goes before the
      // name. A joiner that opened the file before the unlink and waits for
      // its shared lock must find no region in it when it gets the lock, or
      // it joins a file no name leads to while the next create makes
      // another region under the name (models/lifecycle.pml, FAILS=1: a
      // failed Downgrade after the magic was written).
      r.header().magic.store(0, std::memory_order_release);
    }
    (void)r.map_.Unmap();
    if (discard) {
      if (had_map && os::BackendNamed(mapped)) (void)os::RemoveSystemMemory(mapped, sysid);
      (void)UnlinkIfSameAt(home_, o_.name, r.file_);
    } else if (created) {
      DiscardEmptyCreation(r);
    }
    r.live_.Forget();  // closing the file drops the lock
    (void)r.file_.Close();
  }
  return s;
}

void Attacher::DiscardEmptyCreation(Region& r) {
  // Our O_EXCL file, failed before it was initialised (its lock or a check
  // before it failed): removed only as an abandoned one is, alone with it
  // (exclusive) and still empty -- a joiner that got to it first may have
  // made a region in it -- and only if the name is still this file. Else
  // it stays, and the next attach finds it abandoned.
  absl::StatusOr<bool> alone = r.live_.Try(r.file_, os::RangeLock::kExclusive);
  if (!alone.ok() || !*alone) return;
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
  if (info.ok() && info->size() == 0) (void)UnlinkIfSameAt(home_, o_.name, r.file_);
}

absl::Status Attacher::TimedOut(const std::string& what) const {
  return RegionError(RegionErrc::kNotReady,
                     absl::StrFormat("region %s: not ready within the attach timeout (%s): %s",
                                     o_.name, absl::FormatDuration(o_.attach_timeout), what));
}

absl::Status Attacher::Settle(Region& r, bool fresh, bool* initialising, bool* retry, std::string* why) {
  // Whether the file lost its name (it was destroyed, or destroyed and
  // made again, while we joined): then the caller starts again from the name.
  auto lost_name = [&]() -> absl::StatusOr<bool> {
    absl::StatusOr<bool> same = SameFileAt(home_, o_.name, r.file_);
    if (!same.ok()) return same.status();
    if (!*same) {
      *retry = true;
      *why = "it was removed while joining";
    }
    return !*same;
  };
  if (fresh) {
    absl::StatusOr<bool> got = r.live_.Try(r.file_, os::RangeLock::kExclusive);
    if (!got.ok()) return got.status();
    if (*got) {
      // Still empty? A joiner may have opened the new file before we
      // locked it, replaced it, and even detached again already.
      absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
      if (!info.ok()) return info.status();
      if (info->size() == 0) {
        // Still named? Between our O_EXCL create and this lock an attach
        // that may not create (a non-force remove, osport lock) can find
        // the empty file with no creator lock and unlink it as abandoned;
        // initialising it then would make a region nobody can reach while
        // the next create makes another (found by models/lifecycle.pml).
        absl::StatusOr<bool> lost = lost_name();
        if (!lost.ok()) return lost.status();
        if (*lost) return absl::OkStatus();
        *initialising = true;
        return CreateAndPublish(r);
      }
    }
    // A joiner got to the new file before us: go on as a joiner (a held
    // exclusive lock is converted to shared below).
  }
  std::uint64_t pause_us = 500 + Me().pid % 1024;
  for (;;) {
    absl::StatusOr<bool> shared = r.live_.Wait(r.file_, os::RangeLock::kShared, deadline_);
    if (!shared.ok()) return shared.status();
    if (!*shared) return TimedOut("another process holds it exclusively (creating, replacing or removing it)");
    Found found = Found::kValid;
    absl::Status s = Join(r, &found, retry, why);
    if (!s.ok() || *retry || found == Found::kValid) return s;
    // Holding shared, so nobody is initialising: the region was abandoned
    // by a dead creator, destroyed, or its memory vanished. Only a process
    // alone with it may act.
    (void)r.map_.Unmap();
    if (absl::Status rs = r.live_.Release(r.file_); !rs.ok()) return rs;
    absl::StatusOr<bool> alone = r.live_.Try(r.file_, os::RangeLock::kExclusive);
    if (!alone.ok()) return alone.status();
    if (!*alone) {
      if (found == Found::kMemoryGone) {
        // A stub that lost its name was destroyed while we joined (its
        // remover unlinked it after removing the memory): the others holding
        // it are joiners that raced in too. Start again from the name.
        absl::StatusOr<bool> lost = lost_name();
        if (!lost.ok()) return lost.status();
        if (*lost) return absl::OkStatus();
        // Attachers whose slots the stub keeps are alive and hold shared:
        // refuse now, naming them. Else it may be a joiner looking too.
        const std::vector<std::uint32_t> pids = LiveStubAttachers(r.file_, Me());
        if (!pids.empty()) return MemoryGoneUnderAttachers(*why, pids);
      }
      if (os::MonotonicNow() >= deadline_) {
        if (found == Found::kMemoryGone) return MemoryGoneUnderAttachers(*why, {});
        if (found == Found::kOtherNamespace) return OtherNamespaceAttached();
        return TimedOut(*why + "; other processes hold it");
      }
      if (absl::Status sl = os::Sleep(0, pause_us); !sl.ok()) return sl;
      pause_us = std::min<std::uint64_t>(pause_us * 2, 16000);
      continue;  // another joiner is looking too, or attachers hold it
    }
    absl::StatusOr<bool> lost = lost_name();
    if (!lost.ok()) return lost.status();
    if (*lost) return absl::OkStatus();
    // Alone with the file that still has the name. Someone may have
    // initialised it between our release and our exclusive lock: look again.
    found = Found::kValid;
    s = Join(r, &found, retry, why);
    if (!s.ok() || *retry) return s;
    if (found == Found::kValid) return Downgrade(r);  // perhaps adopted (pid_namespace.cc)
    (void)r.map_.Unmap();
    // Not before these: an error while initialising removes the file, and
    // until the stale memory is gone the stub is the only way back to it.
    if (absl::Status c = CheckReplaceable(r); !c.ok()) return c;
    if (absl::Status m = RemoveStaleMemory(r); !m.ok()) return m;
    *initialising = true;
    return Replace(r, *why);
  }
}

absl::Status Attacher::Downgrade(Region& r) {
  absl::StatusOr<bool> got = r.live_.Wait(r.file_, os::RangeLock::kShared, deadline_);
  absl::Status s = !got.ok() ? got.status()
                   : *got    ? absl::OkStatus()
                             : TimedOut("could not take the shared liveness lock after initialising");
  if (!s.ok() && r.LockHeld()) {
    // Our attachment is recorded and the region published; Win32 released
    // the exclusive lock before asking for the shared one, so others may be
    // attached by now and the initialiser's clean-up (file and memory
    // removed under exclusive) does not apply: leave as a detaching
    // attacher would -- our slot dropped, the mutex unlocked (found by the
    // error sweep in the Wine cell: the next attach got EDEADLK).
    // The stub's copy of our slot goes too, as in Detach: the memory of a
    // named region lives on only while others hold it, and a stub naming
    // us would call us attached (found by the error sweep in the Wine cell,
    // pagingfile: Downgrade's unlock failing).
    const os::ProcessIdentity me = Me();
    RegionHeader& h = r.header();
    const int slot = FindSlot(h, me);
    (void)DropAttachment(h, me.pid, me.start, o_.name);
    if ((h.flags & kFlagNamed) != 0 && slot >= 0 && h.attachments[slot].pid == 0) {
      (void)CopySlotToStub(r.file_, h, slot);
    }
    (void)h.mutex.Unlock(&r.file_);
  }
  return s;
}

absl::Status Attacher::MemoryGoneUnderAttachers(const std::string& why,
                                                const std::vector<std::uint32_t>& pids) const {
  // The pids come from the stub's slots: the kernel will not say who holds
  // an OFD or LockFileEx lock (region/stub_slots.h).
  const std::string who =
      pids.empty() ? std::string("other processes (not named in the stub) still hold")
      : pids.size() == 1 ? absl::StrCat("process ", pids[0], " still holds")
                         : absl::StrCat("processes ", absl::StrJoin(pids, ", "), " still hold");
  return RegionError(RegionErrc::kBusy,
                     absl::StrFormat("region %s: its memory is gone (%s) but %s it "
                                     "attached (their liveness locks on %s are held); refusing to "
                                     "create a new region under them",
                                     o_.name, why, who, path_));
}

absl::StatusOr<Region> Region::Attach(const RegionOptions& options) {
  absl::StatusOr<std::string> path = RegionPathUnchecked(options);
  if (!path.ok()) return path.status();
  absl::StatusOr<os::Backend> backend = ResolveBackend(options);
  if (!backend.ok()) return backend.status();
  Attacher attacher(options, *path, *backend, RoundRegionSize(options.size));
  return attacher.Run();
}

}  // namespace osport::region
