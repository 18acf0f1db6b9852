// Implements os/dir.h on Win32. There is no openat in the Win32 API, so the
// home is made safe differently: OpenDir opens every component of the full
// path in turn without following reparse points (FILE_FLAG_OPEN_REPARSE_POINT)
// and refuses any that is one; each handle stays open, with list access and
// no delete sharing, for the Dir's lifetime, so no component can be renamed,
// deleted or replaced by a junction while the Dir lives. The *At calls then
// use "home\name" paths and never follow a reparse point at `name`.
#include "os/dir.h"

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/trust.h"
#include "os/win32/error.h"
#include "os/win32/sys.h"
#include "os/win32/sys_dir.h"
#include "os/win32/text.h"

namespace osport::os {

namespace sys = win32::sys;
using win32::LastErrorStatus;

namespace {

HANDLE H(std::intptr_t h) { return reinterpret_cast<HANDLE>(h); }

// List access makes the share mode count; without FILE_SHARE_DELETE nobody
// can open the directory for renaming or deleting it.
constexpr DWORD kPinAccess = FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE;
constexpr DWORD kPinShare = FILE_SHARE_READ | FILE_SHARE_WRITE;
constexpr DWORD kNoFollow = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT;
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

absl::StatusOr<FileInfo> InfoOf(HANDLE h, const std::string& path) {
  BY_HANDLE_FILE_INFORMATION bi;
  if (!sys::GetFileInformationByHandle(h, &bi)) {
    return LastErrorStatus("GetFileInformationByHandle (fstat)", path, ::GetLastError());
  }
  std::wstring sid;
  if (!sys::OwnerSid(h, &sid)) return LastErrorStatus("GetSecurityInfo (owner)", path, ::GetLastError());
  FileInfo info;
  const DWORD a = bi.dwFileAttributes;
  info.type = (a & FILE_ATTRIBUTE_REPARSE_POINT) ? FileType::kSymlink
              : (a & FILE_ATTRIBUTE_DIRECTORY)   ? FileType::kDirectory
              : (a & FILE_ATTRIBUTE_DEVICE)      ? FileType::kDevice
                                                 : FileType::kRegular;
  info.owner = win32::Narrow(sid);
  info.owner_is_admin = info.owner == "S-1-5-18" || info.owner == "S-1-5-32-544";
  info.mode = info.type == FileType::kDirectory ? 0700u : (a & FILE_ATTRIBUTE_READONLY) ? 0400u : 0600u;
  info.links = bi.nNumberOfLinks;
  info.size = std::uint64_t{bi.nFileSizeHigh} << 32 | bi.nFileSizeLow;
  info.device = bi.dwVolumeSerialNumber;
  info.inode = std::uint64_t{bi.nFileIndexHigh} << 32 | bi.nFileIndexLow;
  return info;
}

// Where the components start: after "X:\" or "\\server\share\".
std::size_t RootLength(const std::wstring& full) {
  if (full.size() >= 2 && full[0] == L'\\' && full[1] == L'\\') {
    std::size_t at = 2;
    for (int seps = 0; seps < 2 && at != std::wstring::npos; ++seps) {
      at = full.find(L'\\', at);
      if (at != std::wstring::npos) ++at;
    }
    return at == std::wstring::npos ? full.size() : at;
  }
  return full.size() >= 3 && full[1] == L':' ? 3 : 0;
}

void CloseAll(std::vector<std::intptr_t>& handles) {
  for (std::intptr_t h : handles) (void)sys::CloseHandle(H(h));
  handles.clear();
}

absl::StatusOr<std::wstring> WidePath(const Dir& dir, const std::string& name, const char* function) {
  if (absl::Status s = internal::ValidateComponent(dir, name); !s.ok()) return s;
  return win32::Widen(JoinPath(dir, name), function);
}

}  // namespace

absl::Status Dir::Close() {
  absl::Status first;
  if (is_open()) {
    const HANDLE h = H(std::exchange(handle_, kInvalid));
    if (!sys::CloseHandle(h)) first = LastErrorStatus("CloseHandle (close)", path_, ::GetLastError());
  }
  CloseAll(pins_);
  return first;
}

absl::StatusOr<std::string> CurrentUser() {
  std::wstring sid;
  if (!sys::CurrentUserSid(&sid)) return LastErrorStatus("GetTokenInformation (user)", "", ::GetLastError());
  return win32::Narrow(sid);
}

absl::StatusOr<Dir> OpenDir(const std::string& path) {
  if (path.empty()) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL, "open directory: empty path");
  }
  absl::StatusOr<std::wstring> wide = win32::Widen(path, "CreateFileW (open directory)");
  if (!wide.ok()) return wide.status();
  std::wstring full;
  if (!sys::FullPath(wide->c_str(), &full)) return LastErrorStatus("GetFullPathNameW", path, ::GetLastError());
  while (full.size() > RootLength(full) && full.back() == L'\\') full.pop_back();

  // The root, then each longer prefix ending at a component.
  std::vector<std::size_t> ends;
  const std::size_t root = RootLength(full);
  for (std::size_t i = root; i < full.size(); ++i) {
    if (full[i] == L'\\' && i > root) ends.push_back(i);
  }
  if (full.size() > root) ends.push_back(full.size());
  std::vector<std::intptr_t> handles;
  const std::size_t first = root > 0 ? root : 0;
  std::vector<std::size_t> prefixes;
  if (first > 0) prefixes.push_back(first);
  prefixes.insert(prefixes.end(), ends.begin(), ends.end());
  for (std::size_t end : prefixes) {
    const std::wstring prefix = full.substr(0, end);
    const std::string shown = win32::Narrow(prefix);
    const HANDLE h = sys::OpenPath(prefix.c_str(), kPinAccess, kPinShare, OPEN_EXISTING, kNoFollow);
    if (h == INVALID_HANDLE_VALUE) {
      const DWORD err = ::GetLastError();
      CloseAll(handles);
      return LastErrorStatus("CreateFileW (open directory)", shown, err);
    }
    handles.push_back(reinterpret_cast<std::intptr_t>(h));
    BY_HANDLE_FILE_INFORMATION bi;
    if (!sys::GetFileInformationByHandle(h, &bi)) {
      const DWORD err = ::GetLastError();
      CloseAll(handles);
      return LastErrorStatus("GetFileInformationByHandle (fstat)", shown, err);
    }
    if (bi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
      CloseAll(handles);
      return UntrustedError(ELOOP, path,
                            absl::StrCat("has a reparse point (symbolic link or junction) in its path (\"",
                                         shown, "\")"));
    }
    if (!(bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
      CloseAll(handles);
      return PortableError(absl::StatusCode::kFailedPrecondition, ENOTDIR,
                           absl::StrCat("open directory \"", shown, "\": not a directory"));
    }
  }
  if (handles.empty()) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("open directory \"", path, "\": no components"));
  }
  const std::intptr_t home = handles.back();
  handles.pop_back();
  return Dir::Adopt(home, win32::Narrow(full), std::move(handles));
}

