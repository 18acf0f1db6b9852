// A counter in shared memory, shared by every process that runs this program.
// (The README's API tour: tests/CMakeLists.txt checks the two are identical.)
#include <cstdint>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "region/errors.h"
#include "region/lock_guard.h"
#include "region/region.h"

namespace region = osport::region;

struct Counter {      // lives in shared memory: trivially copyable, standard layout
  std::uint64_t value;
  std::uint64_t check;  // == value unless a process died halfway through an update
};

void Repair(Counter& c) { c.check = c.value; }  // your invariant, restored

// A process died holding the lock and the region is panicked: join it for
// recovery (returned locked), repair, clear the panic; the data is kept.
absl::Status Recover(region::RegionOptions o) {
  o.recover = true;
  absl::StatusOr<region::Region> r = region::Region::Attach(o);
  if (!r.ok()) return r.status();
  absl::StatusOr<region::RegionLock> lock = region::RegionLock::Adopt(*r);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<Counter*> c = r->As<Counter>();
  if (!c.ok()) return c.status();
  Repair(**c);
  if (absl::Status s = r->ClearPanic(); !s.ok()) return s;
  if (absl::Status s = lock->Unlock(); !s.ok()) return s;
  return r->Detach();
}

absl::StatusOr<std::uint64_t> Increment(const region::RegionOptions& o) {
  absl::StatusOr<region::Region> r = region::Region::Attach(o);  // create or join
  const region::RegionErrc e = region::RegionErrcOf(r.status());
  if (e == region::RegionErrc::kRunRecovery) {  // panicked, or a holder died: recover
    if (absl::Status s = Recover(o); !s.ok()) return s;
    r = region::Region::Attach(o);
  }
  if (!r.ok()) return r.status();  // corrupt, incompatible, timed_out, not_ready...
  {
    // Attach returns the region LOCKED so that its creator can initialise it.
    absl::StatusOr<region::RegionLock> init = region::RegionLock::Adopt(*r);
    if (!init.ok()) return init.status();
    if (r->created()) {
      absl::StatusOr<Counter*> c = r->As<Counter>();  // valid until Grow/Remap/Detach
      if (!c.ok()) return c.status();
      **c = Counter{0, 0};
    }
  }  // unlocked here
  absl::StatusOr<region::RegionLock> lock = region::RegionLock::Acquire(*r, absl::Seconds(2));
  if (region::IsTimedOut(lock.status())) {
    std::fprintf(stderr, "counter: busy for 2s; not counted\n");  // not held: nothing to undo
  }
  if (!lock.ok()) return lock.status();  // run_recovery: another holder died since we attached
  absl::StatusOr<Counter*> c = r->As<Counter>();
  if (!c.ok()) return c.status();
  if (lock->previous_owner_died()) Repair(**c);  // we hold it; the data may be half updated
  const std::uint64_t now = ++(*c)->value;
  (*c)->check = now;
  if (absl::Status s = lock->Unlock(); !s.ok()) return s;
  if (absl::Status s = r->Detach(); !s.ok()) return s;
  return now;
}

int main(int argc, char** argv) {
  region::RegionOptions o;
  o.home = argc > 1 ? argv[1] : ".";  // an existing directory
  o.name = "counter";
  o.size = 64 << 10;  // file-backed, mode 0600
  absl::StatusOr<std::uint64_t> n = Increment(o);
  if (!n.ok()) {
    std::fprintf(stderr, "counter: %s\n", n.status().ToString().c_str());
    return 1;
  }
  std::printf("counter = %llu\n", static_cast<unsigned long long>(*n));
  return 0;
}
