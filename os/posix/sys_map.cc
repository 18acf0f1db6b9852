// Implements os/posix/sys_map.h: mmap, SysV and POSIX shm, gated by hooks.
#include "os/posix/sys_map.h"

#include <fcntl.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "os/config.h"

#include "os/posix/sys.h"

namespace osport::os::posix::sys {

void* Mmap(void* addr, std::size_t len, int prot, int flags, int fd, off_t offset) {
  if (Enter(Op::kMap).fail) return MAP_FAILED;
  return ::mmap(addr, len, prot, flags, fd, offset);
}

// An injected unmap failure still releases the view, as an injected close
// failure releases the descriptor (sys.cc): the call reports the error its
// caller must handle, and a test's leak checks see only the caller's leaks.
// (The real calls fail only for an address that is not a mapping.)
int Munmap(void* addr, std::size_t len) {
  if (Enter(Op::kUnmap).fail) {
    const int saved = errno;
    ::munmap(addr, len);
    errno = saved;
    return -1;
  }
  return ::munmap(addr, len);
}

void* Mremap(void* addr, std::size_t old_len, std::size_t new_len) {
  if (Enter(Op::kMap).fail) return MAP_FAILED;
#if OSPORT_HAVE_MREMAP
  return ::mremap(addr, old_len, new_len, MREMAP_MAYMOVE);
#else
  (void)addr, (void)old_len, (void)new_len;
  errno = ENOSYS;
  return MAP_FAILED;
#endif
}

int Madvise(void* addr, std::size_t len, int advice) {
  if (Enter(Op::kAdvise).fail) return -1;
#if OSPORT_HAVE_MADV_POPULATE_WRITE
  return ::madvise(addr, len, advice);
#else
  // madvise is not POSIX (posix_madvise has no populate advice); osport
  // calls it only for MADV_POPULATE_WRITE, which this build lacks.
  (void)addr, (void)len, (void)advice;
  errno = ENOSYS;
  return -1;
#endif
}

int Shmget(key_t key, std::size_t size, int flags) {
  if (Enter(Op::kShmCreate).fail) return -1;
  const int id = ::shmget(key, size, flags);
  // A new segment: IPC_PRIVATE always makes one, IPC_CREAT|IPC_EXCL only.
  const bool made = key == IPC_PRIVATE || (flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL);
  if (id >= 0 && made && internal::Observed()) {
    const int saved = errno;
    internal::NotifyObserver(ObjectEvent::kCreated, absl::StrCat("sysv:", id));
    errno = saved;
  }
  return id;
}

void* Shmat(int id, bool read_only) {
  if (Enter(Op::kMap).fail) return reinterpret_cast<void*>(-1);
  return ::shmat(id, nullptr, read_only ? SHM_RDONLY : 0);
}

int Shmdt(const void* addr) {
  if (Enter(Op::kUnmap).fail) {  // released anyway: see Munmap
    const int saved = errno;
    ::shmdt(addr);
    errno = saved;
    return -1;
  }
  return ::shmdt(addr);
}

int ShmStat(int id, struct shmid_ds* ds) {
  if (Enter(Op::kStat).fail) return -1;
  return ::shmctl(id, IPC_STAT, ds);
}

int ShmRemove(int id) {
  if (Enter(Op::kShmRemove).fail) return -1;
  return ::shmctl(id, IPC_RMID, nullptr);
}

int ShmOpen(const char* name, int flags, mode_t mode) {
  if (Enter(Op::kShmCreate).fail) return -1;
  // O_NONBLOCK: where shm objects are files in a directory anyone can write
  // (Linux's /dev/shm), another user can put a FIFO at an osport name, and
  // opening it without the flag waits for a writer for ever (issue 12, F4).
  // Where shm_open refuses flags beyond the access mode, O_CREAT, O_EXCL and
  // O_TRUNC (FreeBSD: EINVAL), objects live in the kernel and no FIFO can be
  // there: the call is made again without it.
  int fd = ::shm_open(name, flags | O_CLOEXEC | O_NONBLOCK, mode);
  if (fd < 0 && errno == EINVAL) fd = ::shm_open(name, flags | O_CLOEXEC, mode);
  if (fd >= 0 && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) && internal::Observed()) {
    const int saved = errno;
    internal::NotifyObserver(ObjectEvent::kCreated, absl::StrCat("posix:", name));
    errno = saved;
  }
  return fd;
}

int ShmUnlink(const char* name) {
  if (Enter(Op::kShmRemove).fail) return -1;
  return ::shm_unlink(name);
}

}  // namespace osport::os::posix::sys
