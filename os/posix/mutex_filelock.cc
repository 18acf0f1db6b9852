// Implements the byte-range half of os/internal/mutex_platform.h on POSIX with
// fcntl(F_SETLK/F_SETLKW) write locks on one byte.
//
// fcntl locks belong to the whole process, not to a thread or a descriptor:
// two threads of one process both "get" the same byte, and either one's
// F_UNLCK drops it for both. So threads are serialised here first, with a
// process-local mutex picked by the byte's offset (not by descriptor: every
// descriptor of the file shares the process's locks). The kernel lock is held
// only for the test-and-set of the owner word, microseconds, so the classic
// fcntl hazard -- closing any descriptor of the file drops all the process's
// locks on it -- can at worst let two test-and-sets of one mutex overlap if a
// thread closes the region file in those microseconds; the region code closes
// it only at detach.
#include <fcntl.h>

#include <array>
#include <cerrno>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "os/internal/mutex_platform.h"
#include "os/posix/error.h"
#include "os/posix/sys.h"
#include "os/time.h"

namespace osport::os::internal {

namespace sys = posix::sys;

namespace {

// Byte locks that share a stripe serialise needlessly for microseconds; 64
// stripes make that rare without a per-mutex allocation.
std::array<std::mutex, 64> g_stripes;

std::mutex& StripeFor(std::uint64_t offset) { return g_stripes[(offset / 8) % g_stripes.size()]; }

struct flock ByteAt(std::uint64_t offset, short type) {
  struct flock l{};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = static_cast<off_t>(offset);
  l.l_len = 1;
  return l;
}

int Fd(const File& f) { return static_cast<int>(f.native()); }

}  // namespace

absl::Status LockByte(File& file, std::uint64_t offset, bool wait, bool* busy) {
  *busy = false;
  std::mutex& stripe = StripeFor(offset);
  if (wait) {
    stripe.lock();
  } else if (!stripe.try_lock()) {
    *busy = true;
    return absl::OkStatus();
  }
  for (;;) {
    struct flock l = ByteAt(offset, F_WRLCK);
    if (sys::Fcntl(Fd(file), wait ? F_SETLKW : F_SETLK, &l) == 0) return absl::OkStatus();
    const int err = errno;
    if (err == EINTR) continue;
    if (!wait && (err == EAGAIN || err == EACCES)) {
      stripe.unlock();
      *busy = true;
      return absl::OkStatus();
    }
    // EDEADLK: the kernel's deadlock detector sees processes, not threads, so
    // another thread of ours holding some other mutex's byte looks like a
    // cycle. Nobody holds a byte while waiting for another, so it resolves.
    if (wait && err == EDEADLK) {
      YieldCpu();
      continue;
    }
    stripe.unlock();
    return posix::ErrnoStatus(absl::StrCat(wait ? "fcntl(F_SETLKW" : "fcntl(F_SETLK", ", F_WRLCK, byte ", offset, ")"),
                              file.path(), err);
  }
}

absl::Status UnlockByte(File& file, std::uint64_t offset) {
  int err = 0;
  for (;;) {
    struct flock l = ByteAt(offset, F_UNLCK);
    if (sys::Fcntl(Fd(file), F_SETLK, &l) == 0) break;
    err = errno;
    if (err != EINTR) break;
    err = 0;
  }
  StripeFor(offset).unlock();
  if (err == 0) return absl::OkStatus();
  return posix::ErrnoStatus(absl::StrCat("fcntl(F_SETLK, F_UNLCK, byte ", offset, ")"), file.path(), err);
}

}  // namespace osport::os::internal
