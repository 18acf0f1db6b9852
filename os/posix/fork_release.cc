// Implements os::ReleaseInForkedChild (os/file.h). An open-file-description
// lock (Linux F_OFD_SETLK) belongs to the description, which fork() shares:
// a child that keeps the descriptor keeps the parent's locks after the parent
// is gone (review 10: a forked worker that never touched its region kept its
// dead parent "attached", so `remove` only marked the region). In the child,
// each registered descriptor is pointed at /dev/null (dup2): the child's own
// later Close of it stays valid, and the description -- with its locks -- is
// the parent's alone. A file mapping holds a description too: os::MapFile
// maps through a description of its own for that reason (os/posix/map.cc).
// Classic fcntl locks belong to the process and are not inherited: nothing
// to do where range locks are not per open file.
#include "os/posix/fork_release.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <vector>

#include "os/file.h"

namespace osport::os {
namespace {

// Locked across fork() (prepare, then parent or child), so the child sees a
// list no other thread was changing. Leaked on purpose: atfork handlers use
// them until the process ends.
std::mutex& RegistryMutex() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<int>& Registry() {
  static auto* fds = new std::vector<int>;
  return *fds;
}
std::atomic<int> g_registered{0};  // Registry().size(), read without the lock

// The child's placeholder: /dev/null, opened with the raw call (see Child).
int OpenDevNull() { return ::open("/dev/null", O_RDWR | O_CLOEXEC); }

void Prepare() { RegistryMutex().lock(); }
void Parent() { RegistryMutex().unlock(); }
void Child() {
  // The only thread now, and the parent may have had others: only
  // async-signal-safe calls, none of them through the hook table (a hook may
  // lock or block; the same rule as Spawn's child). No allocation: the list
  // keeps its capacity.
  std::vector<int>& fds = Registry();
  if (!fds.empty()) posix::PointAtPlaceholder(fds.data(), fds.size(), &OpenDevNull);
  fds.clear();
  g_registered.store(0, std::memory_order_relaxed);
  RegistryMutex().unlock();
}

}  // namespace

void ReleaseInForkedChild(File& file) {
  if (!file.is_open() || !RangeLocksPerOpenFile()) return;
  static std::once_flag once;
  std::call_once(once, [] { (void)::pthread_atfork(&Prepare, &Parent, &Child); });
  const auto fd = static_cast<int>(file.native());
  std::lock_guard<std::mutex> hold(RegistryMutex());
  std::vector<int>& fds = Registry();
  if (std::find(fds.begin(), fds.end(), fd) != fds.end()) return;
  fds.push_back(fd);
  g_registered.store(static_cast<int>(fds.size()), std::memory_order_relaxed);
}

namespace posix {

void PointAtPlaceholder(const int* fds, std::size_t n, int (*open_placeholder)()) {
  const int placeholder = open_placeholder();
  for (std::size_t i = 0; i < n; ++i) {
    int r = -1;
    if (placeholder >= 0) {
      do {
        r = ::dup2(placeholder, fds[i]);
      } while (r < 0 && errno == EINTR);
    }
    if (r >= 0) {
      // dup2 clears close-on-exec; osport's descriptors all carry it.
      (void)::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    } else {
      // No placeholder (EMFILE; no /dev/null in this mount namespace): the
      // lock must not outlive the parent, so the number is closed. The lesser
      // harm: should the child open another file under that number, its
      // inherited File would close that file.
      (void)::close(fds[i]);
    }
  }
  if (placeholder >= 0) (void)::close(placeholder);
}

void ForgetForkRelease(int fd) {
  if (g_registered.load(std::memory_order_relaxed) == 0) return;  // the common case: one load
  std::lock_guard<std::mutex> hold(RegistryMutex());
  std::vector<int>& fds = Registry();
  fds.erase(std::remove(fds.begin(), fds.end(), fd), fds.end());
  g_registered.store(static_cast<int>(fds.size()), std::memory_order_relaxed);
}

}  // namespace posix
}  // namespace osport::os
