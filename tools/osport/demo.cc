// osport demo: N worker processes race to attach one region, count under its
// lock while one grows it and one is killed holding the lock; the parent
// narrates and checks that everything adds up and nothing is left behind.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "os/error.h"
#include "os/mutex.h"
#include "os/process.h"
#include "region/errors.h"
#include "region/region.h"
#include "region/stat.h"
#include "tools/osport/cli.h"
#include "tools/osport/commands.h"
#include "tools/osport/terminal.h"

namespace osport::tool {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxWorkers = 16;
constexpr char kRegionName[] = "demo";
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
  o.name = kRegionName;
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
  if (cmd == "detach") r.header().flags |= region::kFlagRemoveOnDetach;
  // Drop dead processes' attachments now (Detach would too) so the count
  // reported is the live one.
  const std::uint32_t dead = region::ReconcileDead(r.header());
  const std::uint32_t before = r.header().refcount;
  if (absl::Status s = r.Unlock(); !s.ok()) return Say(absl::StrCat("error unlock: ", s.message())), 1;
  absl::Status s = r.Detach();
  const bool busy = region::RegionErrcOf(s) == region::RegionErrc::kBusy;
  if (!s.ok() && !busy) return Say(absl::StrCat("error detach: ", s.message())), 1;
  Say(absl::StrFormat("detached %u %u %u %u %d %u", before, counter, sum, recovered,
                      cmd == "detach" && !busy ? 1 : 0, dead));
  return 0;
}

// --- the parent ----------------------------------------------------------------

struct Event {
  int worker;
  std::string line;  // empty: the worker's output ended
};

class Events {
 public:
  void Push(Event e) {
    std::lock_guard<std::mutex> l(mu_);
    q_.push_back(std::move(e));
    cv_.notify_one();
  }
  Event Pop() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return !q_.empty(); });
    Event e = std::move(q_.front());
    q_.pop_front();
    return e;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> q_;
};

struct Worker {
  os::Child child;
  std::uint32_t pid = 0;
  std::uint64_t progress = 0;
  bool finished = false, killed = false, ended = false;
  std::thread reader;
};

class DemoRun {
 public:
  DemoRun(std::string self, std::string home, int n, std::uint64_t rounds, os::Backend backend, bool keep)
      : self_(std::move(self)), home_(std::move(home)), n_(n), rounds_(rounds), backend_(backend),
        keep_(keep), bar_(IsTerminal()) {}

  int Run();

 private:
  bool Start();
  void Handle(const Event& e);
  void DrawBar();
  bool Check();

