// Implements os/map.h on POSIX: mmap of files and anonymous memory, SysV
// shmget/shmat, and POSIX shm_open under short names.
#include "os/map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "os/config.h"
#include "os/error.h"
#include "os/internal/map_platform.h"
#include "os/posix/error.h"
#include "os/posix/shm_name.h"
#include "os/posix/shm_object.h"
#include "os/posix/sys.h"
#include "os/posix/sys_map.h"
#include "os/trust.h"

namespace osport::os {

namespace sys = posix::sys;
using posix::ErrnoStatus;
using posix::NotARegularShmObject;
using posix::ShmName;
using posix::ShmOpenError;

namespace {

// MADV_POPULATE_WRITE (Linux 5.14) populates writable pages without touching
// them; older kernels say EINVAL, and builds without it (OSPORT_HAVE_*), get
// the touch loop.
#if OSPORT_HAVE_MADV_POPULATE_WRITE
constexpr bool kHavePopulateWrite = true;
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else
constexpr bool kHavePopulateWrite = false;
constexpr int kPopulateWrite = 0;
#endif
// SHM_DEST (Linux, FreeBSD) marks a removed SysV segment that lingers while
// attached; POSIX and macOS have no such mark.
#ifdef SHM_DEST
constexpr unsigned kShmDest = SHM_DEST;
#else
constexpr unsigned kShmDest = 0;
#endif

std::size_t PageSize() {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

absl::Status Gone(absl::string_view what) {
  return internal::MemoryGone(what, "removed, or lost in a reboot");
}

absl::StatusOr<std::uint64_t> FileSize(int fd, absl::string_view path) {
  std::uint64_t size = 0;
  std::uint32_t blksize = 0;
  if (sys::FstatSize(fd, &size, &blksize) != 0) return ErrnoStatus("fstat", path, errno);
  return size;
}

absl::StatusOr<void*> MapShared(int fd, std::uint64_t size, absl::string_view path,
                                bool read_only = false) {
  void* addr = sys::Mmap(nullptr, static_cast<std::size_t>(size),
                         read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return ErrnoStatus("mmap", path, errno);
  return addr;
}

// A file mapping holds the open file description it was made through, and
// fork() shares descriptions: mapped through the caller's descriptor, the
// mapping would keep that descriptor's OFD locks (a region's liveness lock,
// region/liveness.h) alive in every forked child for as long as the child
// keeps the mapping -- after the parent died (review 10). So where range
// locks are per open file and /proc can reopen a descriptor, the mapping gets
// a description of its own: /proc/self/fd/N opened anew (a new description
// of the same file, permissions checked again), mapped, closed. Without /proc
// (ENOENT) the caller's descriptor is mapped: the fork caveat then applies
// (os::ReleaseInForkedChild, os/file.h).
absl::StatusOr<void*> MapSharedFile(int fd, std::uint64_t size, absl::string_view path) {
  if (!OSPORT_HAVE_PROC_IDENTITY || !RangeLocksPerOpenFile()) return MapShared(fd, size, path);
  const std::string self = absl::StrCat("/proc/self/fd/", fd);
  int own = -1;
  do {
    own = sys::Open(self.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY, 0);
  } while (own < 0 && errno == EINTR);
  if (own < 0) {
    const int err = errno;
    if (err == ENOENT) return MapShared(fd, size, path);
    return ErrnoStatus(absl::StrCat("open ", self, " (the mapping's own open file, so that forked "
                                    "children keep no lock of this process)"),
                       path, err);
  }
  absl::StatusOr<void*> addr = MapShared(own, size, path);
  (void)sys::Close(own);  // the mapping keeps the description; an error here loses nothing
  return addr;
}

// Derived names. System memory is named from its stub's identity (device
// and inode), PostgreSQL-style, so memory whose creator died before the stub
// recorded its id is found again: by the next initialiser of the stub (which
// holds the stub's exclusive liveness lock, region/liveness.h) and by
// `remove --force` (RemoveSystemMemoryOf). Candidate i of kCandidates is
// tried in turn. A candidate taken by memory that is attached or was ever
// written belongs to another region (a hash collision): the next one is
// tried. Taken by unattached memory that was never written (its first page
// is all zeros, as the system hands it out): an abandoned creation of this
// stub; it is removed and the name reused -- but only when the stub's owner
// both owns and made it: another user's memory under the name is never
// used or removed (it may be a trap planted at a predictable name); only its
// first page is read, read-only, to tell. Another user's memory that looks
// abandoned is named in RemoveSystemMemoryOf's result; memory in use is
// another region's (an inode reused after a stub was removed) either way.
constexpr int kCandidates = 8;

std::uint64_t Mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The stub's identity: the seed of the names derived from it, and its owner
// (memory under those names that another user owns or made is not this
// stub's: it is never used or removed, issue 12).
struct StubId {
  std::uint64_t seed = 0;
  uid_t owner = 0;
  std::uint64_t size = 0;
  // Memory a creator of this stub made is younger than the stub's last
  // modification (its creation, or the truncation that started a new
  // creation): memory older than that is another region's. In whole
  // seconds, and one second before that modification: see kClockSlack.
  std::int64_t not_before = 0;
};

// How much older than its stub a creation's memory may look. The two
// timestamps come from different clocks: a SysV segment's shm_ctime is the
// kernel's whole seconds as of its last tick (ktime_get_real_seconds), a
// file's mtime on a kernel with multigrain timestamps (Linux 6.13 and
// later) may be a fine-grained time up to a tick ahead of that. Memory made
// just after its stub, across a second's boundary, then carries the second
// before the stub's: 1,180 of 200,000 stub-then-segment creations here
// (Linux 6.18, ext4), and each such abandoned creation was left for good --
// neither the next initialiser nor remove --force took it (the
// shared_only cell's LifecycleCrashTest sysv_create: "system memory left
// behind"). The lag is under one tick, so one second covers it.
constexpr std::int64_t kClockSlack = 1;

absl::StatusOr<StubId> StubIdentity(File& stub) {
  struct stat st;
  if (sys::Fstat(static_cast<int>(stub.native()), &st) != 0) return ErrnoStatus("fstat", stub.path(), errno);
  // Mixed once more after the inode is folded in: candidates are Mix(seed +
  // i), so an unmixed seed (dev hash ^ inode) gave stubs whose inodes lie in
  // one aligned block of 8 the same candidates (38 of 39 consecutive stubs in
  // one directory shared a SysV key), and one region's clean-up of abandoned
  // names removed a neighbour's memory while its creator was initialising it.
  return StubId{Mix(Mix(static_cast<std::uint64_t>(st.st_dev)) ^ static_cast<std::uint64_t>(st.st_ino)),
                st.st_uid, static_cast<std::uint64_t>(st.st_size),
                static_cast<std::int64_t>(st.st_mtime) - kClockSlack};
}

key_t SysVKey(std::uint64_t seed, int i) {
  // Positive and never IPC_PRIVATE (0).
  return static_cast<key_t>((Mix(seed + static_cast<std::uint64_t>(i)) & 0x7FFFFFFEu) | 2u);
}

std::uint64_t ShmId(std::uint64_t seed, int i) { return Mix(seed + static_cast<std::uint64_t>(i)) | 1; }

bool AllZero(const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  return n == 0 || (b[0] == 0 && std::memcmp(b, b + 1, n - 1) == 0);
}

// What is under a derived name.
enum class Under {
  kNothing,  // nothing now (none was there, it vanished meanwhile, or it was removed)
  kInUse,    // another region's (attached, or written), or memory we may not look at
  kForeign,  // looks abandoned but another user owns or made it: left alone, reported
};

struct Cleared {
  Under under = Under::kNothing;
  // kForeign: which memory, whose. kInUse: set when it is another user's
  // (review 9: names squatted by another user were reported as "in use by
  // other regions"), empty when it is this user's.
  std::string why;
};

// In use (attached, written, or older than the stub): named when `whose`,
// the user it belongs to, is not the stub's `owner`.
Cleared InUse(absl::string_view what, uid_t whose, uid_t owner) {
  if (whose == owner) return Cleared{Under::kInUse, ""};
  return Cleared{Under::kInUse, absl::StrFormat("%s is another user's (uid %u)", what, whose)};
}

// Removes the SysV segment under `key` if it is abandoned (see above) and
// owned and made by `owner`, the stub's owner. Only its first page is looked
// at, through a read-only attach, and only when nobody is attached. A
// segment that vanishes between the lookup and the removal (a concurrent
// remover: EINVAL/EIDRM) is already gone, not an error.
absl::StatusOr<Cleared> ClearAbandonedSysV(key_t key, uid_t owner, std::int64_t not_before) {
  const int id = sys::Shmget(key, 0, 0);
  if (id < 0) {
    if (errno == ENOENT) return Cleared{};
    if (errno == EACCES) {  // another user's, closed to us
      return Cleared{Under::kInUse, absl::StrFormat("SysV key 0x%x is another user's, closed to this user",
                                                    static_cast<unsigned>(key))};
    }
    return ErrnoStatus("shmget", absl::StrCat("key ", key), errno);
  }
  struct shmid_ds ds;
  if (sys::ShmStat(id, &ds) != 0) {
    if (errno == EINVAL || errno == EIDRM) return Cleared{};
    // shmget with no flags asks for no permission; IPC_STAT needs read: a
    // segment another user keeps closed to us is theirs, never abandoned
    // by our creator (who makes its memory owner-readable).
    if (errno == EACCES) {
      return Cleared{Under::kInUse, absl::StrFormat("SysV segment %d (key 0x%x) is another user's, closed "
                                                    "to this user", id, static_cast<unsigned>(key))};
    }
    return ErrnoStatus("shmctl", absl::StrCat("shmid ", id), errno);
  }
  const std::string segment = absl::StrFormat("SysV segment %d (key 0x%x)", id, static_cast<unsigned>(key));
  // Its owner, or else its creator, when either is not the stub's owner.
  const uid_t whose = ds.shm_perm.uid != owner ? ds.shm_perm.uid : ds.shm_perm.cuid;
  if (ds.shm_nattch != 0) return InUse(segment, whose, owner);
  // Made before the stub's creation began: not its creator's.
  if (static_cast<std::int64_t>(ds.shm_ctime) < not_before) return InUse(segment, whose, owner);
  void* addr = sys::Shmat(id, /*read_only=*/true);
  if (addr == reinterpret_cast<void*>(-1)) {
    if (errno == EINVAL || errno == EIDRM) return Cleared{};  // removed meanwhile
    return InUse(segment, whose, owner);
  }
  const bool untouched = AllZero(addr, std::min<std::size_t>(PageSize(), ds.shm_segsz));
  (void)sys::Shmdt(addr);
  if (!untouched) return InUse(segment, whose, owner);
  if (ds.shm_perm.uid != owner || ds.shm_perm.cuid != owner) {
    return Cleared{Under::kForeign,
                   absl::StrFormat("SysV segment %d (key 0x%x) is owned by uid %u and was made by "
                                   "uid %u; the stub's owner is uid %u",
                                   id, static_cast<unsigned>(key), ds.shm_perm.uid,
                                   ds.shm_perm.cuid, owner)};
  }
  if (sys::ShmRemove(id) != 0 && errno != EINVAL && errno != EIDRM) {
    return ErrnoStatus("shmctl(IPC_RMID)", absl::StrCat("shmid ", id), errno);
  }
  return Cleared{};
}

// The same for a POSIX shm name (attachment cannot be seen here: an object
// never written is taken to be abandoned). Opened read-only and without
// blocking (os/posix/shm_object.h: a FIFO, link or socket planted at the
// name is someone else's, left and reported), checked with fstat (a regular
// object) before its first page is looked at through a read-only mapping.
absl::StatusOr<Cleared> ClearAbandonedPosixShm(const std::string& name, uid_t owner, std::int64_t not_before) {
  const int fd = sys::ShmOpen(name.c_str(), O_RDONLY, 0);
  if (fd < 0) {
    if (errno == ENOENT) return Cleared{};
    if (errno == EACCES) {  // another user's, closed to us
      return Cleared{Under::kInUse, absl::StrCat("POSIX shm ", name, " is another user's, closed to this user")};
    }
    absl::Status s = ShmOpenError(name, errno);
    if (IsUntrusted(s)) return Cleared{Under::kForeign, absl::StrCat(name, " ", UntrustedReason(s))};
    return s;
  }
  struct stat st;
  if (sys::Fstat(fd, &st) != 0) {
    absl::Status s = ErrnoStatus("fstat", name, errno);
    (void)sys::Close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    (void)sys::Close(fd);
    const absl::Status s = NotARegularShmObject(name, static_cast<unsigned>(st.st_mode));
    return Cleared{Under::kForeign, absl::StrFormat("%s %s (owner uid %u)", name, UntrustedReason(s), st.st_uid)};
  }
  const std::string object = absl::StrCat("POSIX shm ", name);
  if (static_cast<std::int64_t>(st.st_ctime) < not_before) {  // older than the stub's creation
    (void)sys::Close(fd);
    return InUse(object, st.st_uid, owner);
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  bool untouched = size == 0;
  if (size != 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(PageSize(), size));
    void* addr = sys::Mmap(nullptr, n, PROT_READ, MAP_SHARED, fd, 0);
    if (addr != MAP_FAILED) {
      untouched = AllZero(addr, n);
      (void)sys::Munmap(addr, n);
    }
  }
  (void)sys::Close(fd);
  if (!untouched) return InUse(object, st.st_uid, owner);
  if (st.st_uid != owner) {
    return Cleared{Under::kForeign, absl::StrFormat("POSIX shm %s is owned by uid %u; the stub's owner "
                                                    "is uid %u",
                                                    name, st.st_uid, owner)};
  }
  if (sys::ShmUnlink(name.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("shm_unlink", name, errno);
  return Cleared{};
}

// Every derived name taken. When other users' objects hold some, that is
// who is in the way (review 5: nobody's empty files at the 8 names were
// reported as "other regions"): untrusted, naming them.
absl::Status NoFreeName(absl::string_view what, const std::vector<std::string>& foreign) {
  if (!foreign.empty()) {
    return UntrustedError(EEXIST, what,
                          absl::StrFormat("all %d names derived from the stub are taken, %d of them "
                                          "by what is not this user's: %s (the names follow from the "
                                          "stub's device and inode, which another local user can "
                                          "predict; the file backend names no system memory)",
                                          kCandidates, foreign.size(), absl::StrJoin(foreign, "; ")));
  }
  return PortableError(absl::StatusCode::kAlreadyExists, EEXIST,
                       absl::StrFormat("%s: all %d names derived from the stub are in use by other "
                                       "regions",
                                       what, kCandidates));
}

// shmget's limit errors, named (review 10: "Invalid argument" said nothing
// of SHMMAX): the size beyond one segment's limits, or the system's table
// or page budget used up.
absl::Status SysVLimitHint(const absl::Status& s, std::uint64_t size) {
  if (HasErrno(s, EINVAL)) {
    return Annotate(s, absl::StrFormat("a SysV segment of %u bytes is outside the system's limits for "
                                       "one segment (Linux: kernel.shmmax and kernel.shmmin; "
                                       "sysctl kern.sysv.shmmax elsewhere): raise it, or use the "
                                       "posix or file backend",
                                       size));
  }
  if (HasErrno(s, ENOSPC)) {
    return Annotate(s, absl::StrFormat("no SysV segment of %u bytes can be made: the system's "
                                       "limits are used up (Linux: kernel.shmmni segments, "
                                       "kernel.shmall pages; ipcs -m lists the segments)",
                                       size));
  }
  return s;
}

absl::StatusOr<Mapping> CreateSysV(const StubId& stub, std::uint64_t size, std::uint32_t mode) {
  std::vector<std::string> foreign;
  for (int i = 0; i < kCandidates; ++i) {
    const key_t key = SysVKey(stub.seed, i);
    // A few rounds: memory under the name that is cleared away (abandoned),
    // or a new segment that vanishes before we attach it (another process
    // clearing this name as abandoned: never written, nobody attached),
    // means the name is free again.
    for (int round = 0; round < 4; ++round) {
      const int id = sys::Shmget(key, static_cast<std::size_t>(size),
                                 IPC_CREAT | IPC_EXCL | static_cast<int>(mode & 0777));
      if (id < 0) {
        if (errno != EEXIST) return SysVLimitHint(ErrnoStatus("shmget", absl::StrCat("key ", key), errno), size);
        absl::StatusOr<Cleared> cleared = ClearAbandonedSysV(key, stub.owner, stub.not_before);
        if (!cleared.ok()) return cleared.status();
        if (!cleared->why.empty()) foreign.push_back(std::move(cleared->why));
        if (cleared->under != Under::kNothing) break;  // another region's or user's: next candidate
        continue;
      }
      void* addr = sys::Shmat(id);
      if (addr == reinterpret_cast<void*>(-1)) {
        const int err = errno;
        (void)sys::ShmRemove(id);  // ours, unattached: never left behind (gone already is fine)
        if (err == EINVAL || err == EIDRM) continue;  // removed meanwhile: make it again
        return ErrnoStatus("shmat", absl::StrCat("shmid ", id), err);
      }
      return MappingAccess::Make(addr, size, Backend::kSysV, static_cast<std::uint64_t>(id), -1);
    }
  }
  return NoFreeName("shmget", foreign);
}

absl::StatusOr<Mapping> CreatePosixShm(const StubId& stub, std::uint64_t size, std::uint32_t mode) {
  std::vector<std::string> foreign;
  for (int i = 0; i < kCandidates; ++i) {
    const std::uint64_t id = ShmId(stub.seed, i);
    const std::string name = ShmName(id);
    int fd = -1;
    for (int again = 0; again < 2 && fd < 0; ++again) {
      fd = sys::ShmOpen(name.c_str(), O_RDWR | O_CREAT | O_EXCL, static_cast<mode_t>(mode));
      if (fd >= 0) break;
      if (errno != EEXIST) return ErrnoStatus("shm_open", name, errno);
      absl::StatusOr<Cleared> cleared = ClearAbandonedPosixShm(name, stub.owner, stub.not_before);
      if (!cleared.ok()) return cleared.status();
      if (!cleared->why.empty()) foreign.push_back(std::move(cleared->why));
      if (cleared->under != Under::kNothing) break;
    }
    if (fd < 0) continue;
    absl::Status s;
    void* addr = nullptr;
    // Exact mode whatever the umask; the size; the pages reserved now, so a
    // full /dev/shm is ENOSPC here rather than SIGBUS on first touch.
    if (sys::Fchmod(fd, static_cast<mode_t>(mode)) != 0) {
      s = ErrnoStatus("fchmod", name, errno);
    } else if (sys::Ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = ErrnoStatus("ftruncate", name, errno);
    } else if (int err = sys::Fallocate(fd, 0, static_cast<off_t>(size));
               err != 0 && err != EOPNOTSUPP) {
      s = ErrnoStatus("fallocate", name, err);
      if (err == ENOSPC) {
        s = Annotate(s, absl::StrFormat("POSIX shared memory has no room for %u bytes (on Linux its "
                                        "filesystem, /dev/shm, is full or capped: free space there, "
                                        "or use the file backend)",
                                        size));
      }
    } else {
      absl::StatusOr<void*> m = MapShared(fd, size, name);
      if (m.ok()) addr = *m;
      s = m.status();
    }
    (void)sys::Close(fd);
    if (!s.ok()) {
      (void)sys::ShmUnlink(name.c_str());
      return s;
    }
    return MappingAccess::Make(addr, size, Backend::kPosixShm, id, -1);
  }
  return NoFreeName("shm_open", foreign);
}

absl::StatusOr<Mapping> AttachSysV(std::uint64_t id, std::uint64_t size, bool read_only) {
  const std::string what = absl::StrCat("SysV segment ", id);
  if (id > static_cast<std::uint64_t>(INT32_MAX)) return Gone(what);
  const int shmid = static_cast<int>(id);
  struct shmid_ds ds;
  if (sys::ShmStat(shmid, &ds) != 0) {
    if (errno == EINVAL || errno == EIDRM) return Gone(what);
    return ErrnoStatus("shmctl", what, errno);
  }
  // A removed segment lingers while attached (SHM_DEST): it is as good as
  // gone for a joiner; one smaller than the region is not ours.
  if ((ds.shm_perm.mode & kShmDest) != 0 || ds.shm_segsz < size) return Gone(what);
  void* addr = sys::Shmat(shmid, read_only);
  if (addr == reinterpret_cast<void*>(-1)) {
    if (errno == EINVAL || errno == EIDRM) return Gone(what);
    return ErrnoStatus("shmat", what, errno);
  }
  return MappingAccess::Make(addr, size, Backend::kSysV, id, -1);
}

absl::StatusOr<Mapping> AttachPosixShm(std::uint64_t id, std::uint64_t size, bool read_only) {
  const std::string name = ShmName(id);
  const int fd = sys::ShmOpen(name.c_str(), read_only ? O_RDONLY : O_RDWR, 0);
  if (fd < 0) {
    if (errno == ENOENT) return Gone(absl::StrCat("POSIX shm ", name));
    return ShmOpenError(name, errno);
  }
  struct stat st;
  absl::StatusOr<void*> addr =
      sys::FstatIdentity(fd, &st) != 0 ? absl::StatusOr<void*>(ErrnoStatus("fstat", name, errno))
      : !S_ISREG(st.st_mode)   ? NotARegularShmObject(name, static_cast<unsigned>(st.st_mode))
      : static_cast<std::uint64_t>(st.st_size) < size
          ? Gone(absl::StrCat("POSIX shm ", name, " (too small)"))
          : MapShared(fd, size, name, read_only);
  (void)sys::Close(fd);
  if (!addr.ok()) return addr.status();
  return MappingAccess::Make(*addr, size, Backend::kPosixShm, id, -1);
}

}  // namespace

bool BackendSupported(Backend backend) { return backend != Backend::kPagingFile; }

std::uint64_t MapGranularity() { return PageSize(); }

absl::Status Mapping::Unmap() {
  if (addr_ == nullptr) return absl::OkStatus();
  void* addr = addr_;
  const auto size = static_cast<std::size_t>(size_);
  MappingAccess::Clear(*this);
  switch (backend_) {
    case Backend::kHeap:
      std::free(addr);
      return absl::OkStatus();
    case Backend::kSysV:
      if (sys::Shmdt(addr) != 0) return ErrnoStatus("shmdt", absl::StrCat("shmid ", id_), errno);
      return absl::OkStatus();
    default:
      if (sys::Munmap(addr, size) != 0) return ErrnoStatus("munmap", "", errno);
      return absl::OkStatus();
  }
}

absl::StatusOr<Mapping> MapFile(File& file, std::uint64_t size, std::optional<std::uint64_t> file_size) {
  if (absl::Status s = internal::ValidateMapSize(absl::StrCat("map \"", file.path(), "\""), size);
      !s.ok()) {
    return s;
  }
  const int fd = static_cast<int>(file.native());
  absl::StatusOr<std::uint64_t> have = file_size.has_value() ? absl::StatusOr<std::uint64_t>(*file_size)
                                                             : FileSize(fd, file.path());
  if (!have.ok()) return have.status();
  if (absl::Status s = internal::CheckFileCovers("map", file, *have, size); !s.ok()) return s;
  absl::StatusOr<void*> addr = MapSharedFile(fd, size, file.path());
  if (!addr.ok()) return addr.status();
  return MappingAccess::Make(*addr, size, Backend::kFile, 0, -1);
}

absl::Status Remap(Mapping& mapping, File& file, std::uint64_t new_size) {
  if (absl::Status s = internal::ValidateRemap(mapping, new_size); !s.ok()) return s;
  const int fd = static_cast<int>(file.native());
  absl::StatusOr<std::uint64_t> have = FileSize(fd, file.path());
  if (!have.ok()) return have.status();
  if (absl::Status s = internal::CheckFileCovers("remap", file, *have, new_size); !s.ok()) return s;
  // mremap keeps the faulted-in pages and, on failure, the old view; where it
  // is missing, map the new view before dropping the old one so a failure
  // never leaves the caller without its region (and its lock).
  void* addr = sys::Mremap(mapping.data(), static_cast<std::size_t>(mapping.size()),
                           static_cast<std::size_t>(new_size));
  if (addr == MAP_FAILED) {
    if (errno != ENOSYS) return ErrnoStatus("mremap", file.path(), errno);
    absl::StatusOr<void*> fresh = MapSharedFile(fd, new_size, file.path());
    if (!fresh.ok()) return fresh.status();
    (void)sys::Munmap(mapping.data(), static_cast<std::size_t>(mapping.size()));
    addr = *fresh;
  }
  MappingAccess::SetView(mapping, addr, new_size);
  return absl::OkStatus();
}

absl::StatusOr<Mapping> MapPrivate(Backend backend, std::uint64_t size) {
  if (absl::Status s = internal::ValidateMapSize("map private memory", size); !s.ok()) return s;
  if (backend == Backend::kHeap) {
    void* addr = std::calloc(1, static_cast<std::size_t>(size));
    if (addr == nullptr) return ErrnoStatus("calloc", "", ENOMEM);
    return MappingAccess::Make(addr, size, backend, 0, -1);
  }
  if (backend != Backend::kAnonymous) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("backend '", BackendName(backend), "' is not private memory"));
  }
  void* addr = sys::Mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (addr == MAP_FAILED) return ErrnoStatus("mmap", "anonymous", errno);
  return MappingAccess::Make(addr, size, backend, 0, -1);
}

absl::StatusOr<Mapping> CreateSystemMemory(Backend backend, File& stub, std::uint64_t size,
                                           std::uint32_t mode) {
  if (absl::Status s = internal::ValidateMapSize("create system memory", size); !s.ok()) return s;
  if (backend != Backend::kSysV && backend != Backend::kPosixShm) {
    return backend == Backend::kPagingFile ? internal::UnsupportedBackend(backend)
                                           : internal::NotSystemMemory(backend);
  }
  absl::StatusOr<StubId> sid = StubIdentity(stub);
  if (!sid.ok()) return sid.status();
  switch (backend) {
    case Backend::kSysV: return CreateSysV(*sid, size, mode);
    case Backend::kPosixShm: return CreatePosixShm(*sid, size, mode);
    case Backend::kPagingFile: return internal::UnsupportedBackend(backend);
    default: break;
  }
  return internal::NotSystemMemory(backend);
}

absl::StatusOr<Mapping> AttachSystemMemory(Backend backend, File& stub, std::uint64_t id,
                                           std::uint64_t size, MapAccess access) {
  (void)stub;
  if (absl::Status s = internal::ValidateMapSize("attach system memory", size); !s.ok()) return s;
  switch (backend) {
    case Backend::kSysV: return AttachSysV(id, size, access == MapAccess::kReadOnly);
    case Backend::kPosixShm: return AttachPosixShm(id, size, access == MapAccess::kReadOnly);
    case Backend::kPagingFile: return internal::UnsupportedBackend(backend);
    default: break;
  }
  return internal::NotSystemMemory(backend);
}

std::string SystemMemoryName(Backend backend, std::uint64_t id) {
  switch (backend) {
    case Backend::kSysV: return absl::StrFormat("SysV segment %u (ipcrm -m %u)", id, id);
    case Backend::kPosixShm: {
      const std::string name = ShmName(id);
      return absl::StrFormat("POSIX shm %s (shm_unlink it; on Linux: rm /dev/shm%s)", name, name);
    }
    default: return absl::StrFormat("%s memory %u", BackendName(backend), id);
  }
}

absl::Status RemoveSystemMemory(Backend backend, std::uint64_t id) {
  switch (backend) {
    case Backend::kSysV: {
      if (id > static_cast<std::uint64_t>(INT32_MAX)) return absl::OkStatus();
      if (sys::ShmRemove(static_cast<int>(id)) != 0 && errno != EINVAL && errno != EIDRM) {
        return ErrnoStatus("shmctl(IPC_RMID)", absl::StrCat("shmid ", id), errno);
      }
      return absl::OkStatus();
    }
    case Backend::kPosixShm: {
      const std::string name = ShmName(id);
      if (sys::ShmUnlink(name.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus("shm_unlink", name, errno);
      }
      return absl::OkStatus();
    }
    case Backend::kPagingFile: return internal::UnsupportedBackend(backend);
    default: break;
  }
  return internal::NotSystemMemory(backend);
}

absl::StatusOr<std::vector<std::uint64_t>> DerivedSystemMemoryIds(Backend backend, File& stub) {
  if (backend == Backend::kPagingFile) return internal::UnsupportedBackend(backend);
  if (backend != Backend::kSysV && backend != Backend::kPosixShm) return internal::NotSystemMemory(backend);
  absl::StatusOr<StubId> sid = StubIdentity(stub);
  if (!sid.ok()) return sid.status();
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kCandidates; ++i) {
    if (backend == Backend::kPosixShm) {
      ids.push_back(ShmId(sid->seed, i));
      continue;
    }
    const int id = sys::Shmget(SysVKey(sid->seed, i), 0, 0);
    if (id >= 0) {
      ids.push_back(static_cast<std::uint64_t>(id));
    } else if (errno != ENOENT && errno != EACCES) {
      return ErrnoStatus("shmget", absl::StrCat("key ", SysVKey(sid->seed, i)), errno);
    }
  }
  return ids;
}

absl::Status RemoveSystemMemoryOf(Backend backend, File& stub) {
  if (backend != Backend::kSysV && backend != Backend::kPosixShm) return absl::OkStatus();
  absl::StatusOr<StubId> sid = StubIdentity(stub);
  if (!sid.ok()) return sid.status();
  // A creator records its memory's id in the stub before it writes the
  // memory: a stub with anything in it finds its memory by that record
  // (region/token.h), and what its derived names hold is not its own.
  if (sid->size != 0) return absl::OkStatus();
  std::vector<std::string> left;
  for (int i = 0; i < kCandidates; ++i) {
    absl::StatusOr<Cleared> cleared =
        backend == Backend::kSysV ? ClearAbandonedSysV(SysVKey(sid->seed, i), sid->owner, sid->not_before)
                                  : ClearAbandonedPosixShm(ShmName(ShmId(sid->seed, i)), sid->owner,
                                                           sid->not_before);
    if (!cleared.ok()) return cleared.status();
    if (cleared->under == Under::kForeign) left.push_back(std::move(cleared->why));
  }
  if (left.empty()) return absl::OkStatus();
  return UntrustedError(EACCES, absl::StrCat(BackendName(backend), " memory named from ", stub.path()),
                        absl::StrCat("is not the stub's own (another user's, or not shared memory), "
                                     "left in place: ",
                                     absl::StrJoin(left, "; ")));
}

absl::Status Prefault(Mapping& mapping, std::uint64_t offset, std::uint64_t len) {
  if (offset > mapping.size() || len > mapping.size() - offset) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("prefault: [%u, +%u) is outside the %u-byte mapping",
                                         offset, len, mapping.size()));
  }
  if (len == 0) return absl::OkStatus();
  auto* base = static_cast<unsigned char*>(mapping.data());
  const std::size_t page = PageSize();
  if (kHavePopulateWrite && mapping.backend() != Backend::kHeap) {
    // The mapping starts on a page boundary; widen the range to pages.
    const std::uint64_t start = offset / page * page;
    const std::uint64_t end = offset + len;
    if (sys::Madvise(base + start, static_cast<std::size_t>(end - start), kPopulateWrite) == 0) {
      return absl::OkStatus();
    }
    const int err = errno;
    // ENOSPC / ENOMEM / EFAULT are real: the pages cannot be had.
    if (err != EINVAL) return ErrnoStatus("madvise(MADV_POPULATE_WRITE)", "", err);
  }
  // Older kernels and heap memory: write each page. Only used on memory the
  // caller owns alone (new regions, freshly grown pages).
  for (std::uint64_t at = offset; at < offset + len; at += page) {
    volatile unsigned char* p = base + at;
    *p = *p;
  }
  volatile unsigned char* last = base + offset + len - 1;
  *last = *last;
  return absl::OkStatus();
}

void PrefaultHint(Mapping& mapping, std::uint64_t offset, std::uint64_t len) {
  if (!kHavePopulateWrite) return;  // a hint only: without it, pages fault on use
  if (!mapping.mapped() || mapping.backend() == Backend::kHeap || offset >= mapping.size()) return;
  len = std::min(len, mapping.size() - offset);
  if (len == 0) return;
  const std::size_t page = PageSize();
  const std::uint64_t start = offset / page * page;
  (void)sys::Madvise(static_cast<unsigned char*>(mapping.data()) + start,
                     static_cast<std::size_t>(offset + len - start), kPopulateWrite);
}

void ReleaseLastUser(Mapping& mapping, std::uint64_t keep) {
  if constexpr (config::kZeroOnLastClose) {
    if (BackendNamed(mapping.backend()) && mapping.mapped() && keep < mapping.size()) {
      std::memset(static_cast<unsigned char*>(mapping.data()) + keep, 0,
                  static_cast<std::size_t>(mapping.size() - keep));
    }
  }
}

}  // namespace osport::os
