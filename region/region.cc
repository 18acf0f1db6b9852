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

namespace osport::region {

using os::HasErrno;

namespace {

os::ProcessIdentity Me() { return os::CurrentProcess(); }

// Removes a stale file, but only if `path` still names the file we opened:
// another process may already have replaced it with a fresh region.
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
    if (HasErrno(s, ELOOP)) {
      return os::PortableError(absl::StatusCode::kInvalidArgument, ELOOP,
                               absl::StrFormat("region %s: %s is a symbolic link; region files are "
                                               "never followed through links",
                                               o_.name, path_));
    }
    return s;
  }

  // One try of __db_rattach. OK + !retry: `r` is attached and locked.
  absl::Status Once(Region& r, bool* retry, std::string* why) {
    r.options_ = o_;
    r.path_ = path_;
    bool created = false;
    if (absl::Status s = OpenFile(r, &created, retry, why); !s.ok() || *retry) return s;
    absl::Status s = created ? Create(r) : Join(r, retry, why);
    if (!s.ok() || *retry) {
      // Discard what this try made: the mapping, system memory and file we
      // created, never anything another process made.
      const std::uint64_t sysid = r.map_.system_id();
      const os::Backend mapped = r.map_.backend();
      const bool had_map = r.map_.mapped();
      (void)r.map_.Unmap();
      if (created) {
        if (had_map && os::BackendNamed(mapped)) (void)os::RemoveSystemMemory(mapped, sysid);
        UnlinkIfSame(r.file_, path_);
      }
      (void)r.file_.Close();
    }
    return s;
  }

