// Implements the platform half of os/trust.h on POSIX: who owns a SysV
// segment (shmctl IPC_STAT) or a POSIX shm object (fstat of its descriptor).
#include "os/trust.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "os/internal/map_platform.h"
#include "os/posix/error.h"
#include "os/posix/shm_name.h"
#include "os/posix/shm_object.h"
#include "os/posix/sys.h"
#include "os/posix/sys_map.h"

namespace osport::os {

namespace sys = posix::sys;
using posix::ErrnoStatus;

namespace {

// Memory this user may not even look at (EACCES) cannot be told apart from
// memory another user planted at the name or id a stub records -- ours is
// always made owner-readable -- so it is untrusted, not a bare "permission
// denied": every command then names it, and `remove --force` removes the
// caller's own stub and names the memory it left (review of 2026-12-02,
// attacker finding 1; ClearAbandoned* in os/posix/map.cc say the same).
// A security module (SELinux, AppArmor) denying the caller its own memory
// looks the same from here: the message says so, since then the memory
// named is the caller's to free once the policy allows it.
absl::Status ClosedToThisUser(const std::string& what, absl::string_view call) {
  return UntrustedError(EACCES, what,
                        absl::StrCat("is closed to this user (", call,
                                     ": permission denied): another user's memory, a group this "
                                     "user is not in, or a security module's (SELinux, AppArmor) "
                                     "denial; never used or removed"));
}

absl::StatusOr<SystemMemoryInfo> StatSysV(std::uint64_t id) {
  const std::string what = absl::StrCat("SysV segment ", id);
  if (id > static_cast<std::uint64_t>(INT32_MAX)) return internal::MemoryGone(what, "no such id");
  struct shmid_ds ds;
  if (sys::ShmStat(static_cast<int>(id), &ds) != 0) {
    if (errno == EINVAL || errno == EIDRM) return internal::MemoryGone(what, "no such id");
    if (errno == EACCES) return ClosedToThisUser(what, "shmctl(IPC_STAT)");
    return ErrnoStatus("shmctl(IPC_STAT)", what, errno);
  }
  SystemMemoryInfo info;
  info.owner = absl::StrCat(ds.shm_perm.uid);
  info.creator = absl::StrCat(ds.shm_perm.cuid);
  info.mode = static_cast<std::uint32_t>(ds.shm_perm.mode & 0777);
  info.size = static_cast<std::uint64_t>(ds.shm_segsz);
  return info;
}

absl::StatusOr<SystemMemoryInfo> StatPosixShm(std::uint64_t id) {
  const std::string name = posix::ShmName(id);
  const int fd = sys::ShmOpen(name.c_str(), O_RDONLY, 0);
  if (fd < 0) {
    if (errno == EACCES) return ClosedToThisUser(absl::StrCat("POSIX shm ", name), "shm_open");
    return posix::ShmOpenError(name, errno);
  }
  struct stat st;
  const int rc = sys::FstatIdentity(fd, &st);
  const int err = errno;
  (void)sys::Close(fd);
  if (rc != 0) return ErrnoStatus("fstat", name, err);
  // A FIFO, socket or device planted at the name: untrusted, named as such.
  if (!S_ISREG(st.st_mode)) return posix::NotARegularShmObject(name, static_cast<unsigned>(st.st_mode));
  SystemMemoryInfo info;
  info.owner = absl::StrCat(st.st_uid);
  info.creator = info.owner;
  info.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  info.links = static_cast<std::uint64_t>(st.st_nlink);
  info.size = static_cast<std::uint64_t>(st.st_size);
  return info;
}

}  // namespace

absl::StatusOr<SystemMemoryInfo> StatSystemMemory(Backend backend, std::uint64_t id) {
  switch (backend) {
    case Backend::kSysV: return StatSysV(id);
    case Backend::kPosixShm: return StatPosixShm(id);
    case Backend::kPagingFile: return internal::UnsupportedBackend(backend);
    default: break;
  }
  return internal::NotSystemMemory(backend);
}

}  // namespace osport::os
