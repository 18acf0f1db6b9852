// The region header: the first 4 KiB of every region, and the whole of a
// stub file. Fixed-width fields, one layout for 32- and 64-bit processes;
// the mutex first (it gets the mapping's alignment); the magic written last.
#ifndef OSPORT_REGION_HEADER_H_
#define OSPORT_REGION_HEADER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "os/mutex.h"

namespace osport::region {

inline constexpr std::uint32_t kRegionMagic = 0x4F535052;  // "OSPR"
// 2: the mutex has a 64-bit lock word with an acquisition generation (issue 15).
// 3: the token and the stub's identity bind a stub to its memory (issue 12);
//    grow_target records a grow under way (issue 11).
// 4: pid_namespace: attachers in one pid namespace only (review 10).
inline constexpr std::uint32_t kLayoutVersion = 4;
inline constexpr std::size_t kHeaderSize = 4096;
inline constexpr std::size_t kMaxAttachments = 240;

// Header flags (shared by every attached process).
inline constexpr std::uint32_t kFlagNamed = 1u << 0;          // memory is system memory; the file is a stub
inline constexpr std::uint32_t kFlagRemoveOnDetach = 1u << 1; // the last detach removes the region
inline constexpr std::uint32_t kFlagPrivate = 1u << 2;        // one process only

// One process attached to the region: crash-safe reference counting. A slot
// whose process is dead is reconciled (dropped) by the next attach, detach
// or remove, so the count is right again after a crash.
struct Attachment {
  std::uint32_t pid;    // 0 = free slot
  std::uint32_t count;  // attachments by this process
  std::uint64_t start;  // the process's start stamp (a reused pid differs)
};

struct RegionHeader {
  os::Mutex mutex;                  // 0: first, 64 bytes
  std::atomic<std::uint32_t> magic; // 64: kRegionMagic once initialised, 0 while created/removed
  std::uint32_t format;             // 68: FormatWord(): layout version, mutex kind, sizes
  std::uint32_t refcount;           // 72: sum of the attachment counts (a cache: RepairRefcount)
  std::atomic<std::uint32_t> panic; // 76: non-zero: every attach gets kRunRecovery
  std::atomic<std::uint64_t> size;  // 80: total region size in bytes (read unlocked by NeedsRemap)
  std::uint32_t version;            // 88: library version that created it (major<<16|minor<<8|patch)
  std::uint32_t flags;              // 92: kFlag*
  std::uint32_t backend;            // 96: os::Backend
  std::uint32_t mode;               // 100: permissions
  std::uint64_t system_id;          // 104: SysV shmid / POSIX shm id; 0 for file regions
  std::uint32_t creator_pid;        // 112
  std::uint32_t attach_slots;       // 116: kMaxAttachments
  std::uint64_t creator_start;      // 120
  std::uint64_t create_time;        // 128: seconds since the Unix epoch
  std::uint8_t token[16];           // 136: random, in the stub and the memory (region/token.h)
  std::uint64_t stub_device;        // 152: the stub's identity (device, inode) at creation
  std::uint64_t stub_inode;         // 160
  // 168: a grow's target size while it is under way, 0 otherwise; set and
  // cleared under the region lock (Region::Grow), so a non-zero value seen
  // by a later lock holder means the grower died (SettleDeadGrow).
  std::atomic<std::uint64_t> grow_target;
  // 176: the pid namespace of every attached process (os::CurrentPidNamespace;
  // 0: a platform with one). Written by an initialiser, or by a joiner that
  // adopts the region, only while holding the exclusive liveness lock, so
  // it cannot change under an attached process (region/liveness.h, "Pid
  // namespaces"); read without the region lock.
  std::atomic<std::uint64_t> pid_namespace;
  std::uint8_t reserved[72];        // 184: zero; room for later fields
  Attachment attachments[kMaxAttachments];  // 256
};

static_assert(sizeof(os::Mutex) == 64, "the header layout assumes a 64-byte mutex");
static_assert(sizeof(std::atomic<std::uint32_t>) == 4 && std::atomic<std::uint32_t>::is_always_lock_free,
              "header atomics must be plain lock-free words");
static_assert(sizeof(std::atomic<std::uint64_t>) == 8 && std::atomic<std::uint64_t>::is_always_lock_free,
              "the size word must be a lock-free 8-byte atomic, also on 32-bit targets");
static_assert(offsetof(RegionHeader, magic) == 64, "layout");
static_assert(offsetof(RegionHeader, size) == 80, "layout");
static_assert(offsetof(RegionHeader, system_id) == 104, "layout");
static_assert(offsetof(RegionHeader, create_time) == 128, "layout");
static_assert(offsetof(RegionHeader, token) == 136, "layout");
static_assert(offsetof(RegionHeader, stub_device) == 152, "layout");
static_assert(offsetof(RegionHeader, stub_inode) == 160, "layout");
static_assert(offsetof(RegionHeader, grow_target) == 168, "layout");
static_assert(offsetof(RegionHeader, pid_namespace) == 176, "layout");
static_assert(offsetof(RegionHeader, reserved) == 184, "layout");
static_assert(offsetof(RegionHeader, attachments) == 256, "layout");
static_assert(sizeof(Attachment) == 16, "layout");
static_assert(sizeof(RegionHeader) == kHeaderSize, "the header is exactly one 4 KiB page");
static_assert(alignof(RegionHeader) == 8, "same alignment on 32- and 64-bit targets");

// The format word this build writes and accepts:
// layout version << 24 | mutex kind << 16 | mutex size / 8 << 8 | header size / 256.
// A 32-bit word in the other byte order (a header made on such a machine).
[[nodiscard]] constexpr std::uint32_t ByteSwap(std::uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}
[[nodiscard]] std::uint32_t FormatWord();
// Whether `format` can be a format word of some osport build (a layout
// version, a mutex kind osport has): told apart from anyone's bytes.
[[nodiscard]] bool PlausibleFormatWord(std::uint32_t format);
[[nodiscard]] std::uint32_t FormatWord(os::MutexKind kind);
// The library version word.
[[nodiscard]] std::uint32_t VersionWord();

// Validates what a joiner can check before touching the mutex: the magic
// (0 = not initialised yet is NOT checked here; callers retry on it), byte
// order, format. `name` is for messages.
[[nodiscard]] absl::Status CheckMagicAndFormat(std::uint32_t magic, std::uint32_t format,
                                               absl::string_view name);

// kCorrupt naming the flags if `h` carries any this layout does not define
// (every reader checks them before it acts on one: join, preflight, stat).
[[nodiscard]] absl::Status CheckFlags(const RegionHeader& h, absl::string_view name);

// Validates the fields of an initialised header against the size of the
// file/memory holding it (`available` bytes; a header claiming more is
// truncated, never mapped past), under the region lock.
[[nodiscard]] absl::Status CheckFields(const RegionHeader& h, std::uint64_t available,
                                       absl::string_view name);

// Attachment bookkeeping; all under the region lock.
[[nodiscard]] absl::Status AddAttachment(RegionHeader& h, std::uint32_t pid, std::uint64_t start,
                                         absl::string_view name);
[[nodiscard]] absl::Status DropAttachment(RegionHeader& h, std::uint32_t pid, std::uint64_t start,
                                          absl::string_view name);
// The sum of the slots' counts: what refcount caches. Writers update a slot
// and then refcount; a process killed in between leaves them apart, so
// every locked user first repairs the cache from the slots.
[[nodiscard]] std::uint32_t CountAttachments(const RegionHeader& h);
void RepairRefcount(RegionHeader& h);
// Drops the slots of dead processes; returns how many attachments it dropped.
std::uint32_t ReconcileDead(RegionHeader& h);

}  // namespace osport::region

#endif  // OSPORT_REGION_HEADER_H_
