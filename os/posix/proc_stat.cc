// Implements os/posix/proc_stat.h: small /proc reads through the hook table.
#include "os/posix/proc_stat.h"

#include <cerrno>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "os/error.h"
#include "os/posix/error.h"
#include "os/posix/sys.h"

namespace osport::os::posix {
namespace {

// Reads a small /proc file whole.
absl::StatusOr<std::string> ReadProcFile(const std::string& path) {
  const int fd = sys::OpenProc(path.c_str());
  if (fd < 0) return ErrnoStatus("open", path, errno);
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = sys::ReadProc(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      (void)sys::Close(fd);
      return ErrnoStatus("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  (void)sys::Close(fd);
  return out;
}

// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
absl::StatusOr<ProcStat> ReadStatFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadProcFile(path);
  if (!text.ok()) return text.status();
  const std::size_t close = text->rfind(')');
  std::vector<absl::string_view> fields;
  if (close != std::string::npos && close + 2 < text->size()) {
    fields = absl::StrSplit(absl::string_view(*text).substr(close + 2), ' ', absl::SkipEmpty());
  }
  ProcStat st;
  // fields[0] is field 3 (state), so field 22 is fields[19].
  if (fields.size() < 20 || fields[0].size() != 1 || !absl::SimpleAtoi(fields[19], &st.start)) {
    return PortableError(absl::StatusCode::kInternal, EIO,
                         absl::StrCat(path, ": unexpected format"));
  }
  st.state = fields[0][0];
  return st;
}

}  // namespace

// /proc/<id>/task/<id>/stat holds the same state and start time as
// /proc/<id>/stat (both describe the leader thread), but qemu-user does not
// fake it: it rewrites /proc/<own pid>/stat with the calling thread's values.
absl::StatusOr<ProcStat> ReadProcStat(std::uint32_t id) {
  return ReadStatFile(absl::StrCat("/proc/", id, "/task/", id, "/stat"));
}

absl::StatusOr<ProcStat> ReadTaskStat(std::uint32_t pid, std::uint32_t tid) {
  return ReadStatFile(absl::StrCat("/proc/", pid, "/task/", tid, "/stat"));
}

}  // namespace osport::os::posix
