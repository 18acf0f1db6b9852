// The neutral half of os/dir.h: the handle's moves, names, and the checks
// every platform shares.
#include "os/dir.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "os/config.h"
#include "os/error.h"

namespace osport::os {

Dir::~Dir() { (void)Close(); }

Dir::Dir(Dir&& other) noexcept
    : handle_(std::exchange(other.handle_, kInvalid)),
      path_(std::move(other.path_)),
      pins_(std::move(other.pins_)) {
  other.pins_.clear();
}

Dir& Dir::operator=(Dir&& other) noexcept {
  if (this != &other) {
    (void)Close();
    handle_ = std::exchange(other.handle_, kInvalid);
    path_ = std::move(other.path_);
    pins_ = std::move(other.pins_);
    other.pins_.clear();
  }
  return *this;
}

Dir Dir::Adopt(std::intptr_t handle, std::string path, std::vector<std::intptr_t> pins) {
  Dir d;
  d.handle_ = handle;
  d.path_ = std::move(path);
  d.pins_ = std::move(pins);
  return d;
}

absl::string_view FileTypeName(FileType type) {
  switch (type) {
    case FileType::kRegular: return "regular file";
    case FileType::kDirectory: return "directory";
    case FileType::kSymlink: return "symbolic link";
    case FileType::kFifo: return "FIFO";
    case FileType::kSocket: return "socket";
    case FileType::kDevice: return "device";
    case FileType::kOther: break;
  }
  return "special file";
}

std::string JoinPath(const Dir& dir, absl::string_view name) {
  const char sep = config::kWin32 ? '\\' : '/';
  if (!dir.path().empty() && (dir.path().back() == '/' || dir.path().back() == sep)) {
    return absl::StrCat(dir.path(), name);
  }
  return absl::StrCat(dir.path(), absl::string_view(&sep, 1), name);
}

namespace internal {

absl::Status ValidateComponent(const Dir& dir, absl::string_view name) {
  // Win32 also splits at '\\' and gives ':' a meaning (streams, drives).
  const absl::string_view forbidden = config::kWin32 ? absl::string_view("/\\:", 3)
                                                     : absl::string_view("/", 1);
  const bool bad = name.empty() || name == "." || name == ".." ||
                   name.find_first_of(forbidden) != absl::string_view::npos ||
                   name.find('\0') != absl::string_view::npos;
  if (!bad) return absl::OkStatus();
  return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                       absl::StrCat("\"", name, "\" in \"", dir.path(),
                                    "\": not a single path component"));
}

}  // namespace internal

}  // namespace osport::os
