// Format words, header validation and the attachment table.
#include "region/header.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/map.h"
#include "os/process.h"
#include "region/errors.h"

namespace osport::region {

namespace {
// The largest pid the target system gives (cmake/OsportConfig.cmake): at
// most INT32_MAX everywhere, so a pid never reaches kill() as a negative
// number (a process group).
constexpr std::uint32_t kMaxPid = os::config::kPidMax;
static_assert(kMaxPid > 0 && kMaxPid <= 0x7FFFFFFF, "a pid must stay a positive pid_t");
constexpr std::uint32_t kVersionMajor = 0;
constexpr std::uint32_t kVersionMinor = 1;
constexpr std::uint32_t kVersionPatch = 0;

absl::string_view KindName(std::uint32_t kind) {
  switch (kind) {
    case static_cast<std::uint32_t>(os::MutexKind::kSpin): return "spin";
    case static_cast<std::uint32_t>(os::MutexKind::kFileLock): return "file-lock";
    default: return "unknown";
  }
}
}  // namespace

std::uint32_t FormatWord(os::MutexKind kind) {
  return kLayoutVersion << 24 | static_cast<std::uint32_t>(kind) << 16 |
         static_cast<std::uint32_t>(sizeof(os::Mutex) / 8) << 8 |
         static_cast<std::uint32_t>(kHeaderSize / 256);
}

std::uint32_t FormatWord() { return FormatWord(os::kRegionMutexKind); }

bool PlausibleFormatWord(std::uint32_t format) {
  const std::uint32_t layout = format >> 24, kind = (format >> 16) & 0xFF;
  return layout != 0 && (kind == static_cast<std::uint32_t>(os::MutexKind::kSpin) ||
                         kind == static_cast<std::uint32_t>(os::MutexKind::kFileLock));
}

std::uint32_t VersionWord() { return kVersionMajor << 16 | kVersionMinor << 8 | kVersionPatch; }

absl::Status CheckMagicAndFormat(std::uint32_t magic, std::uint32_t format, absl::string_view name) {
  if (magic == ByteSwap(kRegionMagic)) {
    return RegionError(RegionErrc::kIncompatible,
                       absl::StrFormat("region %s was made on a machine of the other byte order", name));
  }
  if (magic != kRegionMagic) {
    // One cause for one fact: what the osport tool's remove and list call a
    // file without the magic (kCorrupt is for a region's damaged fields).
    return RegionError(RegionErrc::kNotARegion,
                       absl::StrFormat("region %s: bad magic 0x%08x (expected 0x%08x): not an osport "
                                       "region or stub",
                                       name, magic, kRegionMagic));
  }
  if (!PlausibleFormatWord(format)) {
    // Osport's four magic bytes and then someone else's: not a region
    // (review 5: a notes file with them was "incompatible", and removed by
    // force), the same answer as a bad magic.
    return RegionError(RegionErrc::kNotARegion,
                       absl::StrFormat("region %s: osport's magic but no osport format word (0x%08x): "
                                       "not an osport region or stub",
                                       name, format));
  }
  const std::uint32_t want = FormatWord();
  if (format != want) {
    const std::uint32_t version = format >> 24, kind = (format >> 16) & 0xFF;
    return RegionError(
        RegionErrc::kIncompatible,
        absl::StrFormat("region %s has format 0x%08x (layout %u, %s mutex, mutex %u bytes, header %u "
                        "bytes); this build needs 0x%08x (layout %u, %s mutex, %u, %u)",
                        name, format, version, KindName(kind), ((format >> 8) & 0xFF) * 8,
                        (format & 0xFF) * 256, want, kLayoutVersion,
                        KindName(static_cast<std::uint32_t>(os::kRegionMutexKind)), sizeof(os::Mutex),
                        kHeaderSize));
  }
  return absl::OkStatus();
}

absl::Status CheckFlags(const RegionHeader& h, absl::string_view name) {
  if ((h.flags & ~(kFlagNamed | kFlagRemoveOnDetach | kFlagPrivate)) == 0) return absl::OkStatus();
  return RegionError(RegionErrc::kCorrupt,
                     absl::StrFormat("region %s: corrupt header: unknown flags 0x%x", name, h.flags));
}

absl::Status CheckFields(const RegionHeader& h, std::uint64_t available, absl::string_view name) {
  auto corrupt = [&](const std::string& what) {
    return RegionError(RegionErrc::kCorrupt, absl::StrFormat("region %s: corrupt header: %s", name, what));
  };
  const std::uint64_t size = h.size.load(std::memory_order_acquire);
  if (size < 2 * kHeaderSize) return corrupt(absl::StrFormat("size %u is too small", size));
  if (size % kHeaderSize != 0) return corrupt(absl::StrFormat("size %u is not a page multiple", size));
  // No file could hold it: damage, not a file cut short (one cause for
  // one fact, whichever path reads it first: stat, join, preflight).
  if (size > os::config::kRegionSizeMax) {
    return corrupt(absl::StrFormat("size %u is beyond the largest region (%u)", size, os::config::kRegionSizeMax));
  }
  if (size > available) {
    return RegionError(RegionErrc::kTruncated,
                       absl::StrFormat("region %s: header says %u bytes but only %u exist", name,
                                       size, available));
  }
  // Options allow 0..0777 and the creator writes what it was given.
  if (h.mode > 0777) return corrupt(absl::StrFormat("mode %o is not a permission mode (0 to 0777)", h.mode));
  if (h.attach_slots != kMaxAttachments) {
    return corrupt(absl::StrFormat("%u attachment slots (expected %u)", h.attach_slots, kMaxAttachments));
  }
  // The reference count is a cache of the slots (RepairRefcount): a process
  // killed between updating its slot and the count leaves them apart, which
  // is not corruption -- any value, 0xFFFFFFFF included, is recomputed from
  // the slots under the lock (issue 11: crash-atomic bookkeeping) and never
  // used as read; so it is deliberately not checked here.
  // Every pid that will reach a liveness check (kill(pid, 0), OpenProcess)
  // is within the target system's pid range (os::config::kPidMax): a pid_t
  // is a signed int, and a "pid" above INT32_MAX would reach kill() as a
  // negative number -- a process group. Counts are bounded so that one more
  // attachment fits. The creator writes its own pid, never 0 (create.cc).
  if (h.creator_pid == 0 || h.creator_pid > kMaxPid) {
    return corrupt(absl::StrFormat("creator_pid %u is not a pid (1 to %u)", h.creator_pid, kMaxPid));
  }
  // The creator initialises the mutex before it writes the magic (create.cc):
  // storage that is no mutex, or of another kind than the format word says,
  // is damage -- never handed to Lock, and never shown by Stat as "free"
  // (review 9: a damaged check word was invalid_argument from lock and
  // remove, and stat called the lock free).
  if (absl::Status s = h.mutex.Validate(); !s.ok()) return corrupt(absl::StrCat("mutex: ", s.message()));
  if (h.mutex.kind() != os::kRegionMutexKind) {
    return corrupt(absl::StrFormat("mutex kind %u, but the format word says %u",
                                   static_cast<std::uint32_t>(h.mutex.kind()),
                                   static_cast<std::uint32_t>(os::kRegionMutexKind)));
  }
  // Only 0 and 1 are ever stored (create, Panic, ClearPanic, a dead holder).
  if (const std::uint32_t panic = h.panic.load(std::memory_order_acquire); panic > 1) {
    return corrupt(absl::StrFormat("panic %u (0 or 1)", panic));
  }
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kMaxAttachments; ++i) {
    const Attachment& a = h.attachments[i];
    if (a.pid == 0) {
      if (a.count != 0 || a.start != 0) return corrupt("a free attachment slot is not empty");
      continue;
    }
    if (a.pid > kMaxPid) {
      return corrupt(absl::StrFormat("attachments[%u].pid %u is beyond the pid range (1 to %u)", i,
                                     a.pid, kMaxPid));
    }
    total += a.count;
  }
  if (total >= UINT32_MAX) {
    return corrupt(absl::StrFormat("attachments: counts add up to %u, beyond the refcount's range", total));
  }
  switch (static_cast<os::Backend>(h.backend)) {
    case os::Backend::kFile:
    case os::Backend::kHeap:
    case os::Backend::kAnonymous:
    case os::Backend::kSysV:
    case os::Backend::kPosixShm:
    case os::Backend::kPagingFile:
      break;
    default:
      return corrupt(absl::StrFormat("unknown backend %u", h.backend));
  }
  if (absl::Status s = CheckFlags(h, name); !s.ok()) return s;
  // A grow under way (or a dead grower's, until the next lock holder settles
  // it: SettleDeadGrow) targets a larger page-multiple size of a file region.
  const std::uint64_t target = h.grow_target.load(std::memory_order_acquire);
  if (target != 0 &&
      (static_cast<os::Backend>(h.backend) != os::Backend::kFile || target <= size ||
       target % kHeaderSize != 0 || target > os::config::kRegionSizeMax)) {
    return corrupt(absl::StrFormat("grow_target %u is not a larger size of a file region of %u bytes",
                                   target, size));
  }
  return absl::OkStatus();
}

