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
#include <vector>

#include "os/file.h"
#include "os/posix/sys.h"

namespace osport::os {
namespace {

// Locked across fork() (prepare, then parent or child), so the child sees a
// list no other thread was changing. A plain POSIX mutex, statically
// initialised and never destroyed (atfork handlers use it until the process
// ends); not std::mutex, whose libstdc++ header needs _GNU_SOURCE on glibc,
// which the generic POSIX build compiles without.
pthread_mutex_t g_registry_mutex = PTHREAD_MUTEX_INITIALIZER;
void LockRegistry() { (void)::pthread_mutex_lock(&g_registry_mutex); }
void UnlockRegistry() { (void)::pthread_mutex_unlock(&g_registry_mutex); }
class RegistryHold {
 public:
  RegistryHold() { LockRegistry(); }
  ~RegistryHold() { UnlockRegistry(); }
  RegistryHold(const RegistryHold&) = delete;
  RegistryHold& operator=(const RegistryHold&) = delete;
};
// Leaked on purpose, like the mutex.
std::vector<int>& Registry() {
  static auto* fds = new std::vector<int>;
  return *fds;
}
std::atomic<int> g_registered{0};  // Registry().size(), read without the lock

// The child's placeholder: /dev/null, opened with the raw call (see Child).
int OpenDevNull() { return ::open("/dev/null", O_RDWR | O_CLOEXEC); }

void Prepare() { LockRegistry(); }
void Parent() { UnlockRegistry(); }
void Child() {
  // The only thread now, and the parent may have had others: only
  // async-signal-safe calls, none of them through the hook table (a hook may
  // lock or block; the same rule as Spawn's child). No allocation: the list
  // keeps its capacity.
  std::vector<int>& fds = Registry();
  if (!fds.empty()) posix::PointAtPlaceholder(fds.data(), fds.size(), &OpenDevNull);
  fds.clear();
  g_registered.store(0, std::memory_order_relaxed);
  UnlockRegistry();
}

// The handlers are installed, and the registry made, before the first
// registration: never for the first time inside a handler.
void InstallOnce() {
  // Nothing may throw through pthread_once (a C function): without memory
  // the list grows later, when a registration pushes.
  try {
    Registry().reserve(16);
  } catch (...) {
  }
  // Fails only without memory (ENOMEM); registrations then change nothing.
  (void)::pthread_atfork(&Prepare, &Parent, &Child);
}
void InstallHandlers() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  (void)::pthread_once(&once, &InstallOnce);
}

// With the registry held.
void AddLocked(int fd) {
  std::vector<int>& fds = Registry();
  if (std::find(fds.begin(), fds.end(), fd) != fds.end()) return;
  fds.push_back(fd);
  g_registered.store(static_cast<int>(fds.size()), std::memory_order_relaxed);
}

}  // namespace

void ReleaseInForkedChild(File& file) {
  if (!file.is_open() || !RangeLocksPerOpenFile()) return;
  InstallHandlers();
  RegistryHold hold;
  AddLocked(static_cast<int>(file.native()));
}

namespace posix {

void PointAtPlaceholder(const int* fds, std::size_t n, int (*open_placeholder)()) {
  int placeholder = open_placeholder();
  if (placeholder < 0 && n > 0) {
    // Out of descriptors (EMFILE), say: the first number is given up to
    // make room, and occupied again by the placeholder below.
    (void)::close(fds[0]);
    placeholder = open_placeholder();
  }
  bool placeholder_kept = false;  // it got a registered number itself
  for (std::size_t i = 0; i < n; ++i) {
    int r = -1;
    if (placeholder >= 0 && placeholder == fds[i]) {
      placeholder_kept = true;  // the number freed above, taken by the retry
      r = placeholder;
    } else if (placeholder >= 0) {
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
  if (placeholder >= 0 && !placeholder_kept) (void)::close(placeholder);
}

int CloseForkReleased(int fd) {
  // The common case, nothing registered: one load. A registered descriptor
  // keeps the count above 0 until this very call forgets it.
  if (g_registered.load(std::memory_order_relaxed) == 0) return sys::Close(fd);
  int r = 0;
  int err = 0;
  {
    RegistryHold hold;
    std::vector<int>& fds = Registry();
    fds.erase(std::remove(fds.begin(), fds.end(), fd), fds.end());
    g_registered.store(static_cast<int>(fds.size()), std::memory_order_relaxed);
    r = sys::Close(fd);
    err = errno;
  }
  errno = err;  // close's, whatever unlocking did
  return r;
}

ForkReleaseScope::ForkReleaseScope(bool active) {
  if (!active || !RangeLocksPerOpenFile()) return;
  InstallHandlers();
  LockRegistry();
  held_ = true;
}

ForkReleaseScope::~ForkReleaseScope() {
  if (held_) UnlockRegistry();
}

void ForkReleaseScope::Register(int fd) {
  if (!held_) return;
  if (fd >= 0) AddLocked(fd);
  held_ = false;
  UnlockRegistry();
}

}  // namespace posix
}  // namespace osport::os
