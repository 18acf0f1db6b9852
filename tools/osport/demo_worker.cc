// osport demo, the workers (started by the demo as `osport demo-worker ...`):
// attach, count under the lock, grow or die when told, detach; each step is
// reported to the parent as one line on stdout.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "os/error.h"
#include "os/file.h"
#include "os/mutex.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "tools/osport/cli.h"
#include "tools/osport/commands.h"
#include "tools/osport/demo.h"

namespace osport::tool {
namespace {

constexpr std::uint64_t kInitialSize = 1 << 20;

// The shared data after the region header.
struct DemoData {
  std::uint64_t counter;               // +1 per round, first thing under the lock
  std::uint64_t done[kMaxWorkers];     // rounds each worker completed, last thing
  std::uint64_t recovered;             // owner deaths repaired
  std::uint64_t checksum;              // folds in each round's private work
};

// What a worker does, from its command line.
struct Plan {
  std::string home;
  int id = 0;
  std::uint64_t rounds = 0;
  std::uint64_t grow_at = 0;    // the grower grows at this round (0: not the grower)
  std::uint64_t die_at = 0;     // the victim stops holding the lock here (0: not the victim)
  os::Backend backend = os::Backend::kFile;
};

// One line to the parent.
void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::string ReadCommand() {
  char buf[128];
  if (std::fgets(buf, sizeof buf, stdin) == nullptr) return "";
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

DemoData& Data(region::Region& r) { return *static_cast<DemoData*>(r.data()); }

std::uint64_t SumDone(const DemoData& d) {
  std::uint64_t sum = 0;
  for (std::uint64_t v : d.done) sum += v;
  return sum;
}

// Takes the region lock; a dead previous owner is an event, not an error:
// its round may be half done (counter bumped, done[] not), so the counter is
// repaired from the completed rounds.
absl::Status LockAndRepair(region::Region& r) {
  absl::Status s = r.Lock();
  if (!os::IsOwnerDead(s)) return s;
  DemoData& d = Data(r);
  const std::uint64_t before = d.counter;
  d.counter = SumDone(d);
  ++d.recovered;
  Say(absl::StrFormat("recovered %u %u", before, d.counter));
  return absl::OkStatus();
}

int RunWorker(const Plan& p) {
  region::RegionOptions o;
  o.home = p.home;
  o.name = kDemoRegionName;
  o.size = kInitialSize;
  o.backend = p.backend;
  o.retry.attempts = 50;
  o.retry.backoff = absl::Milliseconds(10);
  absl::StatusOr<region::Region> attached = region::Region::Attach(o);
  if (!attached.ok()) {
    Say(absl::StrCat("error attach: ", attached.status().message()));
    return 1;
  }
  region::Region r = std::move(*attached);
  Say(absl::StrFormat("attached %d %u", r.created() ? 1 : 0, r.header().refcount));
  if (absl::Status s = r.Unlock(); !s.ok()) return Say(absl::StrCat("error ", s.message())), 1;
  if (ReadCommand() != "go") return 1;

  const std::uint64_t tick = std::max<std::uint64_t>(1, p.rounds / 100);
  std::uint64_t work = static_cast<std::uint64_t>(p.id) + 1;
  for (std::uint64_t i = 1; i <= p.rounds; ++i) {
    // Some private work between rounds, as a real client has: it lets the
    // workers run side by side instead of one after another.
    for (int k = 0; k < 200; ++k) work = work * 6364136223846793005u + 1442695040888963407u;
    if (absl::Status s = LockAndRepair(r); !s.ok()) return Say(absl::StrCat("error lock: ", s.message())), 1;
    DemoData& d = Data(r);
    ++d.counter;
    if (i == p.die_at) {
      // Half a round done, the lock held: the parent kills us now.
      Say(absl::StrFormat("holding %u", i - 1));
      ReadCommand();
      return 3;
    }
    ++d.done[p.id];
    d.checksum ^= work;
    if (i == p.grow_at) {
      const std::uint64_t from = r.size();
      if (absl::Status s = r.Grow(2 * from); !s.ok()) return Say(absl::StrCat("error grow: ", s.message())), 1;
      Say(absl::StrFormat("grew %u %u", from, r.size()));
    }
    if (absl::Status s = r.Unlock(); !s.ok()) return Say(absl::StrCat("error unlock: ", s.message())), 1;
    if (i % tick == 0) {
      if (r.NeedsRemap()) {
        if (absl::Status s = r.Remap(); !s.ok()) return Say(absl::StrCat("error remap: ", s.message())), 1;
        Say(absl::StrFormat("remapped %u", r.size()));
      }
      Say(absl::StrFormat("progress %u", i));
    }
  }
  Say(absl::StrFormat("finished %u", p.rounds));
  const std::string cmd = ReadCommand();
  if (cmd != "detach" && cmd != "detach-keep") return 1;
  if (absl::Status s = LockAndRepair(r); !s.ok()) return Say(absl::StrCat("error lock: ", s.message())), 1;
  if (r.NeedsRemap()) (void)r.Remap();
  const DemoData& d = Data(r);
  const std::uint64_t counter = d.counter, sum = SumDone(d), recovered = d.recovered;
  if (cmd == "detach") {
    if (absl::Status s = r.MarkForRemoval(); !s.ok()) return Say(absl::StrCat("error mark: ", s.message())), 1;
  }
  // Drop dead processes' attachments now (Detach would too) so the count
  // reported is the live one.
  const std::uint32_t dead = region::ReconcileDead(r.header());
  const std::uint32_t before = r.header().refcount;
  if (absl::Status s = r.Unlock(); !s.ok()) return Say(absl::StrCat("error unlock: ", s.message())), 1;
  // A detach from a marked region is OK whether or not it was the last; the
  // last one removes the region, so its file is gone after it.
  const std::string path = r.path();
  absl::Status s = r.Detach();
  if (!s.ok()) return Say(absl::StrCat("error detach: ", s.message())), 1;
  const bool removed = cmd == "detach" && !os::Exists(path).value_or(true);
  Say(absl::StrFormat("detached %u %u %u %u %d %u", before, counter, sum, recovered, removed ? 1 : 0,
                      dead));
  return 0;
}

}  // namespace

int DemoWorker(const std::vector<std::string>& args) {
  Plan p;
  if (args.size() != 6) return kExitUsage;
  p.home = args[0];
  absl::StatusOr<os::Backend> b = os::ParseBackend(args[5]);
  if (!absl::SimpleAtoi(args[1], &p.id) || !absl::SimpleAtoi(args[2], &p.rounds) ||
      !absl::SimpleAtoi(args[3], &p.grow_at) || !absl::SimpleAtoi(args[4], &p.die_at) || !b.ok() ||
      p.id < 0 || p.id >= kMaxWorkers) {
    return kExitUsage;
  }
  p.backend = *b;
  return RunWorker(p);
}

}  // namespace osport::tool
