// Region attach / detach / grow: the seed's __db_rattach and friends, on os/.
#include "region/region.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/error.h"
#include "os/process.h"
#include "os/thread.h"
#include "os/time.h"
#include "region/grow.h"
#include "region/liveness.h"

namespace osport::region {

using os::HasErrno;

static_assert(os::config::kRegionSizeMax < kLivenessOffset,
              "the liveness byte must lie past every byte of region data");

namespace {

os::ProcessIdentity Me() { return os::CurrentProcess(); }

// Removes the region's name, but only if `path` still names the file we
// opened. Callers hold the file's exclusive liveness lock: every process that
// removes or replaces a region file holds it, so between this check and the
// unlink nobody else can have replaced the file (region/liveness.h).
void UnlinkIfSame(os::File& file, const std::string& path) {
  absl::StatusOr<bool> same = os::IsSameFile(file, path);
  if (same.ok() && *same) (void)os::Unlink(path);
}

}  // namespace

// One attach: the state of a single try and the steps of __db_rattach.
class Attacher {
 public:
  Attacher(const RegionOptions& options, std::string path, os::Backend backend, std::uint64_t size)
      : o_(options), path_(std::move(path)), backend_(backend), size_(size) {}

  absl::StatusOr<Region> Run() {
    if (!os::BackendShared(backend_)) return AttachPrivate();
    deadline_ = absl::Now() + o_.attach_timeout;
    std::string why;
    for (int attempt = 0;; ++attempt) {
      Region r;
      bool retry = false;
      absl::Status s = Once(r, &retry, &why);
      if (s.ok() && !retry) return r;
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

 private:
  // Heap or anonymous memory: one process, no file, nothing to join.
  absl::StatusOr<Region> AttachPrivate() {
    Region r;
    r.options_ = o_;
    r.path_ = path_;
    absl::StatusOr<os::Mapping> m = os::MapPrivate(backend_, size_);
    if (!m.ok()) return Named(m.status());
    r.map_ = std::move(*m);
    if (absl::Status s = Initialise(r); !s.ok()) return Named(s);
    return r;
  }

  // Every error names the region: OS errors get "attach region NAME: " in
  // front, unless their message says which region already.
  absl::Status Named(const absl::Status& s) const {
    if (s.message().find("region " + o_.name) != absl::string_view::npos) return s;
    return os::Annotate(s, "attach region " + o_.name);
  }

  // Fills a new region's header, locked, magic last.
  absl::Status Initialise(Region& r) {
    RegionHeader& h = r.header();
    if (absl::Status s = h.mutex.Init(os::kRegionMutexKind, 0); !s.ok()) return s;
    if (absl::Status s = h.mutex.Lock(&r.file_); !s.ok()) return s;
    const os::ProcessIdentity me = Me();
    h.format = FormatWord();
    h.refcount = 0;
    h.panic.store(0, std::memory_order_relaxed);
    h.size.store(r.map_.size(), std::memory_order_relaxed);
    h.version = VersionWord();
    h.flags = (os::BackendNamed(backend_) ? kFlagNamed : 0) | (o_.private_region ? kFlagPrivate : 0);
    h.backend = static_cast<std::uint32_t>(backend_);
    h.mode = o_.mode;
    h.system_id = r.map_.system_id();
    h.creator_pid = me.pid;
    h.creator_start = me.start;
    h.attach_slots = kMaxAttachments;
    h.create_time = static_cast<std::uint64_t>(std::time(nullptr));
    std::memset(h.reserved, 0, sizeof h.reserved);
    std::memset(static_cast<void*>(h.attachments), 0, sizeof h.attachments);
    if (absl::Status s = AddAttachment(h, me.pid, me.start, o_.name); !s.ok()) return s;
    if (o_.prefault && r.map_.backend() != os::Backend::kFile) {
      // File regions were faulted in by GrowRegionFile's caller already.
      if (absl::Status s = os::Prefault(r.map_, 0, r.map_.size()); !s.ok()) return s;
    }
    r.created_ = true;
    h.magic.store(kRegionMagic, std::memory_order_release);
    return absl::OkStatus();
  }

  absl::Status OpenFile(Region& r, bool* created, bool* retry, std::string* why) {
    *created = false;
    const std::uint32_t nofollow = os::kOpenNoFollow;
    if (o_.create && !o_.private_region) {
      // Joins outnumber creates: open the region that is most likely there
      // (one open(2), not a failing exclusive create and then an open). Only
      // a missing file goes on to the creator election below, unchanged.
      absl::StatusOr<os::File> f = os::Open(path_, nofollow);
      if (f.ok()) {
        r.file_ = std::move(*f);
        return absl::OkStatus();
      }
      if (!HasErrno(f.status(), ENOENT)) return Explain(f.status());
    }
    if (o_.create) {
      absl::StatusOr<os::File> f =
          os::Open(path_, os::kOpenCreate | os::kOpenExclusive | nofollow, o_.mode);
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
    absl::StatusOr<os::File> f = os::Open(path_, nofollow);
    if (f.ok()) {
      r.file_ = std::move(*f);
      return absl::OkStatus();
    }
    if (HasErrno(f.status(), ENOENT)) {
      if (absl::Status home = CheckHome(o_); !home.ok()) return home;
      if (!o_.create) {
        return os::PortableError(absl::StatusCode::kNotFound, ENOENT,
                                 absl::StrFormat("region %s does not exist (%s)", o_.name, path_));
      }
      *retry = true;
      *why = "its file was removed while joining";
      return absl::OkStatus();
    }
    return Explain(f.status());
  }

  absl::Status Explain(const absl::Status& s) {
    // The home directory is checked only now that a path through it failed.
    if (HasErrno(s, ENOENT) || HasErrno(s, ENOTDIR)) {
      if (absl::Status home = CheckHome(o_); !home.ok()) return home;
    }
    if (HasErrno(s, ELOOP)) {
      return os::PortableError(absl::StatusCode::kInvalidArgument, ELOOP,
                               absl::StrFormat("region %s: %s is a symbolic link; region files are "
                                               "never followed through links",
                                               o_.name, path_));
    }
    return s;
  }

  // What a joiner found under the shared liveness lock.
  enum class Found { kValid, kAbandoned, kMemoryGone };

  // One try of __db_rattach, by the protocol of region/liveness.h. OK +
  // !retry: `r` is attached, locked, and holds the shared liveness lock.
  absl::Status Once(Region& r, bool* retry, std::string* why) {
    r.options_ = o_;
    r.path_ = path_;
    r.owner_pid_ = Me().pid;
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
      (void)r.map_.Unmap();
      if (initialising && r.live_.held() == Liveness::Held::kExclusive) {
        if (had_map && os::BackendNamed(mapped)) (void)os::RemoveSystemMemory(mapped, sysid);
        UnlinkIfSame(r.file_, path_);
      }
      r.live_.Forget();  // closing the file drops the lock
      (void)r.file_.Close();
    }
    return s;
  }

  absl::Status TimedOut(const std::string& what) const {
    return RegionError(RegionErrc::kNotReady,
                       absl::StrFormat("region %s: not ready within the attach timeout (%s): %s",
                                       o_.name, absl::FormatDuration(o_.attach_timeout), what));
  }

  // Steps 1-5 of the protocol: create, join, or replace an abandoned region.
  absl::Status Settle(Region& r, bool fresh, bool* initialising, bool* retry, std::string* why) {
    if (fresh) {
      absl::StatusOr<bool> got = r.live_.Try(r.file_, os::RangeLock::kExclusive);
      if (!got.ok()) return got.status();
      if (*got) {
        // Still empty? A joiner may have opened the new file before we
        // locked it, replaced it, and even detached again already.
        absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
        if (!info.ok()) return info.status();
        if (info->size() == 0) {
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
        if (absl::Now() >= deadline_) {
          if (found == Found::kMemoryGone) return MemoryGoneUnderAttachers(*why);
          return TimedOut(*why + "; other processes hold it");
        }
        if (absl::Status sl = os::Sleep(0, pause_us); !sl.ok()) return sl;
        pause_us = std::min<std::uint64_t>(pause_us * 2, 16000);
        continue;  // another joiner is looking too, or attachers hold it
      }
      absl::StatusOr<bool> same = os::IsSameFile(r.file_, path_);
      if (!same.ok()) return same.status();
      if (!*same) {
        *retry = true;
        *why = "it was removed while joining";
        return absl::OkStatus();
      }
      // Alone with the file that still has the name. Someone may have
      // initialised it between our release and our exclusive lock: look again.
      found = Found::kValid;
      s = Join(r, &found, retry, why);
      if (!s.ok() || *retry) return s;
      if (found == Found::kValid) return Downgrade(r);
      (void)r.map_.Unmap();
      *initialising = true;
      return Replace(r);
    }
  }

  // Exclusive -> shared once the region is complete (in place where the
  // platform converts locks; Win32 releases and takes shared, waiting out
  // anyone who took exclusive in between: they find a valid header).
  absl::Status Downgrade(Region& r) {
    absl::StatusOr<bool> got = r.live_.Wait(r.file_, os::RangeLock::kShared, deadline_);
    if (!got.ok()) return got.status();
    if (!*got) return TimedOut("could not take the shared liveness lock after initialising");
    return absl::OkStatus();
  }

  absl::Status CreateAndPublish(Region& r) {
    if (absl::Status s = Create(r); !s.ok()) return s;
    return Downgrade(r);
  }

  absl::Status MemoryGoneUnderAttachers(const std::string& why) const {
    return RegionError(RegionErrc::kBusy,
                       absl::StrFormat("region %s: its memory is gone (%s) but other processes still "
                                       "hold it attached (their liveness locks on %s are held); "
                                       "refusing to create a new region under them",
                                       o_.name, why, path_));
  }

  // Removes the system memory an abandoned stub names, if it names any, and
  // memory whose creator died before recording it (derived from the stub).
  void RemoveStaleMemory(Region& r) {
    if (os::BackendNamed(backend_)) (void)os::RemoveSystemMemoryOf(backend_, r.file_);
    alignas(8) std::byte buf[kHeaderSize];
    absl::StatusOr<std::uint64_t> pos = os::Seek(r.file_, 0, 0, 0, false, os::Whence::kSet);
    if (!pos.ok()) return;
    absl::StatusOr<std::size_t> n = os::Read(r.file_, buf);
    if (!n.ok() || *n != kHeaderSize) return;
    const auto* stub = reinterpret_cast<const RegionHeader*>(buf);
    const auto backend = static_cast<os::Backend>(stub->backend);
    if ((stub->flags & kFlagNamed) != 0 && os::BackendNamed(backend) &&
        os::BackendSupported(backend)) {
      (void)os::RemoveSystemMemory(backend, stub->system_id);
    }
  }

  // Step 4: alone (exclusive) with an abandoned region that still has its
  // name: initialise it in place, or (a joiner that may not create) remove it.
  absl::Status Replace(Region& r) {
    RemoveStaleMemory(r);
    if (!o_.create) {
      UnlinkIfSame(r.file_, path_);  // we hold exclusive: nobody can replace it meanwhile
      return os::PortableError(absl::StatusCode::kNotFound, ENOENT,
                               absl::StrFormat("region %s does not exist (%s was abandoned by a dead "
                                               "creator and is now removed)",
                                               o_.name, path_));
    }
    if (absl::Status s = os::Truncate(r.file_, 0); !s.ok()) return s;
    if (absl::StatusOr<std::uint64_t> pos = os::Seek(r.file_, 0, 0, 0, false, os::Whence::kSet); !pos.ok()) {
      return pos.status();
    }
    return CreateAndPublish(r);
  }

  absl::Status Create(Region& r) {
    if (os::BackendNamed(backend_)) {
      absl::StatusOr<os::Mapping> m = os::CreateSystemMemory(backend_, r.file_, size_, o_.mode);
      if (!m.ok()) return m.status();
      r.map_ = std::move(*m);
      // Record the id in the stub before the memory is written (magic still
      // 0), so whoever replaces an abandoned creation, or remove --force,
      // finds it. Before this point its name is derived from the stub.
      if (absl::Status s = WriteStub(r, /*complete=*/false); !s.ok()) return s;
    } else {
      if (absl::Status s = GrowRegionFile(r.file_, 0, size_); !s.ok()) return s;
      absl::StatusOr<os::Mapping> m = os::MapFile(r.file_, size_);
      if (!m.ok()) return m.status();
      r.map_ = std::move(*m);
      if (o_.prefault) {
        if (absl::Status s = os::Prefault(r.map_, 0, size_); !s.ok()) return s;
      }
      if (o_.private_region) r.remove_file_on_detach_ = true;
    }
    if (absl::Status s = Initialise(r); !s.ok()) return s;
    if (os::BackendNamed(backend_)) return WriteStub(r, /*complete=*/true);
    return absl::OkStatus();
  }

  // The stub holds exactly the header: complete, a copy of the initialised
  // header; otherwise only what finds the memory (backend, id, size), with
  // the magic 0. Seek first: a previous incarnation may have written it.
  absl::Status WriteStub(Region& r, bool complete) {
    alignas(8) std::byte buf[kHeaderSize] = {};
    const std::byte* bytes = buf;
    if (complete) {
      bytes = static_cast<const std::byte*>(r.map_.data());
    } else {
      auto* h = reinterpret_cast<RegionHeader*>(buf);
      h->flags = kFlagNamed;
      h->backend = static_cast<std::uint32_t>(backend_);
      h->system_id = r.map_.system_id();
      h->size.store(r.map_.size(), std::memory_order_relaxed);
    }
    absl::StatusOr<std::uint64_t> pos = os::Seek(r.file_, 0, 0, 0, false, os::Whence::kSet);
    if (!pos.ok()) return pos.status();
    return os::Write(r.file_, gsl::span<const std::byte>(bytes, kHeaderSize));
  }

  // Step 3: look at the header while holding the shared (or exclusive)
  // liveness lock. kAbandoned / kMemoryGone in *found are not errors.
  absl::Status Join(Region& r, Found* found, bool* retry, std::string* why) {
    auto abandoned = [&](Found what, std::string reason) {
      *found = what;
      *why = std::move(reason);
      return absl::OkStatus();
    };
    absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
    if (!info.ok()) return info.status();
    const std::uint64_t fsize = info->size();
    if (fsize < kHeaderSize) {
      return abandoned(Found::kAbandoned,
                       absl::StrFormat("its file has %u bytes and no live creator", fsize));
    }
    bool named = false;
    std::uint64_t map_size = fsize;
    if (fsize == kHeaderSize) {
      // A stub: the region lives in system memory named by the header.
      alignas(8) std::byte buf[kHeaderSize];
      absl::StatusOr<std::uint64_t> pos = os::Seek(r.file_, 0, 0, 0, false, os::Whence::kSet);
      if (!pos.ok()) return pos.status();
      absl::StatusOr<std::size_t> n = os::Read(r.file_, buf);
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
      absl::StatusOr<os::Mapping> m =
          os::AttachSystemMemory(stub_backend, r.file_, stub->system_id, map_size);
      if (!m.ok()) {
        if (!HasErrno(m.status(), EAGAIN)) return m.status();
        return abandoned(Found::kMemoryGone, std::string(m.status().message()));
      }
      r.map_ = std::move(*m);
      named = true;
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
    if (hh.panic.load(std::memory_order_acquire) != 0 && !o_.recover) return Panicked();

    absl::Status locked = hh.mutex.Lock(&r.file_);
    if (os::IsOwnerDead(locked)) {
      hh.panic.store(1, std::memory_order_release);
      if (o_.recover) locked = absl::OkStatus();  // joined to repair it: keep the lock
    }
    if (os::IsOwnerDead(locked)) {
      (void)hh.mutex.Unlock(&r.file_);
      return RegionError(RegionErrc::kOwnerDied,
                         absl::StrFormat("region %s: a process died holding the region lock; the "
                                         "region is now marked panicked (run recovery)",
                                         o_.name));
    }
    if (!locked.ok()) return locked;
    absl::Status s = JoinLocked(r, map_size, named, retry, why);
    if (!s.ok() || *retry) (void)hh.mutex.Unlock(&r.file_);
    return s;
  }

  // The size checks of a join: the header never claims more than exists.
  absl::Status CheckSize(Region& r, std::uint64_t map_size, bool named, bool* retry, std::string* why) {
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

  absl::Status JoinLocked(Region& r, std::uint64_t map_size, bool named, bool* retry, std::string* why) {
    RegionHeader& h = r.header();
    if (h.magic.load(std::memory_order_acquire) != kRegionMagic) {
      *retry = true;
      *why = "it was removed while waiting for its lock";
      return absl::OkStatus();
    }
    if (absl::Status s = CheckSize(r, map_size, named, retry, why); !s.ok() || *retry) return s;
    if (h.panic.load(std::memory_order_acquire) != 0 && !o_.recover) return Panicked();
    if (absl::Status s = CheckFields(h, map_size, o_.name); !s.ok()) return s;
    if (o_.size != 0 && !o_.size_is_default && RoundRegionSize(o_.size) > map_size) {
      return RegionError(RegionErrc::kTooSmall,
                         absl::StrFormat("region %s has %u bytes, fewer than the %u asked for",
                                         o_.name, map_size, RoundRegionSize(o_.size)));
    }
    RepairRefcount(h);
    ReconcileDead(h);
    const os::ProcessIdentity me = Me();
    return AddAttachment(h, me.pid, me.start, o_.name);
  }

  absl::Status Panicked() {
    return RegionError(RegionErrc::kRunRecovery,
                       absl::StrFormat("region %s is panicked: run recovery (attach with "
                                       "RegionOptions::recover, repair, Region::ClearPanic)",
                                       o_.name));
  }

  const RegionOptions& o_;
  const std::string path_;
  const os::Backend backend_;
  const std::uint64_t size_;
  absl::Time deadline_;
};

absl::StatusOr<Region> Region::Attach(const RegionOptions& options) {
  // The home directory is looked at only if opening through it fails.
  absl::StatusOr<std::string> path = RegionPathUnchecked(options);
  if (!path.ok()) return path.status();
  absl::StatusOr<os::Backend> backend = ResolveBackend(options);
  if (!backend.ok()) return backend.status();
  Attacher attacher(options, *path, *backend, RoundRegionSize(options.size));
  return attacher.Run();
}

Region::~Region() {
  if (attached()) (void)Detach();
}

Region::Region(Region&& other) noexcept
    : options_(std::move(other.options_)), path_(std::move(other.path_)),
      file_(std::move(other.file_)), map_(std::move(other.map_)), live_(other.live_),
      owner_pid_(other.owner_pid_), created_(other.created_),
      remove_file_on_detach_(other.remove_file_on_detach_) {
  other.live_.Forget();
}

Region& Region::operator=(Region&& other) noexcept {
  if (this != &other) {
    if (attached()) (void)Detach();
    options_ = std::move(other.options_);
    path_ = std::move(other.path_);
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
}

bool Region::Inherited() const { return owner_pid_ != 0 && owner_pid_ != Me().pid; }

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
  absl::Status locked = h.mutex.Lock(&file_);
  if (os::IsOwnerDead(locked)) {
    h.panic.store(1, std::memory_order_release);  // we hold it now; finish detaching
  } else if (HasErrno(locked, EDEADLK)) {
    // This thread still holds the lock (the caller never unlocked): fine.
  } else if (!locked.ok()) {
    Abandon();
    return os::Annotate(locked, "detach region " + options_.name);
  }
  const os::ProcessIdentity me = Me();
  RepairRefcount(h);
  absl::Status dropped = DropAttachment(h, me.pid, me.start, options_.name);
  ReconcileDead(h);
  const bool marked = (h.flags & kFlagRemoveOnDetach) != 0 || remove_file_on_detach_;
  const bool last = h.refcount == 0;
  bool destroy = false;
  if (marked && last) {
    // The table says we are the last; the kernel must agree: a joiner that
    // holds the shared lock but waits for the mutex we hold is not in the
    // table yet. Refused: it will find the mark, and its detach removes it.
    absl::StatusOr<bool> alone = live_.Try(file_, os::RangeLock::kExclusive);
    destroy = alone.ok() && *alone;
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
    if (os::BackendNamed(backend)) removed = os::RemoveSystemMemory(backend, sysid);
    absl::StatusOr<bool> same = os::IsSameFile(file_, path_);
    if (same.ok() && *same) {
      if (absl::Status s = os::Unlink(path_); !s.ok() && !HasErrno(s, ENOENT) && removed.ok()) removed = s;
    }
    if (destroyed != nullptr) *destroyed = true;
  }
  live_.Forget();
  absl::Status closed = file_.Close();
  if (!removed.ok()) return os::Annotate(removed, context);
  if (!dropped.ok()) return dropped;
  if (!unmapped.ok()) return os::Annotate(unmapped, context);
  if (!closed.ok()) return os::Annotate(closed, context);
  return absl::OkStatus();
}

absl::Status Region::Grow(std::uint64_t new_size) {
  if (!attached()) return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL, "region is not attached");
  if (map_.backend() != os::Backend::kFile) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL,
                             absl::StrFormat("region %s: only file-backed regions can grow (this "
                                             "one is %s)",
                                             options_.name, os::BackendName(map_.backend())));
  }
  const std::uint64_t target = RoundRegionSize(new_size);
  if (new_size > os::config::kRegionSizeMax || target > os::config::kRegionSizeMax) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrFormat("region %s: %u bytes exceeds the largest region this "
                                             "build allows, %u (OSPORT_REGIONSIZE_MAX)",
                                             options_.name, new_size, os::config::kRegionSizeMax));
  }
  const std::uint64_t old = map_.size();
  if (target < old) {
    return os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                             absl::StrFormat("region %s: cannot grow to %u bytes, it has %u",
                                             options_.name, target, old));
  }
  if (target == old) return absl::OkStatus();
  const os::MutexOwner owner = header().mutex.owner();
  if (!owner.held || owner.tid != os::CurrentThread().tid) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EPERM,
                             absl::StrFormat("region %s: Grow needs the region lock held", options_.name));
  }
  // The header's size is the region's size: it is stored last, and a grow
  // that fails cuts the file back, so a failed grow (ENOSPC, ENOMEM) leaves
  // the region as it was, and one that dies midway leaves the old size
  // (joiners map what the header says; region/liveness.h).
  if (absl::Status s = GrowRegionFile(file_, old, target); !s.ok()) {
    (void)os::Truncate(file_, old);
    return os::Annotate(s, "grow region " + options_.name);
  }
  if (absl::Status s = os::Remap(map_, file_, target); !s.ok()) {
    (void)os::Truncate(file_, old);  // Remap kept the old view
    return os::Annotate(s, "grow region " + options_.name);
  }
  if (options_.prefault) {
    if (absl::Status s = os::Prefault(map_, old, target - old); !s.ok()) return s;
  }
  header().size.store(target, std::memory_order_release);
  return absl::OkStatus();
}

bool Region::NeedsRemap() const {
  return attached() && header().size.load(std::memory_order_acquire) != map_.size();
}

absl::Status Region::Remap() {
  if (!attached()) return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL, "region is not attached");
  const std::uint64_t want = header().size.load(std::memory_order_acquire);
  if (want == map_.size()) return absl::OkStatus();
  if (map_.backend() != os::Backend::kFile || want < map_.size() || want % kHeaderSize != 0) {
    return RegionError(RegionErrc::kCorrupt,
                       absl::StrFormat("region %s: header size %u cannot replace the mapped %u",
                                       options_.name, want, map_.size()));
  }
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(file_);
  if (!info.ok()) return info.status();
  if (info->size() < want) {
    return RegionError(RegionErrc::kTruncated,
                       absl::StrFormat("region %s: header says %u bytes but the file has only %u",
                                       options_.name, want, info->size()));
  }
  return os::Remap(map_, file_, want);
}

}  // namespace osport::region
