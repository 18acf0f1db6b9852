// Implements region/token.h.
#include "region/token.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "os/config.h"
#include "os/dir.h"
#include "os/error.h"
#include "region/errors.h"
#include "region/trust_checks.h"

namespace osport::region {

namespace {

bool AllZero(const std::uint8_t (&t)[16]) {
  for (std::uint8_t b : t) {
    if (b != 0) return false;
  }
  return true;
}

absl::Status Mismatch(absl::string_view name, os::Backend backend, std::uint64_t id,
                      absl::string_view field) {
  return RegionError(RegionErrc::kCorrupt,
                     absl::StrFormat("region %s: corrupt stub: %s: %s memory %u does not belong to "
                                     "this stub (its id was changed, or reused); it is neither used "
                                     "nor removed",
                                     name, field, os::BackendName(backend), id));
}

}  // namespace

absl::StatusOr<Binding> NewBinding(os::File* stub) {
  Binding b;
  std::random_device rd;
  for (std::size_t i = 0; i < sizeof b.token; i += 4) {
    const std::uint32_t word = rd();
    std::memcpy(b.token + i, &word, 4);
  }
  if (AllZero(b.token)) b.token[0] = 1;  // 0 means "never written"
  if (stub != nullptr) {
    absl::StatusOr<os::FileInfo> info = os::StatOpenFile(*stub);
    if (!info.ok()) return info.status();
    b.stub_device = info->device;
    b.stub_inode = info->inode;
  }
  return b;
}

void WriteBinding(const Binding& b, RegionHeader& h) {
  std::memcpy(h.token, b.token, sizeof h.token);
  h.stub_device = b.stub_device;
  h.stub_inode = b.stub_inode;
}

absl::Status CheckBinding(const RegionHeader& stub_header, const RegionHeader& memory, os::File& stub,
                          absl::string_view name, os::Backend backend, std::uint64_t id) {
  if (memory.magic.load(std::memory_order_acquire) == 0 && AllZero(memory.token)) {
    // Never written by osport: nothing in it says whose it is. It is this
    // stub's abandoned creation only where this stub's creator puts memory,
    // under a name derived from the stub. Elsewhere it is someone else's:
    // SysV ids restart after a reboot or in a new IPC namespace while the
    // stub stays on disk, and a stub others may write may have been edited
    // (review 10: every command removed the user's unrelated segment that
    // had taken a stale stub's id). That memory is left alone, and for this
    // stub its memory is gone.
    if (backend != os::Backend::kSysV && backend != os::Backend::kPosixShm) return absl::OkStatus();
    absl::StatusOr<std::vector<std::uint64_t>> ids = os::DerivedSystemMemoryIds(backend, stub);
    if (!ids.ok()) return ids.status();
    if (std::find(ids->begin(), ids->end(), id) != ids->end()) return absl::OkStatus();
    return os::MemoryGoneError(
        absl::StrFormat("region %s: the %s memory %u its stub records", name, os::BackendName(backend), id),
        "what has that id now is not under a name derived from the stub -- the id was reused after a "
        "reboot or in a new IPC namespace, or the stub was edited -- so it is another program's and "
        "is left alone");
  }
  if (AllZero(stub_header.token)) return Mismatch(name, backend, id, "the stub has no token");
  if (std::memcmp(stub_header.token, memory.token, sizeof memory.token) != 0) {
    return Mismatch(name, backend, id, "token");
  }
  absl::StatusOr<os::FileInfo> info = os::StatOpenFile(stub);
  if (!info.ok()) return info.status();
  if (memory.stub_device != info->device || memory.stub_inode != info->inode) {
    return Mismatch(name, backend, id, "stub identity (the memory was made for another stub file)");
  }
  return absl::OkStatus();
}

absl::StatusOr<os::Mapping> AttachBoundMemory(os::File& stub, const RegionHeader& h,
                                              std::uint64_t size, const RegionOptions& o,
                                              std::uint32_t mode, os::MapAccess access) {
  const auto backend = static_cast<os::Backend>(h.backend);
  const std::uint64_t id = h.system_id;
  absl::StatusOr<os::Mapping> m =
      AttachRegionMemory(backend, stub, id, size, o, mode, os::MapAccess::kReadOnly);
  if (!m.ok()) return m;
  if (absl::Status s = CheckBinding(h, *static_cast<const RegionHeader*>(m->data()), stub, o.name,
                                    backend, id);
      !s.ok()) {
    return s;
  }
  if (access == os::MapAccess::kReadOnly) return m;
  (void)m->Unmap();
  m = os::AttachSystemMemory(backend, stub, id, size, os::MapAccess::kReadWrite);
  if (!m.ok()) return m;
  if (absl::Status s = CheckBinding(h, *static_cast<const RegionHeader*>(m->data()), stub, o.name,
                                    backend, id);
      !s.ok()) {
    return s;
  }
  return m;
}

absl::Status RemoveBoundMemory(os::File& stub, const RegionHeader& h, const RegionOptions& o) {
  const auto backend = static_cast<os::Backend>(h.backend);
  const std::uint64_t id = h.system_id;
  const std::uint64_t size = h.size.load(std::memory_order_relaxed);
  if (!os::BackendNamed(backend) || !os::BackendSupported(backend)) return absl::OkStatus();
  auto left = [&](const absl::Status& why) {
    // Memory a written header binds to another stub is someone else's: no
    // "ipcrm"/"rm" hint for it (review 10: the hint named another live
    // region's segment).
    const std::string what = RegionErrcOf(why) == RegionErrc::kCorrupt
                                 ? absl::StrFormat("%s memory %u", os::BackendName(backend), id)
                                 : os::SystemMemoryName(backend, id);
    return os::Annotate(why, absl::StrFormat("left %s in place", what));
  };
  if (size < 2 * kHeaderSize || size % kHeaderSize != 0 || size > os::config::kRegionSizeMax) {
    return left(RegionError(RegionErrc::kCorrupt,
                            absl::StrFormat("region %s: corrupt stub: size %u", o.name, size)));
  }
  // Any mode: removing is about whose memory it is.
  absl::StatusOr<os::Mapping> m = AttachBoundMemory(stub, h, size, o, 0777, os::MapAccess::kReadOnly);
  if (!m.ok()) {
    if (os::IsMemoryGone(m.status())) return absl::OkStatus();  // not a transient EAGAIN: that keeps the stub
    return left(m.status());
  }
  (void)m->Unmap();
  return os::RemoveSystemMemory(backend, id);
}

bool NotProvablyTheStubs(const absl::Status& s) {
  return os::IsUntrusted(s) || RegionErrcOf(s) == RegionErrc::kCorrupt;
}

std::vector<BoundMemory> FindBoundMemory(os::File& stub, const RegionHeader& h, const RegionOptions& o,
                                         bool identity_only) {
  std::vector<BoundMemory> found;
  if (AllZero(h.token) && !identity_only) return found;  // nothing to recognise it by
  absl::StatusOr<os::FileInfo> self = os::StatOpenFile(stub);
  if (!self.ok()) return found;
  for (os::Backend backend : {os::Backend::kSysV, os::Backend::kPosixShm, os::Backend::kPagingFile}) {
    if (!os::BackendSupported(backend)) continue;
    absl::StatusOr<std::vector<std::uint64_t>> ids = os::DerivedSystemMemoryIds(backend, stub);
    if (!ids.ok()) continue;
    for (std::uint64_t id : *ids) {
      // Its header is all this needs; any mode, as it is only looked at.
      absl::StatusOr<os::Mapping> m =
          AttachRegionMemory(backend, stub, id, kHeaderSize, o, 0777, os::MapAccess::kReadOnly);
      if (!m.ok()) continue;
      const auto* memory = static_cast<const RegionHeader*>(m->data());
      const bool written = !AllZero(memory->token);
      const bool token = written && CheckBinding(h, *memory, stub, o.name, backend, id).ok();
      // The stub's identity, and the same creation: an earlier stub's memory
      // may still be under these names when this stub reused its inode, so
      // the creation must match too -- its time, which is in seconds, and
      // its creator (pid and start stamp), which tells another process's
      // creation within the same second apart.
      const bool identity = written && memory->stub_device == self->device &&
                            memory->stub_inode == self->inode && memory->create_time == h.create_time &&
                            memory->creator_pid == h.creator_pid && memory->creator_start == h.creator_start;
      if (token || (identity_only && identity)) {
        found.push_back(BoundMemory{backend, id, memory->size.load(std::memory_order_acquire), token});
      }
      (void)m->Unmap();
    }
  }
  // Proven memory first: what callers name or act on first is the stub's
  // own, never a look-alike found before it.
  std::stable_partition(found.begin(), found.end(), [](const BoundMemory& m) { return m.token_matches; });
  return found;
}

absl::Status CheckMemoryGone(os::File& stub, const RegionHeader& h, const RegionOptions& o) {
  // Memory that records this stub's identity is the stub's even when the
  // tokens differ (one of them damaged): never taken for gone.
  const std::vector<BoundMemory> found = FindBoundMemory(stub, h, o, /*identity_only=*/true);
  if (found.empty()) return absl::OkStatus();
  const BoundMemory& m = found.front();
  const std::uint64_t size = h.size.load(std::memory_order_relaxed);
  std::vector<std::string> wrong;
  if (!m.token_matches) wrong.push_back("token");
  if (static_cast<std::uint32_t>(m.backend) != h.backend) wrong.push_back(absl::StrFormat("backend %u", h.backend));
  if (m.id != h.system_id) wrong.push_back(absl::StrFormat("system_id %u", h.system_id));
  if (m.size != size) wrong.push_back(absl::StrFormat("size %u", size));
  return RegionError(RegionErrc::kCorrupt,
                     absl::StrFormat("region %s: corrupt stub: it records %s, but its memory is %s "
                                     "memory %u of %u bytes (bound to it by %s); the memory is left as "
                                     "it is: remove --force %s",
                                     o.name, wrong.empty() ? "what it found" : absl::StrJoin(wrong, ", "),
                                     os::BackendName(m.backend), m.id, m.size,
                                     m.token_matches ? "its token" : "the stub's identity and creation only",
                                     m.token_matches ? "removes both" : "removes the stub and names the memory it leaves"));
}

}  // namespace osport::region