  const std::string self_, home_;
  const int n_;
  const std::uint64_t rounds_;
  const os::Backend backend_;
  const bool keep_, bar_;
  std::vector<Worker> w_;
  Events events_;
  int victim_ = 0, grower_ = 0;
  std::uint64_t victim_done_ = 0, recoveries_ = 0, final_counter_ = 0, final_sum_ = 0;
  std::vector<std::string> attach_trail_, detach_trail_;
  bool removed_by_last_ = false, failed_ = false;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

bool DemoRun::Start() {
  victim_ = n_ - 1;
  grower_ = n_ >= 3 ? 1 : 0;
  const std::uint64_t die_at = rounds_ / 2 + 1;
  const std::uint64_t grow_at = rounds_ / 4 + 1;
  w_.resize(static_cast<std::size_t>(n_));
  for (int i = 0; i < n_; ++i) {
    absl::StatusOr<os::Child> c =
        os::Spawn({self_, "demo-worker", home_, absl::StrCat(i), absl::StrCat(rounds_),
                   absl::StrCat(i == grower_ ? grow_at : 0), absl::StrCat(i == victim_ ? die_at : 0),
                   std::string(os::BackendName(backend_))});
    if (!c.ok()) {
      Say(absl::StrCat("cannot start worker ", i, ": ", c.status().message()));
      return false;
    }
    w_[i].pid = c->pid();
    w_[i].child = std::move(*c);
  }
  for (int i = 0; i < n_; ++i) {
    w_[i].reader = std::thread([this, i] {
      for (;;) {
        absl::StatusOr<std::string> line = w_[i].child.ReadLine();
        events_.Push(Event{i, line.ok() ? *line : std::string()});
        if (!line.ok()) return;
      }
    });
  }
  return true;
}

void DemoRun::DrawBar() {
  if (!bar_) return;
  std::uint64_t done = 0;
  for (const Worker& w : w_) done += w.progress;
  const std::uint64_t total = rounds_ * static_cast<std::uint64_t>(n_);
  const int width = 40;
  const int fill = static_cast<int>(done * width / std::max<std::uint64_t>(total, 1));
  std::printf("\r  [%s%s] %3d%%", std::string(static_cast<std::size_t>(fill), '#').c_str(),
              std::string(static_cast<std::size_t>(width - fill), '.').c_str(),
              static_cast<int>(done * 100 / std::max<std::uint64_t>(total, 1)));
  std::fflush(stdout);
}

void DemoRun::Handle(const Event& e) {
  Worker& w = w_[e.worker];
  auto say = [&](const std::string& text) {
    if (bar_) std::printf("\r%-60s\r", "");
    Say(text);
  };
  if (e.line.empty()) {
    w.ended = true;
    return;
  }
  std::vector<std::string> f = absl::StrSplit(e.line, ' ');
  std::uint64_t a = 0, b = 0;
  if (f.size() > 1) (void)absl::SimpleAtoi(f[1], &a);
  if (f.size() > 2) (void)absl::SimpleAtoi(f[2], &b);
  const std::string who = absl::StrFormat("worker %d (pid %u)", e.worker, w.pid);
  if (f[0] == "attached") {
    attach_trail_.push_back(absl::StrCat(b));
    say(absl::StrFormat("  %s %s the region (refcount %u)", who, a ? "CREATED" : "joined", b));
  } else if (f[0] == "progress") {
    w.progress = a;
  } else if (f[0] == "grew") {
    say(absl::StrFormat("  %s grew the region from %s to %s under the lock", who, HumanSize(a), HumanSize(b)));
  } else if (f[0] == "remapped") {
    say(absl::StrFormat("  %s noticed the new size and remapped (%s)", who, HumanSize(a)));
  } else if (f[0] == "holding") {
    victim_done_ = a;
    w.progress = a;
    say(absl::StrFormat("  %s holds the lock mid-round after %u rounds: killing it (SIGKILL)", who, a));
    if (absl::Status s = w.child.Kill(); !s.ok()) {
      say(absl::StrCat("  cannot kill it: ", s.message()));
      failed_ = true;
    } else {
      // Reap it now: until its parent (we) waits, a killed process is a
      // zombie, and where liveness is kill(pid, 0) alone (POSIX without
      // /proc, docs/PORTING.md) the other workers would take it for alive.
      (void)w.child.Wait();
    }
    w.killed = true;
  } else if (f[0] == "recovered") {
    ++recoveries_;
    say(absl::StrFormat("  %s found the lock owner dead: took the lock over, repaired the counter "
                        "%u -> %u (the dead worker's half round discarded)",
                        who, a, b));
  } else if (f[0] == "finished") {
    w.finished = true;
    w.progress = a;
  } else if (f[0] == "detached") {
    std::uint64_t counter = 0, sum = 0, last = 0, dead = 0;
    if (f.size() != 7 || !absl::SimpleAtoi(f[2], &counter) || !absl::SimpleAtoi(f[3], &sum) ||
        !absl::SimpleAtoi(f[5], &last) || !absl::SimpleAtoi(f[6], &dead)) {
      say(absl::StrCat("  unexpected report from ", who, ": ", e.line));
      failed_ = true;
      return;
    }
    final_counter_ = counter;
    final_sum_ = sum;
    detach_trail_.push_back(absl::StrCat(a - 1));
    removed_by_last_ = last == 1;
    if (dead != 0) {
      say(absl::StrFormat("  %s found %u attachment(s) of dead processes and reconciled them", who, dead));
    }
    say(absl::StrFormat("  %s detached: refcount %u -> %u%s", who, a, a - 1,
                        last ? ", last one out: region removed" : ""));
  } else if (f[0] == "error") {
    say(absl::StrFormat("  %s failed: %s", who, e.line.substr(6)));
    failed_ = true;
  }
  if (f[0] == "progress" || f[0] == "finished") DrawBar();
}

int DemoRun::Run() {
  Say(absl::StrFormat("osport demo: %d worker processes race to attach region '%s' (%s backend) in %s", n_,
                      kRegionName, os::BackendName(backend_), home_));
  if (!Start()) return kExitFailed;
  int attached = 0;
  while (attached < n_ && !failed_) {
    Event e = events_.Pop();
    Handle(e);
    if (e.line.rfind("attached", 0) == 0) ++attached;
    if (e.line.empty()) failed_ = true;
  }
  if (!failed_) {
    Say(absl::StrFormat("all attached; each now does %u lock/increment/unlock rounds; worker %d will grow "
                        "the region, worker %d will be killed holding the lock",
                        rounds_, grower_, victim_));
    for (Worker& w : w_) (void)w.child.Send("go");
  }
  auto all_done = [&] {
    for (const Worker& w : w_) {
      if (!w.finished && !w.killed && !w.ended) return false;
    }
    return true;
  };
  while (!failed_ && !all_done()) Handle(events_.Pop());
  if (bar_) std::printf("\r%-60s\r", "");
  if (!failed_) Say("all rounds done; the workers detach one by one");
  // Detach one at a time so the reference count trail reads in order.
  for (int i = 0; i < n_ && !failed_; ++i) {
    if (w_[i].killed || w_[i].ended) continue;
    (void)w_[i].child.Send(keep_ ? "detach-keep" : "detach");
    for (;;) {
      Event e = events_.Pop();
      Handle(e);
      if ((e.worker == i && (e.line.rfind("detached", 0) == 0 || e.line.empty())) || failed_) break;
    }
  }
  for (Worker& w : w_) {
    if (!w.killed && !w.ended) w.child.CloseInput();
    // The reader thread ends when the worker's output does; only then may
    // this thread touch the Child again (a Child is not thread-safe).
    if (w.reader.joinable()) w.reader.join();
    absl::StatusOr<int> code = w.child.Wait();
    if (!w.killed && (!code.ok() || *code != 0)) failed_ = true;
  }
  return Check() ? 0 : kExitFailed;
}

bool DemoRun::Check() {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const std::uint64_t expected = rounds_ * static_cast<std::uint64_t>(n_ - 1) + victim_done_;
  // What is left: the region must be gone (unless kept), and the home empty.
  std::error_code ec;
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(home_, ec)) left.push_back(entry.path().filename().string());
  region::RegionOptions o;
  o.home = home_;
  o.name = kRegionName;
  const bool gone = keep_ || region::Stat(o).status().code() == absl::StatusCode::kNotFound;
  const bool counter_ok = final_counter_ == expected && final_sum_ == expected;
  const bool clean = keep_ ? true : left.empty() && gone && removed_by_last_;
  const bool ok = !failed_ && counter_ok && recoveries_ == 1 && clean;
  Say("");
  Say(absl::StrFormat("  %-22s %s", "counter", absl::StrFormat("expected %u = %d x %u + %u by the killed worker; actual %u  %s",
                                                              expected, n_ - 1, rounds_, victim_done_, final_counter_,
                                                              counter_ok ? "OK" : "MISMATCH")));
  Say(absl::StrFormat("  %-22s after each attach %s; after each detach %s", "refcount trail", absl::StrJoin(attach_trail_, " "),
                      absl::StrJoin(detach_trail_, " ")));
  Say(absl::StrFormat("  %-22s %u  %s", "owner deaths recovered", recoveries_, recoveries_ == 1 ? "OK" : "expected 1"));
  Say(absl::StrFormat("  %-22s %.2f s", "elapsed", secs));
  if (keep_) {
    Say(absl::StrFormat("  %-22s kept: osport stat --home=%s %s", "region", home_, kRegionName));
  } else {
    Say(absl::StrFormat("  %-22s %s", "left behind",
                        clean ? "nothing (region file and memory removed by the last detach)"
                              : absl::StrCat("NOT CLEAN: ", left.empty() ? "region still present" : absl::StrJoin(left, " "))));
    fs::remove_all(home_, ec);
  }
  Say(ok ? "demo OK" : "demo FAILED");
  return ok;
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

int Demo(const std::string& self) {
  const int n = absl::GetFlag(FLAGS_workers);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (n < 2 || n > kMaxWorkers) return Usage("--workers must be 2-16");
  if (rounds < 100) return Usage("--rounds must be at least 100");
  absl::StatusOr<os::Backend> backend = os::ParseBackend(absl::GetFlag(FLAGS_backend));
  if (!backend.ok() || !os::BackendShared(*backend) || !os::BackendSupported(*backend)) {
    return Usage("--backend must be a shared backend this platform has (file, sysv, posix)");
  }
  std::error_code ec;
  fs::path home;
  for (int i = 0; i < 100; ++i) {
    home = fs::temp_directory_path(ec) / absl::StrFormat("osport-demo-%u-%d", os::CurrentProcess().pid, i);
    if (fs::create_directory(home, ec)) break;
    home.clear();
  }
  if (home.empty()) return Fail("demo", kRegionName, os::PortableError(absl::StatusCode::kInternal, EIO, "cannot make a temporary home"));
  DemoRun run(self, home.string(), n, static_cast<std::uint64_t>(rounds), *backend, absl::GetFlag(FLAGS_keep));
  return run.Run();
}

}  // namespace osport::tool
