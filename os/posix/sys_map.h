// The POSIX memory-mapping system calls, each behind the hook table (the
// mapping half of os/posix/sys.h).
#ifndef OSPORT_OS_POSIX_SYS_MAP_H_
#define OSPORT_OS_POSIX_SYS_MAP_H_

#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/types.h>

#include <cstddef>

namespace osport::os::posix::sys {

void* Mmap(void* addr, std::size_t len, int prot, int flags, int fd, off_t offset);  // Op::kMap
int Munmap(void* addr, std::size_t len);                                             // Op::kUnmap
void* Mremap(void* addr, std::size_t old_len, std::size_t new_len);                  // Op::kMap
int Madvise(void* addr, std::size_t len, int advice);                                // Op::kAdvise
int Shmget(key_t key, std::size_t size, int flags);                                  // Op::kShmCreate
void* Shmat(int id, bool read_only = false);                                         // Op::kMap (SHM_RDONLY)
int Shmdt(const void* addr);                                                         // Op::kUnmap
int ShmStat(int id, struct shmid_ds* ds);                                            // Op::kStat
int ShmRemove(int id);                                                               // Op::kShmRemove
int ShmOpen(const char* name, int flags, mode_t mode);                               // Op::kShmCreate
int ShmUnlink(const char* name);                                                     // Op::kShmRemove

}  // namespace osport::os::posix::sys

#endif  // OSPORT_OS_POSIX_SYS_MAP_H_
