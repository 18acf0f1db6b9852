// osport demo, the parent (demo_worker.cc: the workers): N worker processes race to attach one region, count under its
// lock while one grows it and one is killed holding the lock; the parent
// narrates and checks that everything adds up and nothing is left behind.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <string>
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
#include "tools/osport/demo.h"
#include "tools/osport/terminal.h"

namespace osport::tool {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRegionName = kDemoRegionName;
// The parent's narration goes to stdout, or with --json into the answer's
// "log" array.
std::vector<std::string>* g_log = nullptr;

void Say(const std::string& line) {
  if (g_log != nullptr) {
    g_log->push_back(line);
    return;
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
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
  // The next event, or nothing if none came by `until`.
  std::optional<Event> Pop(std::chrono::steady_clock::time_point until) {
    std::unique_lock<std::mutex> l(mu_);
    if (!cv_.wait_until(l, until, [this] { return !q_.empty(); })) return std::nullopt;
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
  bool started = false, finished = false, killed = false, ended = false;
  std::thread reader;
};

// Whether `backend` can grow a region in place (only files can: SysV and
// POSIX memory keep the size they were created with in osport).
bool CanGrow(os::Backend backend) { return backend == os::Backend::kFile; }

class DemoRun {
 public:
  DemoRun(std::string self, std::string home, int n, std::uint64_t rounds, os::Backend backend, bool keep,
          absl::Duration timeout)
      : self_(std::move(self)), home_(std::move(home)), n_(n), rounds_(rounds), backend_(backend),
        keep_(keep), bar_(IsTerminal() && !WantJson()),
        deadline_(t0_ + absl::ToChronoMilliseconds(timeout)), timeout_(timeout) {}

  // Runs the demo; the answer (text already said, or JSON) is printed by the
  // caller from the fields below.
  bool Run();

  Json Summary() const;

 private:
  bool Start();
  std::optional<Event> Next();
  void Handle(const Event& e);
  void DrawBar();
  void StopWorkers();
  bool Check();

  const std::string self_, home_;
  const int n_;
  const std::uint64_t rounds_;
  const os::Backend backend_;
  const bool keep_, bar_;
  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  const std::chrono::steady_clock::time_point deadline_;
  const absl::Duration timeout_;
  std::vector<Worker> w_;
  Events events_;
  int victim_ = 0, grower_ = -1;
  std::uint64_t victim_done_ = 0, recoveries_ = 0, final_counter_ = 0, final_sum_ = 0, expected_ = 0;
  std::uint64_t grew_from_ = 0, grew_to_ = 0;
  std::vector<std::string> attach_trail_, detach_trail_, left_;
  bool removed_by_last_ = false, failed_ = false, counter_ok_ = false, clean_ = false, cleaned_up_ = false;
  bool nothing_left_ = false;
  std::string stop_reason_;  // "timed out after 10m", "SIGINT": why the demo stopped early
  double secs_ = 0;
};

bool DemoRun::Start() {
  victim_ = n_ - 1;
  if (CanGrow(backend_)) grower_ = n_ >= 3 ? 1 : 0;
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
    w_[i].started = true;
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

// The next worker line; nothing (and failed_) when the demo's time bound
// ran out or a stop signal arrived first.
std::optional<Event> DemoRun::Next() {
  for (;;) {
    if (const int sig = StopSignal(); sig != 0) {
      stop_reason_ = SignalName(sig);
      failed_ = true;
      return std::nullopt;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) {
      stop_reason_ = absl::StrCat("timed out after ", ShownDuration(timeout_));
      failed_ = true;
      return std::nullopt;
    }
    std::optional<Event> e = events_.Pop(std::min(deadline_, now + std::chrono::milliseconds(100)));
    if (e) return e;
  }
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
    grew_from_ = a;
    grew_to_ = b;
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
      // Its reader thread uses the Child until the killed process's output
      // ends, which it now does: join it first (Wait rewrites the Child).
      if (w.reader.joinable()) w.reader.join();
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
    // A library message, in the tool's words (cli.h ToolMessage).
    say(absl::StrFormat("  %s failed: %s", who, ToolMessage(e.line.substr(6), "")));
    failed_ = true;
  }
  if (f[0] == "progress" || f[0] == "finished") DrawBar();
}

bool DemoRun::Run() {
  Say(absl::StrFormat("osport demo: %d worker processes race to attach region '%s' (%s backend) in %s", n_,
                      kRegionName, os::BackendName(backend_), home_));
  if (!Start()) failed_ = true;
  int attached = 0;
  while (attached < n_ && !failed_) {
    std::optional<Event> e = Next();
    if (!e) break;
    Handle(*e);
    if (e->line.rfind("attached", 0) == 0) ++attached;
    if (e->line.empty()) failed_ = true;
  }
  if (!failed_) {
    Say(absl::StrFormat("all attached; each now does %u lock/increment/unlock rounds; %s, worker %d will be "
                        "killed holding the lock",
                        rounds_,
                        grower_ >= 0 ? absl::StrCat("worker ", grower_, " will grow the region")
                                     : absl::StrCat("the ", os::BackendName(backend_),
                                                    " backend cannot grow a region, so no worker grows it"),
                        victim_));
    for (Worker& w : w_) (void)w.child.Send("go");
  }
  auto all_done = [&] {
    for (const Worker& w : w_) {
      if (!w.finished && !w.killed && !w.ended) return false;
    }
    return true;
  };
  while (!failed_ && !all_done()) {
    std::optional<Event> e = Next();
    if (e) Handle(*e);
  }
  if (bar_) std::printf("\r%-60s\r", "");
  if (!failed_) Say("all rounds done; the workers detach one by one");
  // Detach one at a time so the reference count trail reads in order.
  for (int i = 0; i < n_ && !failed_; ++i) {
    if (w_[i].killed || w_[i].ended) continue;
    (void)w_[i].child.Send(keep_ ? "detach-keep" : "detach");
    for (;;) {
      std::optional<Event> e = Next();
      if (!e) break;
      Handle(*e);
      if ((e->worker == i && (e->line.rfind("detached", 0) == 0 || e->line.empty())) || failed_) break;
    }
  }
  StopWorkers();
  return Check();
}

// Ends every worker: a normal end once the demo ran through; at once (kill)
// after a failure, a timeout or a signal, so nothing can hang the demo.
void DemoRun::StopWorkers() {
  if (failed_) {
    if (!stop_reason_.empty()) Say(absl::StrCat("stopping the demo: ", stop_reason_, "; killing the workers"));
    for (Worker& w : w_) {
      if (w.started && !w.ended) (void)w.child.Kill();
    }
  }
  for (Worker& w : w_) {
    if (!w.started) continue;
    if (!w.killed && !w.ended) w.child.CloseInput();
    // The reader thread ends when the worker's output does; only then may
    // this thread touch the Child again (a Child is not thread-safe).
    if (w.reader.joinable()) w.reader.join();
    absl::StatusOr<int> code = w.child.Wait();
    if (!w.killed && !failed_ && (!code.ok() || *code != 0)) failed_ = true;
  }
}

bool DemoRun::Check() {
  secs_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  expected_ = rounds_ * static_cast<std::uint64_t>(n_ - 1) + victim_done_;
  region::RegionOptions o;
  o.home = home_;
  o.name = kRegionName;
  // After a failure the region may still exist (its memory too, for sysv
  // and posix): remove it by force, whatever --keep says.
  if (failed_ || !keep_) {
    if (region::Stat(o).status().code() != absl::StatusCode::kNotFound) {
      cleaned_up_ = true;
      if (absl::Status s = region::Remove(o, /*force=*/true).status(); !s.ok()) {
        Say(absl::StrCat("  cannot remove the demo region: ", s.message()));
      }
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(home_, ec)) left_.push_back(entry.path().filename().string());
  const absl::Status still = region::Stat(o).status();
  const bool gone = still.code() == absl::StatusCode::kNotFound;
  counter_ok_ = final_counter_ == expected_ && final_sum_ == expected_;
  nothing_left_ = left_.empty() && gone;
  clean_ = (keep_ && !failed_) || (nothing_left_ && !cleaned_up_ && removed_by_last_);
  const bool ok = !failed_ && counter_ok_ && recoveries_ == 1 && clean_;
  Say("");
  if (!failed_) {
    Say(absl::StrFormat("  %-22s expected %u = %d x %u + %u by the killed worker; actual %u  %s", "counter",
                        expected_, n_ - 1, rounds_, victim_done_, final_counter_,
                        counter_ok_ ? "OK" : "MISMATCH"));
    Say(absl::StrFormat("  %-22s after each attach %s; after each detach %s", "refcount trail",
                        absl::StrJoin(attach_trail_, " "), absl::StrJoin(detach_trail_, " ")));
    Say(absl::StrFormat("  %-22s %u  %s", "owner deaths recovered", recoveries_,
                        recoveries_ == 1 ? "OK" : "expected 1"));
    Say(absl::StrFormat("  %-22s %s", "grow",
                        grower_ >= 0 ? absl::StrFormat("%s -> %s", HumanSize(grew_from_), HumanSize(grew_to_))
                                     : absl::StrCat("skipped: the ", os::BackendName(backend_),
                                                    " backend cannot grow (create a larger region instead)")));
  }
  Say(absl::StrFormat("  %-22s %.2f s", "elapsed", secs_));
  if (keep_ && !failed_) {
    Say(absl::StrFormat("  %-22s kept: osport stat --home=%s %s", "region", home_, kRegionName));
  } else {
    std::string what = "nothing (region file and memory removed by the last detach)";
    if (cleaned_up_ && gone && left_.empty()) {
      what = "nothing (the demo removed the region and its memory itself after the failure)";
    } else if (!gone || !left_.empty()) {
      what = absl::StrCat("NOT CLEAN: ", !left_.empty() ? absl::StrJoin(left_, " ")
                                         : still.ok()   ? std::string("region still present")
                                                        : absl::StrCat("cannot tell whether the region is gone: ",
                                                                       still.ToString()));
    }
    Say(absl::StrFormat("  %-22s %s", "left behind", what));
    fs::remove_all(home_, ec);
  }
  Say(ok ? "demo OK" : "demo FAILED");
  return ok;
}

Json DemoRun::Summary() const {
  Json j;
  j["backend"] = std::string(os::BackendName(backend_));
  j["workers"] = n_;
  j["rounds"] = rounds_;
  j["counter"] = final_counter_;
  j["expected"] = expected_;
  j["counter_ok"] = counter_ok_;
  j["owner_deaths_recovered"] = recoveries_;
  if (grower_ >= 0) {
    j["grow"] = {{"from", grew_from_}, {"to", grew_to_}};
  } else {
    j["grow"] = nullptr;
    j["grow_skipped"] = absl::StrCat("the ", os::BackendName(backend_), " backend cannot grow");
  }
  const auto numbers = [](const std::vector<std::string>& v) {
    Json a = Json::array();
    for (const std::string& x : v) a.push_back(std::stoull(x));
    return a;
  };
  j["refcount_after_attach"] = numbers(attach_trail_);
  j["refcount_after_detach"] = numbers(detach_trail_);
  j["kept"] = keep_ && !failed_;
  j["home"] = home_;
  j["removed_by_last_detach"] = removed_by_last_;
  j["removed_after_failure"] = cleaned_up_;
  j["nothing_left"] = nothing_left_ && !(keep_ && !failed_);
  j["left_behind"] = left_;
  if (!stop_reason_.empty()) j["stopped"] = stop_reason_;
  j["elapsed_s"] = secs_;
  return j;
}

// A private home for the demo in the temporary directory: a name nobody can
// guess (64 random bits; a neighbour who takes the pid-based names first
// cannot stop the demo: attacker review of 2026-12-02, finding 3), made
// owner-only whatever the umask (under umask 002 the workers refused a
// group-writable home: finding 4). Names what went wrong otherwise.
absl::StatusOr<std::string> MakeDemoHome() {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  if (ec) {
    return os::PortableError(absl::StatusCode::kFailedPrecondition, ENOENT,
                             absl::StrCat("no temporary directory for the demo's home: ", ec.message()));
  }
  std::random_device rd;
  std::string last;
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
    const fs::path home = tmp / absl::StrFormat("osport-demo-%016x", r);
    if (fs::create_directory(home, ec)) {
      // Made with the umask's mode, then narrowed: anything put into it in
      // between (a neighbour watching the directory) is found here, and the
      // home is not used.
      fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace, ec);
      if (ec) {
        last = absl::StrCat(home.string(), ": cannot make it owner-only: ", ec.message());
      } else if (!fs::is_empty(home, ec) || ec) {
        last = absl::StrCat(home.string(), ": something else was put into it as it was made");
      } else {
        return home.string();
      }
      std::error_code ignored;
      fs::remove(home, ignored);  // only if empty: another user's entry is left for them
      break;
    }
    last = absl::StrCat(home.string(), ": ", ec ? ec.message() : "already exists");
  }
  return os::PortableError(absl::StatusCode::kUnavailable, EEXIST,
                           absl::StrCat("cannot make a temporary home for the demo in ", tmp.string(), " (",
                                        last, ")"));
}

}  // namespace

int Demo(const std::string& self) {
  const int n = absl::GetFlag(FLAGS_workers);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const absl::StatusOr<os::Backend> backend = os::ParseBackend(absl::GetFlag(FLAGS_backend));
  if (!backend.ok() || !os::BackendShared(*backend) || !os::BackendSupported(*backend)) {
    return Usage("demo", "--backend must be a shared backend this platform has (file, sysv, posix)", kRegionName);
  }
  // A stop signal ends the demo cleanly: workers killed, region removed.
  CatchStopSignals();
  std::vector<std::string> log;
  if (WantJson()) g_log = &log;
  absl::StatusOr<std::string> home = MakeDemoHome();
  if (!home.ok()) return Fail("demo", kRegionName, home.status());
  DemoRun run(self, *home, n, static_cast<std::uint64_t>(rounds), *backend, absl::GetFlag(FLAGS_keep),
              absl::GetFlag(FLAGS_timeout));
  const bool ok = run.Run();
  if (WantJson()) {
    g_log = nullptr;
    Json j = Answer(ok, "demo", kRegionName);
    j.update(run.Summary());
    if (!ok) {
      j["error"] = "demo_failed";
      j["message"] = j.contains("stopped") ? absl::StrCat("stopped: ", j["stopped"].get<std::string>())
                                           : "a check failed (see log)";
    }
    j["log"] = log;
    PrintJson(j);
  }
  return ok ? 0 : kExitFailed;
}

}  // namespace osport::tool
