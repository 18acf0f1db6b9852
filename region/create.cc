// Attach, the initialiser's side: system memory or file, the header (magic
// last), the stub, and the replacement of an abandoned region in place.
#include "region/attacher.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/strings/str_format.h"
#include "os/config.h"
#include "os/error.h"
#include "os/process.h"
#include "os/thread.h"
#include "os/time.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/grow.h"
#include "region/liveness.h"
#include "region/preflight.h"
#include "region/token.h"
#include "region/trust_checks.h"

namespace osport::region {

using os::HasErrno;

absl::Status Attacher::Initialise(Region& r) {
  RegionHeader& h = r.header();
  // A file region's page already holds the creation record (WriteRecord);
  // memory (named or private) starts here. The magic goes last.
  h.format = FormatWord();
  if (absl::Status s = h.mutex.Init(os::kRegionMutexKind, 0); !s.ok()) return s;
  if (absl::Status s = h.mutex.Lock(&r.file_); !s.ok()) return s;
  const os::ProcessIdentity me = Me();
  h.refcount = 0;
  h.panic.store(0, std::memory_order_relaxed);
  h.size.store(r.map_.size(), std::memory_order_relaxed);
  h.version = VersionWord();
  h.flags = (os::BackendNamed(backend_) ? kFlagNamed : 0) | (o_.private_region ? kFlagPrivate : 0);
  h.backend = static_cast<std::uint32_t>(backend_);
  h.mode = o_.mode;
  h.system_id = r.map_.system_id();
  h.creator_pid = me.pid;
  h.creator_start = me.start;
  h.attach_slots = kMaxAttachments;
  h.create_time = static_cast<std::uint64_t>(std::time(nullptr));
  h.grow_target.store(0, std::memory_order_relaxed);
  h.pid_namespace.store(pid_namespace_, std::memory_order_relaxed);  // published by the magic
  std::memset(h.reserved, 0, sizeof h.reserved);
  WriteBinding(binding_, h);
  std::memset(static_cast<void*>(h.attachments), 0, sizeof h.attachments);
  if (absl::Status s = AddAttachment(h, me.pid, me.start, o_.name); !s.ok()) return s;
  if (o_.prefault && r.map_.backend() != os::Backend::kFile) {
    // File regions were faulted in by GrowRegionFile's caller already.
    if (absl::Status s = os::Prefault(r.map_, 0, r.map_.size()); !s.ok()) return s;
  }
  r.created_ = true;
  h.magic.store(kRegionMagic, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Attacher::CreateAndPublish(Region& r) {
  if (absl::Status s = Create(r); !s.ok()) return s;
  return Downgrade(r);
}

absl::Status Attacher::RemoveStaleMemory(Region& r) {
  // Memory whose creator died before recording it, of whichever backend it
  // was made with (the caller's option says nothing about the dead
  // creator's: review 5 had 'osport lock' leak it); only for an empty stub.
  for (os::Backend b : {os::Backend::kSysV, os::Backend::kPosixShm}) {
    if (!os::BackendSupported(b)) continue;
    // Another user's objects under the derived names are not ours to
    // remove; the creation below names them if they are in its way.
    absl::Status s = os::RemoveSystemMemoryOf(b, r.file_);
    if (!s.ok() && !NotProvablyTheStubs(s)) return s;
  }
  alignas(8) std::byte buf[kHeaderSize];
  absl::StatusOr<std::size_t> n = os::ReadAt(r.file_, 0, buf);
  if (!n.ok()) return n.status();
  if (*n != kHeaderSize) return absl::OkStatus();  // no record: nothing it names
  const auto* stub = reinterpret_cast<const RegionHeader*>(buf);
  const auto backend = static_cast<os::Backend>(stub->backend);
  if ((stub->flags & kFlagNamed) == 0 || !os::BackendNamed(backend) || !os::BackendSupported(backend)) {
    return absl::OkStatus();
  }
  absl::Status s = RemoveBoundMemory(r.file_, *stub, o_);  // only memory bound to this stub
  if (s.ok() || NotProvablyTheStubs(s)) return absl::OkStatus();
  return os::Annotate(s, absl::StrFormat("region %s: removing the memory its abandoned stub records "
                                         "failed; kept the stub, so that a retry finds it",
                                         o_.name));
}

absl::Status Attacher::CheckReplaceable(Region& r) {
  // Only what osport made or a dead creator left is replaced or removed: a
  // user's file at the name is named and left as it is (issue 12).
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(r.file_);
  if (!info.ok()) return info.status();
  absl::StatusOr<bool> ours = MayBeOsportFile(r.file_, info->size());
  if (!ours.ok()) return ours.status();
  if (!*ours) {
    return RegionError(RegionErrc::kNotARegion,
                       absl::StrFormat("region %s: %s is not an osport region (%u bytes, no osport "
                                       "header) and was left as it is",
                                       o_.name, path_, info->size()));
  }
  return absl::OkStatus();
}

absl::Status Attacher::Replace(Region& r, const std::string& why) {
  if (!o_.create) {
    (void)UnlinkIfSameAt(home_, o_.name, r.file_);  // we hold exclusive: nobody can replace it meanwhile
    return os::PortableError(absl::StatusCode::kNotFound, ENOENT,
                             absl::StrFormat("region %s does not exist: %s was what is left of one "
                                             "(%s) and is now removed",
                                             o_.name, path_, why));
  }
  if (absl::Status s = os::Truncate(r.file_, 0); !s.ok()) return s;
  // The mode asked for, exactly: the remnant may have been made with
  // another (by a creator asking for another, or by hand).
  if (absl::Status s = os::SetMode(r.file_, o_.mode); !s.ok()) return s;
  return CreateAndPublish(r);
}

namespace {

// Named memory that another process can remove while we make it: SysV and
// POSIX shm names are derived from the stub, and a clean-up of those names
// (os::RemoveSystemMemoryOf: a neighbouring stub's create or remove --force,
// whose derived names may overlap ours) removes memory that is unattached
// and was never written -- which is what ours is until Initialise writes it.
// ipcrm can remove it at any time. (A Win32 section lives while we hold it.)
bool RemovableByOthers(os::Backend b) { return b == os::Backend::kSysV || b == os::Backend::kPosixShm; }

// How often a creation whose memory was taken away is made again, holding
// the exclusive lock throughout, before the attach gives up.
constexpr int kMakeTries = 4;

}  // namespace

absl::Status Attacher::Create(Region& r) {
  absl::StatusOr<Binding> binding = NewBinding(&r.file_);
  if (!binding.ok()) return binding.status();
  binding_ = *binding;
  if (!os::BackendNamed(backend_)) {
    // The creation record before the file has any size: a file is told
    // from anyone else's by a record naming this very file (MayBeOsportFile).
    if (absl::Status s = WriteRecord(r, /*system_id=*/0, size_); !s.ok()) return s;
    if (absl::Status s = GrowRegionFile(r.file_, kHeaderSize, size_); !s.ok()) return s;
    absl::StatusOr<os::Mapping> m = os::MapFile(r.file_, size_);
    if (!m.ok()) return m.status();
    r.map_ = std::move(*m);
    if (o_.prefault) {
      if (absl::Status s = os::Prefault(r.map_, 0, size_); !s.ok()) return s;
    }
    if (o_.private_region) r.remove_file_on_detach_ = true;
    return Initialise(r);
  }
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) {
      // The stub records the memory that was taken: empty it first, so a
      // death before the next record leaves an empty stub, whose derived
      // names are what finds the new memory (os::RemoveSystemMemoryOf).
      if (absl::Status s = os::Truncate(r.file_, 0); !s.ok()) return s;
    }
    bool taken = false;
    absl::Status s = CreateNamed(r, &taken);
    if (!taken) return s;
    if (attempt == kMakeTries) {
      if (!s.ok()) return s;
      return RegionError(RegionErrc::kBusy,
                         absl::StrFormat("region %s: its new %s memory was removed by another "
                                         "process while it was being made, %d times in a row",
                                         o_.name, os::BackendName(backend_), kMakeTries));
    }
  }
}

absl::Status Attacher::CreateNamed(Region& r, bool* taken) {
  absl::StatusOr<os::Mapping> m = os::CreateSystemMemory(backend_, r.file_, size_, o_.mode);
  if (!m.ok()) {
    // A new SysV segment removed between its shmget and its shmat.
    *taken = backend_ == os::Backend::kSysV && (HasErrno(m.status(), EINVAL) || HasErrno(m.status(), EIDRM));
    return m.status();
  }
  r.map_ = std::move(*m);
  // Record the id in the stub before the memory is written (magic still
  // 0), so whoever replaces an abandoned creation, or remove --force,
  // finds it. Before this point its name is derived from the stub.
  if (absl::Status s = WriteRecord(r, r.map_.system_id(), r.map_.size()); !s.ok()) return s;
  if (absl::Status s = Initialise(r); !s.ok()) return s;
  if (absl::Status s = WriteStubCopy(r); !s.ok()) return s;
  if (!RemovableByOthers(backend_)) return absl::OkStatus();
  // Still holding exclusive, nobody has seen this region yet: publish it
  // only if its id still names this memory. Once written (magic, token) and
  // attached it no longer looks abandoned, so after this check only a
  // deliberate removal (ipcrm) can take it: then joiners rightly refuse.
  absl::StatusOr<bool> still = StillNamed(r);
  if (!still.ok()) return still.status();
  if (*still) return absl::OkStatus();
  // Taken: drop our copy without removing anything by its id (the name may
  // be another region's now) and make it again.
  (void)r.map_.Unmap();
  r.created_ = false;
  *taken = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> Attacher::StillNamed(Region& r) {
  absl::StatusOr<os::Mapping> m =
      AttachRegionMemory(backend_, r.file_, r.map_.system_id(), r.map_.size(), o_, o_.mode,
                         os::MapAccess::kReadOnly);
  if (!m.ok()) {
    // Gone, or someone else's memory under the name now.
    // (Only a definite "gone": an attach refused for now -- EAGAIN from
    // mmap -- is not proof, and taking it for one made the memory again
    // under a new name and leaked this one. The error fails the create,
    // whose clean-up removes this memory while holding exclusive.)
    if (os::IsMemoryGone(m.status()) || os::IsUntrusted(m.status())) return false;
    return m.status();
  }
  const auto* seen = static_cast<const RegionHeader*>(m->data());
  const bool ours = std::memcmp(seen->token, binding_.token, sizeof binding_.token) == 0;
  (void)m->Unmap();
  return ours;
}

absl::Status Attacher::WriteRecord(Region& r, std::uint64_t system_id, std::uint64_t size) {
  // One write of one header page: a creator killed during it leaves an
  // empty file or the whole record (a write within one page is not split
  // by a signal), never a part.
  alignas(8) std::byte buf[kHeaderSize] = {};
  auto* h = reinterpret_cast<RegionHeader*>(buf);
  h->format = FormatWord();
  const bool named = os::BackendNamed(backend_);
  h->flags = (named ? kFlagNamed : 0) | (o_.private_region ? kFlagPrivate : 0);
  h->backend = static_cast<std::uint32_t>(backend_);
  h->system_id = system_id;
  h->size.store(size, std::memory_order_relaxed);
  WriteBinding(binding_, *h);
  return os::WriteAt(r.file_, 0, gsl::span<const std::byte>(buf, kHeaderSize));
}

absl::Status Attacher::WriteStubCopy(Region& r) {
  return os::WriteAt(r.file_, 0, gsl::span<const std::byte>(static_cast<const std::byte*>(r.map_.data()), kHeaderSize));
}

}  // namespace osport::region
