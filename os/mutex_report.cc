// The messages and checks of os/mutex.h: the mutex's name, its owner in words,
// the validation every entry point makes, and each error status it returns.
#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/internal/atomic_word.h"
#include "os/internal/mutex_impl.h"
#include "os/internal/mutex_wait_policy.h"
#include "os/internal/mutex_word.h"

namespace osport::os {

using internal::AtomicLoad;
using internal::kRelaxed;
using internal::kReservedBit;
using internal::LowHalf;
using internal::MutexSnapshot;
using internal::TagOf;
using internal::TidOf;

std::string MutexImpl::Name(const Mutex& m) {
  return absl::StrCat("mutex at offset ", AtomicLoad(&m.offset_, kRelaxed));
}

// "thread 123 of process 120", or "thread 123" when the record is not (yet)
// this owner's.
std::string MutexImpl::OwnerText(const MutexSnapshot& s) {
  if (s.recorded) return absl::StrCat("thread ", s.owner.tid, " of process ", s.owner.pid);
  return absl::StrCat("thread ", s.owner.tid);
}
std::string MutexImpl::OwnerText(const Mutex& m, std::uint64_t word) {
  MutexSnapshot s;
  if (internal::ReadSnapshot(Fields(m), &s) && TagOf(s.word) == TagOf(word)) return OwnerText(s);
  return absl::StrCat("thread ", TidOf(word));
}

// The checks every entry point makes; cheap enough for the slow paths.
absl::Status MutexImpl::Check(const Mutex& m, const File* file, bool need_file) {
  if (m.magic_ != internal::kMutexMagic) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrFormat("mutex storage is not an initialised osport mutex "
                                         "(check word 0x%08x): corrupt, or Init was never called",
                                         m.magic_));
  }
  if (m.kind_ != static_cast<std::uint32_t>(MutexKind::kSpin) &&
      m.kind_ != static_cast<std::uint32_t>(MutexKind::kFileLock)) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat(Name(m), ": corrupt mutex kind ", m.kind_));
  }
  const std::uint64_t word = AtomicLoad(&m.lock_, kRelaxed);  // relaxed: a validity check only
  if (internal::WordCorrupt(word)) return CorruptWord(m, word);
  if (need_file && m.kind_ == static_cast<std::uint32_t>(MutexKind::kFileLock) &&
      (file == nullptr || !file->is_open())) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat(Name(m), ": a file-lock mutex needs the region's open "
                                               "backing file, got ",
                                      file == nullptr ? "none" : "a closed file"));
  }
  return absl::OkStatus();
}

absl::Status MutexImpl::CorruptWord(const Mutex& m, std::uint64_t word) {
  if ((LowHalf(word) & kReservedBit) == 0) {
    return CorruptError(absl::StrFormat("%s: corrupt lock word 0x%08x (generation %u): owner thread id %u "
                                        "is beyond this platform's thread ids (1 to %u)",
                                        Name(m), LowHalf(word), internal::GenerationOf(word),
                                        TidOf(word), config::kThreadIdMax));
  }
  return CorruptError(absl::StrFormat("%s: corrupt lock word 0x%08x (generation %u)", Name(m),
                                      LowHalf(word), internal::GenerationOf(word)));
}

absl::Status MutexImpl::Busy(const Mutex& m, std::uint64_t word) {
  if (TidOf(word) == 0) {
    return PortableError(absl::StatusCode::kUnavailable, EBUSY,
                         absl::StrCat(Name(m), " is being locked by another thread or process"));
  }
  return PortableError(absl::StatusCode::kUnavailable, EBUSY,
                       absl::StrCat(Name(m), " is held by ", OwnerText(m, word)));
}

absl::Status MutexImpl::Timeout(const Mutex& m, const Mutex::Wait& wait, std::uint64_t word) {
  std::string message = absl::StrCat(Name(m), ": timed out; held by ", OwnerText(m, word));
  if (!wait.liveness_error.ok()) {
    absl::StrAppend(&message, "; whether the owner lives is unknown: ", wait.liveness_error.message());
  }
  return PortableError(absl::StatusCode::kDeadlineExceeded, ETIMEDOUT, message);
}

absl::Status MutexImpl::SelfDeadlock(const Mutex& m) {
  return PortableError(absl::StatusCode::kFailedPrecondition, EDEADLK,
                       absl::StrCat(Name(m), " is already held by the calling thread"));
}

absl::Status MutexImpl::UnknownSelf(const Mutex& m) {
  return PortableError(absl::StatusCode::kUnavailable, EAGAIN,
                       absl::StrCat(Name(m), ": not locked: the calling thread's start stamp could not "
                                             "be read just now (out of file descriptors?), and a holder "
                                             "recorded without it would not be recognised at its "
                                             "unlock; retry"));
}

absl::Status MutexImpl::OwnerDied(const Mutex& m, const std::string& previous) {
  return PortableError(absl::StatusCode::kAborted, EOWNERDEAD,
                       absl::StrCat(Name(m), ": its owner (", previous,
                                    ") died holding it; the caller now holds it and the data "
                                    "it guards may be inconsistent"));
}

}  // namespace osport::os
