// The POSIX directory-relative system calls, each behind the hook table (the
// os/dir.h half of os/posix/sys.h).
#ifndef OSPORT_OS_POSIX_SYS_DIR_H_
#define OSPORT_OS_POSIX_SYS_DIR_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

namespace osport::os::posix::sys {

int Openat(int dirfd, const char* name, int flags, mode_t mode);             // Op::kOpen
// openat2(dirfd, path, {flags, 0, RESOLVE_NO_SYMLINKS}); -1 with ENOSYS where
// the build has no openat2 (OSPORT_HAVE_OPENAT2 0).                        // Op::kOpen
int Openat2NoSymlinks(int dirfd, const char* path, int flags);
int Fstatat(int dirfd, const char* name, struct stat* st, int flags);       // Op::kStat
int Renameat(int dirfd, const char* from, const char* to);                  // Op::kRename
int Unlinkat(int dirfd, const char* name, int flags);                       // Op::kUnlink
int Linkat(int dirfd, const char* existing, const char* new_name);          // Op::kLink
// geteuid(2) cannot fail: no hook.
uid_t Geteuid();

}  // namespace osport::os::posix::sys

#endif  // OSPORT_OS_POSIX_SYS_DIR_H_
