// The platform primitives the neutral mutex code (os/mutex.cc) calls; each
// platform implements them in os/<platform>/mutex_*.cc. Not a public header.
// Everything else -- the owner-word encoding, spinning, back-off, deadlines,
// liveness checks, takeover, statistics -- is neutral and written once.
//
// A port supplies these four functions plus os/thread.h's FillCurrentThread,
// IsThreadAlive and ThreadStartStamp. For Win32: thread ids from
// GetCurrentThreadId (unique among running threads system-wide, < 2^30),
// start stamps from GetThreadTimes' creation time (OpenThread with
// THREAD_QUERY_LIMITED_INFORMATION; a failed open with ERROR_INVALID_PARAMETER
// means gone), HaveNativeWordWait() false (WaitOnAddress does not cross
// processes) so WaitWord sleeps, and LockFileEx/UnlockFileEx on one byte for
// the file-lock kind (locks belong to a handle there, so threads of one
// process already exclude each other; the stripe mutexes of the POSIX file
// are not needed).
#ifndef OSPORT_OS_INTERNAL_MUTEX_PLATFORM_H_
#define OSPORT_OS_INTERNAL_MUTEX_PLATFORM_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "os/file.h"

namespace osport::os::internal {

// --- Waiting on the lock word (spin kind) -------------------------------------

// True when WaitWord sleeps in the kernel until WakeWord (or the timeout);
// false when it merely sleeps for the time given (then the caller backs off
// with growing sleeps and unlockers need not wake anyone).
[[nodiscard]] bool HaveNativeWordWait();

// Sleeps while *word == expected, for at most `max_wait` (> 0). Returns OK when
// woken, timed out, interrupted, or the word had already changed: the caller
// re-reads the word either way. Errors only when the wait itself failed (the
// status names the call).
[[nodiscard]] absl::Status WaitWord(const std::uint32_t* word, std::uint32_t expected,
                                    absl::Duration max_wait);

// Wakes one thread sleeping in WaitWord on `word` (nothing without a native
// wait).
[[nodiscard]] absl::Status WakeWord(const std::uint32_t* word);

// --- The byte-range lock (file-lock kind) ------------------------------------

// Takes the exclusive lock on the byte at `offset` of `file`, also excluding
// other threads of this process (platforms whose locks belong to the whole
// process serialise threads here). With `wait` it blocks until granted;
// without, *busy = true and OK when another holds it. Every granted lock must
// be released by UnlockByte from the same thread.
[[nodiscard]] absl::Status LockByte(File& file, std::uint64_t offset, bool wait, bool* busy);

// Releases what LockByte granted. The in-process part is released even when
// the kernel call fails.
[[nodiscard]] absl::Status UnlockByte(File& file, std::uint64_t offset);

}  // namespace osport::os::internal

#endif  // OSPORT_OS_INTERNAL_MUTEX_PLATFORM_H_
