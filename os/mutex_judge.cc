// The liveness judge of os/mutex.h: whether an acquisition that is not free is
// a live owner's (wait), a dead one's (take over), or the caller's own; from
// one consistent snapshot, as the protocol in os/internal/mutex_word.h says.
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/internal/mutex_impl.h"
#include "os/internal/mutex_wait_policy.h"
#include "os/internal/mutex_word.h"
#include "os/thread.h"

namespace osport::os {

using internal::MutexSnapshot;
using internal::TagOf;
using internal::TidOf;

using internal::Clock;

// Whether the owner of the snapshot's acquisition still runs (see the
// protocol in os/internal/mutex_word.h): its record when written; else its
// id, and a bounded wait for the record while a thread with that id runs.
absl::StatusOr<bool> MutexImpl::OwnerAlive(const Mutex& m, Mutex::Wait& wait, const MutexSnapshot& s,
                                           Clock::time_point now) {
  absl::StatusOr<bool> alive = IsThreadAlive(s.owner);
  if (!alive.ok()) {
    return Annotate(alive.status(), absl::StrCat(Name(m), ": checking whether its owner ",
                                                 OwnerText(s), " is alive"));
  }
  if (!*alive || s.recorded) return alive;
  if (wait.unrecorded_tag != TagOf(s.word)) {
    wait.unrecorded_tag = TagOf(s.word);
    wait.unrecorded_since = now;
  }
  return now - wait.unrecorded_since < internal::kUnrecordedDeadline;
}

// Whether to take over the snapshot's acquisition: true when its owner is
// dead. TryLock reports a failed check; waiting lockers treat the owner as
// alive and check again later (a transient EMFILE must not fail a Lock),
// keeping the error for a timeout's message.
absl::StatusOr<bool> MutexImpl::OwnerGone(const Mutex& m, Mutex::Wait& wait, const MutexSnapshot& s,
                                          Clock::time_point now) {
  absl::StatusOr<bool> alive = OwnerAlive(m, wait, s, now);
  if (alive.ok()) return !*alive;
  if (wait.mode == Mutex::Wait::Mode::kTry) return alive.status();
  wait.liveness_error = alive.status();
  return false;
}

absl::StatusOr<MutexImpl::Verdict> MutexImpl::Judge(const Mutex& m, Mutex::Wait& wait,
                                                    const ThreadIdentity& self, std::uint64_t word,
                                                    bool check_due, Clock::time_point now, MutexSnapshot* s) {
  if (TidOf(word) != self.tid && !check_due) return Verdict::kWait;
  if (!internal::ReadSnapshot(Fields(m), s) || TagOf(s->word) != TagOf(word)) return Verdict::kRetry;
  if (s->owner.tid == self.tid) {
    // It carries our id: ours only when the record says so; otherwise its
    // owner was a thread whose id we now have, so it is gone.
    return IsMine(*s, self) ? Verdict::kSelf : Verdict::kTake;
  }
  absl::StatusOr<bool> gone = OwnerGone(m, wait, *s, now);
  if (!gone.ok()) return gone.status();
  return *gone ? Verdict::kTake : Verdict::kWait;
}

}  // namespace osport::os
