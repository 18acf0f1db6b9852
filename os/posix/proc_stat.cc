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

}  // namespace

// Reads /proc/<id>/task/<id>/stat, which Linux serves for leaders and other
// threads alike with the same state and start as /proc/<id>/stat. Not
// /proc/<id>/stat: qemu-user fakes that file for the emulated process's own
// pid (state "0", start = qemu's own estimate, ticks off), so a process's
// own stamp differed from what others read and a live owner looked dead.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
absl::StatusOr<ProcStat> ReadProcStat(std::uint32_t id) {
  const std::string path = absl::StrCat("/proc/", id, "/task/", id, "/stat");
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

}  // namespace osport::os::posix
