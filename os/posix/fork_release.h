// The descriptors a child of fork() must not keep (os::ReleaseInForkedChild,
// os/file.h): internal to os/posix, and to its tests.
#ifndef OSPORT_OS_POSIX_FORK_RELEASE_H_
#define OSPORT_OS_POSIX_FORK_RELEASE_H_

#include <cstddef>

namespace osport::os::posix {

// File::Close's close(2): a registered descriptor is forgotten and closed
// with no fork() in between (a child forked between the two would keep the
// description, with its locks, and nobody would redirect its copy), and
// before its number can be reused. Returns what close returns (errno set).
int CloseForkReleased(int fd);

// Holds the registry -- no fork() starts meanwhile -- while a descriptor is
// opened, when `active`: kOpenReleaseInForkedChild. Register(fd) registers
// the new descriptor (fd >= 0) and lets fork() go on; the destructor does
// the latter if Register never ran (the open failed). Inactive: nothing.
class ForkReleaseScope {
 public:
  explicit ForkReleaseScope(bool active);
  ~ForkReleaseScope();
  ForkReleaseScope(const ForkReleaseScope&) = delete;
  ForkReleaseScope& operator=(const ForkReleaseScope&) = delete;
  void Register(int fd);

 private:
  bool held_ = false;
};

// What the atfork child handler does with the registered descriptors
// `fds[0..n)`: points each at the descriptor `open_placeholder` returns
// (/dev/null there), keeping it close-on-exec, then closes the placeholder.
// When the placeholder cannot be opened, fds[0] is closed to make room and
// the open tried once more; with no placeholder still, each is closed. Raw system
// calls only (async-signal-safe, no hooks). Exposed so a test can give it a
// placeholder that fails.
void PointAtPlaceholder(const int* fds, std::size_t n, int (*open_placeholder)());

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_FORK_RELEASE_H_
