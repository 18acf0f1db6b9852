// Implements region/preflight.h: an ordinary read of the header, checked.
#include "region/preflight.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_format.h"
#include "gsl/span"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/header.h"

namespace osport::region {

namespace {

absl::Status Corrupt(absl::string_view name, const std::string& what) {
  return RegionError(RegionErrc::kCorrupt, absl::StrFormat("region %s: corrupt header: %s", name, what));
}

bool KnownBackend(std::uint32_t b) {
  switch (static_cast<os::Backend>(b)) {
    case os::Backend::kFile:
    case os::Backend::kHeap:
    case os::Backend::kAnonymous:
    case os::Backend::kSysV:
    case os::Backend::kPosixShm:
    case os::Backend::kPagingFile: return true;
  }
  return false;
}

absl::Status CheckSize(std::uint64_t size, absl::string_view name) {
  if (size < 2 * kHeaderSize || size % kHeaderSize != 0 || size > os::config::kRegionSizeMax) {
    return Corrupt(name, absl::StrFormat("size %u is not a region size (page multiple, %u to %u)", size,
                                         2 * kHeaderSize, os::config::kRegionSizeMax));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Preflight> PreflightHeader(os::File& file, std::uint64_t file_size, absl::string_view name) {
  Preflight p;
  if (file_size < kHeaderSize) return p;  // being created
  alignas(RegionHeader) std::byte buf[kHeaderSize];
  absl::StatusOr<std::size_t> n = os::ReadAt(file, 0, gsl::span<std::byte>(buf, kHeaderSize));
  if (!n.ok()) return n.status();
  if (*n != kHeaderSize) return p;  // cut short meanwhile: being removed
  const auto* h = reinterpret_cast<const RegionHeader*>(buf);
  const std::uint32_t magic = h->magic.load(std::memory_order_relaxed);
  if (magic == 0) return p;  // being created or removed
  if (absl::Status s = CheckMagicAndFormat(magic, h->format, name); !s.ok()) return s;
  if (!KnownBackend(h->backend)) return Corrupt(name, absl::StrFormat("unknown backend %u", h->backend));
  if (absl::Status s = CheckFlags(*h, name); !s.ok()) return s;
  p.backend = static_cast<os::Backend>(h->backend);
  p.size = h->size.load(std::memory_order_relaxed);
  p.mode = h->mode;
  p.flags = h->flags;
  p.stub = file_size == kHeaderSize;
  if (absl::Status s = CheckSize(p.size, name); !s.ok()) return s;
  const bool named = (h->flags & kFlagNamed) != 0;
  if (p.stub) {
    if (!named || !os::BackendNamed(p.backend)) {
      return Corrupt(name, absl::StrFormat("a one-header file (a stub) whose flags 0x%x and backend "
                                           "'%s' name no system memory",
                                           h->flags, os::BackendName(p.backend)));
    }
    if (h->system_id == 0) return Corrupt(name, "a stub with system id 0");
    p.system_id = h->system_id;
  } else {
    if (named || os::BackendNamed(p.backend)) {
      return Corrupt(name, absl::StrFormat("a %u-byte file claims to be a stub of '%s' memory",
                                           file_size, os::BackendName(p.backend)));
    }
    // The counts, attachment slots and the size against the file.
    if (absl::Status s = CheckFields(*h, file_size, name); !s.ok()) return s;
  }
  p.ready = true;
  return p;
}

namespace {

// Reads the first header page into `buf`; false if the file is shorter.
absl::StatusOr<bool> ReadFirstPage(os::File& file, std::byte* buf) {
  absl::StatusOr<std::size_t> n = os::ReadAt(file, 0, gsl::span<std::byte>(buf, kHeaderSize));
  if (!n.ok()) return n.status();
  return *n == kHeaderSize;
}

// Whether the first page `h` of `file` (`file_size` bytes) starts a record or
// header that names this very file (see MayBeOsportFile).
absl::StatusOr<bool> NamesItself(os::File& file, std::uint64_t file_size, const RegionHeader& h) {
  // A creator's first write is its whole creation record; it sizes the
  // file in whole header pages only after that.
  if (file_size % kHeaderSize != 0) return false;
  const std::uint32_t magic = h.magic.load(std::memory_order_relaxed);
  if (magic != 0 && magic != kRegionMagic) return false;
  if (h.format != FormatWord(os::MutexKind::kSpin) && h.format != FormatWord(os::MutexKind::kFileLock)) {
    return false;
  }
  bool token = false;
  for (std::uint8_t b : h.token) token = token || b != 0;
  if (!token) return false;
  // The record names the file it was written into: a copy, a hard link
  // made later, or anyone's file that happens to carry the words is not
  // this creation's.
  absl::StatusOr<os::FileInfo> self = os::StatOpenFile(file);
  if (!self.ok()) return self.status();
  return h.stub_device == self->device && h.stub_inode == self->inode;
}

}  // namespace

absl::StatusOr<bool> MayBeOsportFile(os::File& file, std::uint64_t file_size) {
  if (file_size == 0) return true;  // created O_EXCL; the creator died before its first write
  if (file_size < kHeaderSize) return false;
  alignas(RegionHeader) std::byte buf[kHeaderSize];
  absl::StatusOr<bool> page = ReadFirstPage(file, buf);
  if (!page.ok() || !*page) return page;
  return NamesItself(file, file_size, *reinterpret_cast<const RegionHeader*>(buf));
}

absl::StatusOr<bool> IsOsportFile(os::File& file, std::uint64_t file_size) {
  if (file_size == 0) return true;  // a dead creator's remnant (MayBeOsportFile)
  if (file_size < kHeaderSize) return false;
  alignas(RegionHeader) std::byte buf[kHeaderSize];
  absl::StatusOr<bool> page = ReadFirstPage(file, buf);
  if (!page.ok() || !*page) return page;
  const auto* h = reinterpret_cast<const RegionHeader*>(buf);
  absl::StatusOr<bool> remnant = NamesItself(file, file_size, *h);
  if (!remnant.ok() || *remnant) return remnant;
  const std::uint32_t magic = h->magic.load(std::memory_order_relaxed);
  if (magic != kRegionMagic && magic != ByteSwap(kRegionMagic)) return false;
  if (magic == kRegionMagic) return PlausibleFormatWord(h->format);
  return PlausibleFormatWord(h->format) || PlausibleFormatWord(ByteSwap(h->format));
}

absl::Status RefuseSpecialFile(const os::FileInfo& info, const std::string& caller, const RegionOptions& o,
                               const std::string& path) {
  if (info.type == os::FileType::kRegular || info.type == os::FileType::kSymlink) {
    return absl::InvalidArgumentError(absl::StrFormat("RefuseSpecialFile: %s is a %s", path,
                                                      os::FileTypeName(info.type)));
  }
  // Only the owner is in question (links and mode mean nothing here).
  os::FileInfo as_file = info;
  as_file.type = os::FileType::kRegular;
  as_file.links = 1;
  as_file.mode = 0;
  if (absl::Status foreign = os::CheckTrustedFile(as_file, caller, 0, o.trust, path); !foreign.ok()) {
    return os::Annotate(os::CheckTrustedFile(info, caller, 0, o.trust, path), "region " + o.name);
  }
  return RegionError(RegionErrc::kNotARegion,
                     absl::StrFormat("region %s: %s is a %s, not an osport region or stub; osport leaves it "
                                     "alone",
                                     o.name, path, os::FileTypeName(info.type)));
}

}  // namespace osport::region