absl::Status AddAttachment(RegionHeader& h, std::uint32_t pid, std::uint64_t start,
                           absl::string_view name) {
  Attachment* free_slot = nullptr;
  // The used slots' counts add up to refcount (kept so under the lock; a
  // join checks it in CheckFields): once all of them and a free slot are
  // seen, ours is not among the rest -- no need to scan all 240 slots, which
  // was a tenth of a join's instructions (callgrind, bench/region).
  std::uint64_t seen = 0;
  for (Attachment& a : h.attachments) {
    if (a.pid == pid && a.start == start) {
      ++a.count;
      ++h.refcount;
      return absl::OkStatus();
    }
    if (a.pid == 0) {
      if (free_slot == nullptr) free_slot = &a;
    } else {
      seen += a.count;
    }
    if (free_slot != nullptr && seen >= h.refcount) break;
  }
  if (free_slot == nullptr) {
    return RegionError(RegionErrc::kFull,
                       absl::StrFormat("region %s: %u processes are attached already (the most "
                                       "one region records)",
                                       name, kMaxAttachments));
  }
  *free_slot = Attachment{pid, 1, start};
  ++h.refcount;
  return absl::OkStatus();
}

absl::Status DropAttachment(RegionHeader& h, std::uint32_t pid, std::uint64_t start,
                            absl::string_view name) {
  for (Attachment& a : h.attachments) {
    if (a.pid == pid && a.start == start && a.count > 0) {
      if (--a.count == 0) a = Attachment{0, 0, 0};
      --h.refcount;
      return absl::OkStatus();
    }
  }
  return RegionError(RegionErrc::kCorrupt,
                     absl::StrFormat("region %s: this process (pid %u) is not recorded as attached",
                                     name, pid));
}

