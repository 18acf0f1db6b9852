// Implements os/posix/sys_dir.h: each call, gated by the hook table.
#include "os/posix/sys_dir.h"

#include <unistd.h>

#include <cerrno>

#include "os/config.h"
#include "os/posix/sys.h"

#if OSPORT_HAVE_OPENAT2
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

namespace osport::os::posix::sys {

int Openat(int dirfd, const char* name, int flags, mode_t mode) {
  if (Enter(Op::kOpen).fail) return -1;
  return ::openat(dirfd, name, flags, mode);
}

int Openat2NoSymlinks(int dirfd, const char* path, int flags) {
  if (Enter(Op::kOpen).fail) return -1;
#if OSPORT_HAVE_OPENAT2
  struct open_how how = {};
  how.flags = static_cast<unsigned long long>(flags);
  how.resolve = RESOLVE_NO_SYMLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
#else
  (void)dirfd;
  (void)path;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

int Fstatat(int dirfd, const char* name, struct stat* st, int flags) {
  if (Enter(Op::kStat).fail) return -1;
  return ::fstatat(dirfd, name, st, flags);
}

int Renameat(int dirfd, const char* from, const char* to) {
  if (Enter(Op::kRename).fail) return -1;
  return ::renameat(dirfd, from, dirfd, to);
}

int Unlinkat(int dirfd, const char* name, int flags) {
  if (Enter(Op::kUnlink).fail) return -1;
  return ::unlinkat(dirfd, name, flags);
}

int Linkat(int dirfd, const char* existing, const char* new_name) {
  if (Enter(Op::kLink).fail) return -1;
  return ::linkat(dirfd, existing, dirfd, new_name, 0);
}

uid_t Geteuid() { return ::geteuid(); }

}  // namespace osport::os::posix::sys