  absl::Status Create(Region& r) {
    if (os::BackendNamed(backend_)) {
      absl::StatusOr<os::Mapping> m = os::CreateSystemMemory(backend_, r.file_, size_, o_.mode);
      if (!m.ok()) return m.status();
      r.map_ = std::move(*m);
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
    if (os::BackendNamed(backend_)) {
      // The stub holds exactly the header. Seek first: under the Win95 rule a
      // previous incarnation may have written this file already.
      absl::StatusOr<std::uint64_t> pos = os::Seek(r.file_, 0, 0, 0, false, os::Whence::kSet);
      if (!pos.ok()) return pos.status();
      const auto* bytes = static_cast<const std::byte*>(r.map_.data());
      if (absl::Status s = os::Write(r.file_, gsl::span<const std::byte>(bytes, kHeaderSize)); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Join(Region& r, bool* retry, std::string* why) {
    auto again = [&](std::string reason) {
      *retry = true;
      *why = std::move(reason);
      return absl::OkStatus();
    };
    absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
    if (!info.ok()) return info.status();
    const std::uint64_t fsize = info->size();
    if (fsize < kHeaderSize) return again(absl::StrFormat("its file has %u bytes: not initialised yet", fsize));
    bool named = false;
    std::uint64_t map_size = fsize;
    if (fsize == kHeaderSize) {
      // A stub: the region lives in system memory named by the header.
      alignas(8) std::byte buf[kHeaderSize];
      absl::StatusOr<std::size_t> n = os::Read(r.file_, buf);
      if (!n.ok()) return n.status();
      if (*n != kHeaderSize) return again("its stub is still being written");
      const auto* stub = reinterpret_cast<const RegionHeader*>(buf);
      const std::uint32_t magic = stub->magic.load(std::memory_order_relaxed);
      if (magic == 0) return again("its stub is not written yet");
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
        UnlinkIfSame(r.file_, path_);  // the seed's EAGAIN path: a stale stub
        return again(std::string(m.status().message()));
      }
      r.map_ = std::move(*m);
      named = true;
    } else {
      absl::StatusOr<os::Mapping> m = os::MapFile(r.file_, fsize);
      if (!m.ok()) return m.status();
      r.map_ = std::move(*m);
    }
    RegionHeader& h = r.header();
    const std::uint32_t magic = h.magic.load(std::memory_order_acquire);
    if (magic == 0) {
      if (named && os::config::kZeroOnLastClose) {
        // The Win95 rule: its last user released the memory. The stub is
        // stale; whoever finds it removes both and starts over.
        (void)os::RemoveSystemMemory(r.map_.backend(), r.map_.system_id());
        UnlinkIfSame(r.file_, path_);
        return again("its memory was released by its last user (zero on last close)");
      }
      return again("its header is not initialised yet");
    }
    if (absl::Status s = CheckMagicAndFormat(magic, h.format, o_.name); !s.ok()) return s;
    if (absl::Status s = CheckSize(r, map_size, named, retry, why); !s.ok() || *retry) return s;
    if (h.panic.load(std::memory_order_acquire) != 0) return Panicked();

    absl::Status locked = h.mutex.Lock(&r.file_);
    if (os::IsOwnerDead(locked)) {
      h.panic.store(1, std::memory_order_release);
      (void)h.mutex.Unlock(&r.file_);
      return RegionError(RegionErrc::kOwnerDied,
                         absl::StrFormat("region %s: a process died holding the region lock; the "
                                         "region is now marked panicked (run recovery)",
                                         o_.name));
    }
    if (!locked.ok()) return locked;
    absl::Status s = JoinLocked(r, map_size, named, retry, why);
    if (!s.ok() || *retry) (void)h.mutex.Unlock(&r.file_);
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
    if (h.panic.load(std::memory_order_acquire) != 0) return Panicked();
    if (absl::Status s = CheckFields(h, map_size, o_.name); !s.ok()) return s;
    if (o_.size != 0 && !o_.size_is_default && RoundRegionSize(o_.size) > map_size) {
      return RegionError(RegionErrc::kTooSmall,
                         absl::StrFormat("region %s has %u bytes, fewer than the %u asked for",
                                         o_.name, map_size, RoundRegionSize(o_.size)));
    }
    ReconcileDead(h);
    const os::ProcessIdentity me = Me();
    return AddAttachment(h, me.pid, me.start, o_.name);
  }

  absl::Status Panicked() {
    return RegionError(RegionErrc::kRunRecovery,
                       absl::StrFormat("region %s is panicked: run recovery (remove it with force "
                                       "and recreate)",
                                       o_.name));
  }

  const RegionOptions& o_;
  const std::string path_;
  const os::Backend backend_;
  const std::uint64_t size_;
};

absl::StatusOr<Region> Region::Attach(const RegionOptions& options) {
  absl::StatusOr<std::string> path = RegionPath(options);
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
      file_(std::move(other.file_)), map_(std::move(other.map_)), created_(other.created_),
      remove_file_on_detach_(other.remove_file_on_detach_) {}

Region& Region::operator=(Region&& other) noexcept {
  if (this != &other) {
    if (attached()) (void)Detach();
    options_ = std::move(other.options_);
    path_ = std::move(other.path_);
    file_ = std::move(other.file_);
    map_ = std::move(other.map_);
    created_ = other.created_;
    remove_file_on_detach_ = other.remove_file_on_detach_;
  }
  return *this;
}

void* Region::data() const { return static_cast<std::byte*>(map_.data()) + kHeaderSize; }

std::uint64_t Region::data_size() const { return map_.size() - kHeaderSize; }

absl::Status Region::Lock() {
  if (!attached()) return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL, "region is not attached");
  return header().mutex.Lock(&file_);
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
  (void)file_.Close();
}

absl::Status Region::Detach() {
  if (!attached()) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, EINVAL,
                             absl::StrFormat("region %s is not attached", options_.name));
  }
  if (!os::BackendShared(map_.backend())) {
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
  absl::Status dropped = DropAttachment(h, me.pid, me.start, options_.name);
  ReconcileDead(h);
  const bool marked = (h.flags & kFlagRemoveOnDetach) != 0 || remove_file_on_detach_;
  const bool last = h.refcount == 0;
  const std::uint32_t others = h.refcount;
  const bool destroy = marked && last;
  if (destroy) {
    h.magic.store(0, std::memory_order_release);  // joiners waiting for the lock retry
  } else if (last) {
    os::ReleaseLastUser(map_, sizeof(os::Mutex));
  }
  (void)h.mutex.Unlock(&file_);
  const os::Backend backend = map_.backend();
  const std::uint64_t sysid = map_.system_id();
  absl::Status unmapped = map_.Unmap();
  absl::Status closed = file_.Close();
  const std::string context = "detach region " + options_.name;
  if (destroy) {
    if (os::BackendNamed(backend)) {
      if (absl::Status s = os::RemoveSystemMemory(backend, sysid); !s.ok()) {
        return os::Annotate(s, context);
      }
    }
    if (absl::Status s = os::Unlink(path_); !s.ok() && !HasErrno(s, ENOENT)) {
      return os::Annotate(s, context);
    }
  }
  if (!dropped.ok()) return dropped;
  if (!unmapped.ok()) return os::Annotate(unmapped, context);
  if (!closed.ok()) return os::Annotate(closed, context);
  if (marked && !last) {
    return RegionError(RegionErrc::kBusy,
                       absl::StrFormat("region %s is marked for removal but %u other attachment(s) "
                                       "remain; the last to detach removes it",
                                       options_.name, others));
  }
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
  if (absl::Status s = GrowRegionFile(file_, old, target); !s.ok()) {
    return os::Annotate(s, "grow region " + options_.name);
  }
  if (absl::Status s = os::Remap(map_, file_, target); !s.ok()) {
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
