// The descriptors a child of fork() must not keep (os::ReleaseInForkedChild,
// os/file.h): internal to os/posix, and to its tests.
#ifndef OSPORT_OS_POSIX_FORK_RELEASE_H_
#define OSPORT_OS_POSIX_FORK_RELEASE_H_

#include <cstddef>

namespace osport::os::posix {

// Called by File::Close before the descriptor is closed, so that a number
// reused by a later open is never redirected in a child.
void ForgetForkRelease(int fd);

// What the atfork child handler does with the registered descriptors
// `fds[0..n)`: points each at the descriptor `open_placeholder` returns
// (/dev/null there), keeping it close-on-exec, then closes the placeholder;
// with no placeholder (it returned -1) each is closed instead. Raw system
// calls only (async-signal-safe, no hooks). Exposed so a test can give it a
// placeholder that fails.
void PointAtPlaceholder(const int* fds, std::size_t n, int (*open_placeholder)());

}  // namespace osport::os::posix

#endif  // OSPORT_OS_POSIX_FORK_RELEASE_H_
