// Implements os::CurrentPidNamespace on POSIX. Linux builds that judge
// liveness by /proc (OSPORT_HAVE_PROC_IDENTITY) read the namespace from
// /proc/self/ns/pid, and first make sure that the /proc they read is this
// process's own: a process whose /proc is missing, or belongs to another pid
// namespace (a container started with `unshare --pid --fork` and no
// --mount-proc, a chroot), would read every pid as some other process and
// take a live lock holder for dead. Other POSIX systems have one pid space
// per machine as far as this layer can tell (FreeBSD jails are a documented
// limit: docs/PORTING.md): 0.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "os/config.h"
#include "os/error.h"
#include "os/posix/error.h"
#include "os/posix/sys.h"
#include "os/process.h"

namespace osport::os {

#if OSPORT_HAVE_PROC_IDENTITY
namespace {

namespace sys = posix::sys;

// The namespace read by the process `g_ns_pid` (a forked child, another
// pid, reads again; the value first, the pid last, so a reader that sees
// its own pid sees the value read for it).
std::atomic<std::uint64_t> g_ns{0};
std::atomic<std::uint32_t> g_ns_pid{0};

absl::StatusOr<std::string> ReadLink(const char* path) {
  char buf[128];
  const ssize_t n = sys::Readlink(path, buf, sizeof buf);
  if (n < 0) return posix::ErrnoStatus("readlink", path, errno);
  return std::string(buf, static_cast<std::size_t>(n));
}

// /proc/self names the reader's pid as the /proc mount's namespace numbers
// it; it must be the pid this process has in its own namespace.
absl::Status CheckProcIsOurs(std::uint32_t pid) {
  absl::StatusOr<std::string> self = ReadLink("/proc/self");
  if (!self.ok()) {
    if (HasErrno(self.status(), ENOENT)) {
      return PortableError(absl::StatusCode::kFailedPrecondition, ENOENT,
                           "/proc is not mounted (no /proc/self): this build tells live processes "
                           "from dead ones by /proc/<pid>, and without it every other process would "
                           "look dead; mount it (mount -t proc proc /proc)");
    }
    return self.status();
  }
  std::uint32_t seen = 0;
  if (!absl::SimpleAtoi(*self, &seen) || seen != pid) {
    return PortableError(
        absl::StatusCode::kFailedPrecondition, EXDEV,
        absl::StrCat("/proc belongs to another pid namespace (/proc/self is \"", *self,
                     "\", getpid() says ", pid,
                     "): every pid would be read as some other process; mount a /proc for this "
                     "pid namespace (unshare --pid --fork --mount-proc, or mount -t proc proc /proc "
                     "in it)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::uint64_t> CurrentPidNamespace() {
  const auto pid = static_cast<std::uint32_t>(sys::Getpid());
  if (g_ns_pid.load(std::memory_order_acquire) == pid) return g_ns.load(std::memory_order_relaxed);
  if (absl::Status s = CheckProcIsOurs(pid); !s.ok()) return s;
  absl::StatusOr<std::string> link = ReadLink("/proc/self/ns/pid");
  std::uint64_t ns = 0;
  if (link.ok()) {
    // "pid:[4026531836]"
    absl::string_view v = *link;
    if (!absl::ConsumePrefix(&v, "pid:[") || !absl::ConsumeSuffix(&v, "]") || !absl::SimpleAtoi(v, &ns) ||
        ns == 0) {
      return PortableError(absl::StatusCode::kInternal, EIO,
                           absl::StrCat("/proc/self/ns/pid: unexpected link \"", *link, "\""));
    }
  } else if (!HasErrno(link.status(), ENOENT)) {
    return link.status();
  }  // ENOENT: a kernel before 3.8 has no namespace files; 0, "cannot tell"
  g_ns.store(ns, std::memory_order_relaxed);
  g_ns_pid.store(pid, std::memory_order_release);
  return ns;
}

#else

absl::StatusOr<std::uint64_t> CurrentPidNamespace() { return std::uint64_t{0}; }

#endif

}  // namespace osport::os