std::uint32_t CountAttachments(const RegionHeader& h) {
  std::uint64_t sum = 0;
  for (const Attachment& a : h.attachments) sum += a.pid == 0 ? 0 : a.count;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, UINT32_MAX));
}

void RepairRefcount(RegionHeader& h) {
  const std::uint32_t sum = CountAttachments(h);
  if (h.refcount != sum) h.refcount = sum;
}

std::uint32_t ReconcileDead(RegionHeader& h) {
  std::uint32_t dropped = 0;
  // Stop once every attachment the refcount accounts for was seen (see
  // AddAttachment). A header whose counts do not add up is CheckFields'
  // business; here it only leaves some slot for a later pass.
  const std::uint64_t total = h.refcount;
  std::uint64_t seen = 0;
  for (Attachment& a : h.attachments) {
    if (seen >= total) break;
    if (a.pid == 0) continue;
    seen += a.count;
    absl::StatusOr<bool> alive = os::IsAlive(os::ProcessIdentity{a.pid, a.start});
    // When the OS cannot say, keep the slot: a wrong "dead" would let a live
    // process's region be removed under it.
    if (!alive.ok() || *alive) continue;
    dropped += a.count;
    h.refcount -= a.count;
    a = Attachment{0, 0, 0};
  }
  return dropped;
}

}  // namespace osport::region
