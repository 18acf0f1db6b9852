// The neutral half of the error model: status construction and errno payloads.
#include "os/error.h"

#include <cstdio>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace osport::os {
namespace {

constexpr char kErrnoPayload[] = "type.osport/errno";
constexpr char kCorruptPayload[] = "type.osport/corrupt";

absl::Status WithErrno(absl::Status status, int portable_errno) {
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(portable_errno)));
  return status;
}

}  // namespace

absl::Status OsError(int portable_errno, absl::string_view function, absl::string_view path,
                     long native, absl::string_view native_text) {
  std::string message = path.empty()
                            ? absl::StrFormat("%s: %s", function, native_text)
                            : absl::StrFormat("%s(\"%s\"): %s", function, path, native_text);
  absl::StrAppendFormat(&message, " (%s, native %d)", ErrnoName(portable_errno), native);
  return WithErrno(absl::Status(absl::ErrnoToStatusCode(portable_errno), message),
                   portable_errno);
}

absl::Status PortableError(absl::StatusCode code, int portable_errno, absl::string_view message) {
  return WithErrno(absl::Status(code, message), portable_errno);
}

int ErrnoOf(const absl::Status& status) {
  if (status.ok()) return 0;
  absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  if (!payload.has_value()) return 0;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return 0;
  return value;
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

absl::Status CorruptError(absl::string_view message) {
  absl::Status s = PortableError(absl::StatusCode::kInvalidArgument, EINVAL, message);
  s.SetPayload(kCorruptPayload, absl::Cord("corrupt"));
  return s;
}

bool IsCorrupt(const absl::Status& status) { return status.GetPayload(kCorruptPayload).has_value(); }

absl::string_view ErrnoName(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case ERANGE: return "ERANGE";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOLCK: return "ENOLCK";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOTSUP: return "ENOTSUP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case ESRCH: return "ESRCH";
    case ECHILD: return "ECHILD";
    case EPIPE: return "EPIPE";
    default: break;
  }
  static thread_local char buf[24];
  std::snprintf(buf, sizeof buf, "errno %d", e);
  return buf;
}

}  // namespace osport::os