absl::StatusOr<FileInfo> StatDir(Dir& dir) { return InfoOf(H(dir.native()), dir.path()); }

absl::StatusOr<std::vector<DirAncestor>> StatAncestors(Dir& dir, const FileInfo& self) {
  (void)self;  // the pins are the ancestors: nothing to compare
  // OpenDir pinned the root and every prefix of the full path, root first.
  std::vector<DirAncestor> out;
  std::string shown = dir.path();
  for (auto it = dir.pins().rbegin(); it != dir.pins().rend(); ++it) {
    const std::size_t cut = shown.find_last_of('\\');
    // A drive's root keeps its separator ("C:\a" -> "C:\").
    if (cut != std::string::npos) shown = shown.substr(0, cut == 2 && shown[1] == ':' ? 3 : cut);
    absl::StatusOr<FileInfo> info = InfoOf(H(*it), shown);
    if (!info.ok()) return info.status();
    out.push_back(DirAncestor{shown, *std::move(info)});
  }
  return out;
}

absl::StatusOr<File> OpenAt(Dir& dir, const std::string& name, std::uint32_t flags, std::uint32_t mode) {
  if (absl::Status s = internal::ValidateComponent(dir, name); !s.ok()) return s;
  // os::Open refuses a final reparse point with kOpenNoFollow (ELOOP); Win32
  // opens never block on a special file.
  return Open(JoinPath(dir, name), flags | kOpenNoFollow, mode);
}

absl::StatusOr<FileInfo> StatAt(Dir& dir, const std::string& name) {
  absl::StatusOr<std::wstring> wide = WidePath(dir, name, "CreateFileW (fstatat)");
  if (!wide.ok()) return wide.status();
  const std::string path = JoinPath(dir, name);
  const HANDLE h = sys::OpenPath(wide->c_str(), FILE_READ_ATTRIBUTES | READ_CONTROL, kShareAll,
                                 OPEN_EXISTING, kNoFollow);
  if (h == INVALID_HANDLE_VALUE) return LastErrorStatus("CreateFileW (fstatat)", path, ::GetLastError());
  absl::StatusOr<FileInfo> info = InfoOf(h, path);
  (void)sys::CloseHandle(h);
  return info;
}

absl::StatusOr<FileInfo> StatOpenFile(File& file) { return InfoOf(H(file.native()), file.path()); }

absl::Status RenameAt(Dir& dir, const std::string& from, const std::string& to) {
  absl::StatusOr<std::wstring> wfrom = WidePath(dir, from, "MoveFileExW (renameat)");
  if (!wfrom.ok()) return wfrom.status();
  absl::StatusOr<std::wstring> wto = WidePath(dir, to, "MoveFileExW (renameat)");
  if (!wto.ok()) return wto.status();
  if (!sys::MovePath(wfrom->c_str(), wto->c_str())) {
    return LastErrorStatus("MoveFileExW (renameat)", absl::StrCat(JoinPath(dir, from), " -> ", to),
                           ::GetLastError());
  }
  return absl::OkStatus();
}

absl::Status UnlinkAt(Dir& dir, const std::string& name) {
  if (absl::Status s = internal::ValidateComponent(dir, name); !s.ok()) return s;
  return Unlink(JoinPath(dir, name));
}

absl::Status LinkAt(Dir& dir, const std::string& existing, const std::string& new_name) {
  absl::StatusOr<std::wstring> wold = WidePath(dir, existing, "CreateHardLinkW (linkat)");
  if (!wold.ok()) return wold.status();
  absl::StatusOr<std::wstring> wnew = WidePath(dir, new_name, "CreateHardLinkW (linkat)");
  if (!wnew.ok()) return wnew.status();
  if (!sys::LinkPath(wold->c_str(), wnew->c_str())) {
    return LastErrorStatus("CreateHardLinkW (linkat)",
                           absl::StrCat(JoinPath(dir, existing), " -> ", new_name), ::GetLastError());
  }
  return absl::OkStatus();
}

}  // namespace osport::os
