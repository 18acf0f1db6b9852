// osport create / stat / list / grow / panic / remove / lock.
#include "tools/osport/commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "os/dir.h"
#include "os/error.h"
#include "os/mutex.h"
#include "os/process.h"
#include "os/time.h"
#include "os/trust.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tools/osport/cli.h"
#include "tools/osport/names.h"
#include "tools/osport/probe.h"
#include "tools/osport/terminal.h"

namespace osport::tool {
namespace {

std::string FlagNames(std::uint32_t flags) {
  std::vector<std::string> names;
  if (flags & region::kFlagNamed) names.push_back("named");
  if (flags & region::kFlagRemoveOnDetach) names.push_back("remove-on-detach");
  if (flags & region::kFlagPrivate) names.push_back("private");
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

std::string Version(std::uint32_t v) { return absl::StrFormat("%u.%u.%u", v >> 16, (v >> 8) & 0xFF, v & 0xFF); }

std::string Time(std::uint64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  char buf[64];
  std::tm tm{};
#ifdef _WIN32
  gmtime_s(&tm, &tt);
#else
  gmtime_r(&tt, &tm);
#endif
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

absl::string_view KindName(os::MutexKind k) {
  return k == os::MutexKind::kSpin ? "spin" : k == os::MutexKind::kFileLock ? "file-lock" : "unknown";
}

Json StatJson(const std::string& name, const region::RegionStat& st) {
  Json j = Answer(true, "stat", name);
  j["path"] = st.path;
  j["initialised"] = st.magic != 0;
  j["file_size"] = st.file_size;
  j["stub"] = st.stub;
  j["memory_present"] = st.memory_present;
  j["backend"] = std::string(os::BackendName(st.backend));
  j["system_id"] = st.system_id;
  j["size"] = st.size;
  j["magic"] = st.magic;
  j["format"] = st.format;
  j["layout_version"] = st.layout_version;
  j["mutex_kind"] = std::string(KindName(st.mutex_kind));
  j["version"] = Version(st.version);
  // With the memory gone, what lived only in it is unknown: null.
  const bool live = st.memory_present;
  j["refcount"] = live ? Json(st.refcount) : Json();
  j["live_refcount"] = st.live_refcount;
  j["panic"] = live ? Json(st.panic) : Json();
  j["flags"] = FlagNames(st.flags);
  j["mode"] = absl::StrFormat("0%o", st.mode);
  j["creator_pid"] = st.creator_pid;
  j["create_time"] = st.create_time;
  // Pids of another pid namespace are not judged: their liveness is null.
  j["pid_namespace"] = st.pid_namespace;
  j["pid_namespace_is_callers"] = !st.other_namespace;
  const auto judged = [&st](bool alive) { return st.other_namespace ? Json() : Json(alive); };
  j["attachments"] = Json::array();
  for (const region::AttachmentStat& a : st.attachments) {
    j["attachments"].push_back({{"pid", a.pid}, {"start", a.start}, {"count", a.count}, {"alive", judged(a.alive)}});
  }
  if (!live) {
    j["mutex_owner"] = Json();
    j["mutex_stats"] = Json();
    return j;
  }
  j["mutex_owner"] = {{"held", st.owner.held},
                      {"pid", st.owner.pid},
                      {"tid", st.owner.tid},
                      {"alive", st.owner.held ? judged(st.owner_alive) : Json(false)}};
  j["mutex_stats"] = {{"nowait", st.mutex_stats.nowait},
                      {"wait", st.mutex_stats.wait},
                      {"owner_deaths", st.mutex_stats.owner_deaths}};
  return j;
}

// What the text says of a pid's liveness: nothing is judged across pid
// namespaces (the JSON's null).
const char* Judged(const region::RegionStat& st, bool alive, const char* dead) {
  if (st.other_namespace) return "of another pid namespace: not judged";
  return alive ? "alive" : dead;
}

void PrintStat(const region::RegionStat& st) {
  std::printf("region     %s\n", EscapeText(st.path).c_str());
  if (st.magic == 0) {
    std::printf("state      not initialised (being created, or released by its last user)\n");
    return;
  }
  std::printf("backend    %s%s  system id %llu%s\n", std::string(os::BackendName(st.backend)).c_str(),
              st.stub ? " (the file is a stub)" : "", static_cast<unsigned long long>(st.system_id),
              st.memory_present ? "" : "  MEMORY GONE");
  std::printf("size       %s (%llu bytes), file %llu bytes\n", HumanSize(st.size).c_str(),
              static_cast<unsigned long long>(st.size), static_cast<unsigned long long>(st.file_size));
  std::printf("format     0x%08x: layout %u, %s mutex; created by osport %s\n", st.format, st.layout_version,
              std::string(KindName(st.mutex_kind)).c_str(), Version(st.version).c_str());
  if (st.memory_present) {
    std::printf("refcount   %u recorded, %u live\n", st.refcount, st.live_refcount);
    std::printf("panic      %s\n", st.panic ? "YES: attach gets run-recovery" : "no");
  }
  std::printf("flags      %s   mode 0%o\n", FlagNames(st.flags).c_str(), st.mode);
  std::printf("created    by pid %u at %s\n", st.creator_pid, Time(st.create_time).c_str());
  if (st.other_namespace) {
    std::printf("pids       of pid namespace %llu, not this one: not judged alive or dead here\n",
                static_cast<unsigned long long>(st.pid_namespace));
  }
  if (!st.memory_present) {
    std::printf("memory     gone, and with it the lock, the count and the panic flag\n");
    std::printf("attached   %zu process(es) (the stub's record)\n", st.attachments.size());
    for (const region::AttachmentStat& a : st.attachments) {
      std::printf("  pid %-8u x%u  %s\n", a.pid, a.count, Judged(st, a.alive, "dead"));
    }
    std::printf("%s\n", st.live_refcount == 0
                             ? "next       the next attach replaces the region; remove deletes the stub"
                             : "next       no attach can replace it while a live process above holds it "
                               "attached; remove --force deletes the stub");
    return;
  }
  if (st.owner.held) {
    std::printf("lock       held by pid %u thread %u (%s)\n", st.owner.pid, st.owner.tid,
                Judged(st, st.owner_alive, "DEAD: the next locker recovers it"));
  } else {
    std::printf("lock       free\n");
  }
  std::printf("lock stats %llu without waiting, %llu after waiting, %llu owner deaths recovered\n",
              static_cast<unsigned long long>(st.mutex_stats.nowait),
              static_cast<unsigned long long>(st.mutex_stats.wait),
              static_cast<unsigned long long>(st.mutex_stats.owner_deaths));
  std::printf("attached   %zu process(es)\n", st.attachments.size());
  for (const region::AttachmentStat& a : st.attachments) {
    std::printf("  pid %-8u x%u  %s\n", a.pid, a.count,
                Judged(st, a.alive, "DEAD (reconciled by the next attach/detach)"));
  }
}

}  // namespace

// The file type first (a FIFO is never opened). Whether a regular file is
// osport's is the library's answer (probe.h): the attach's own (it checks
// under the liveness lock, so a creation in progress is waited for, never
// called someone's file), or, for a caller that never attaches (remove
// --force), region::Stat's kNotARegion, refused here in the same words.
int RefuseNonRegion(absl::string_view op, const region::RegionOptions& o, bool ask_stat) {
  absl::StatusOr<Probe> t = ProbeType(o);
  if (!t.ok()) return Fail(op, o.name, t.status());
  if (!t->special.ok()) return Fail(op, o.name, t->special);
  if (!ask_stat || !t->regular) return -1;
  // Any other error (another user's file, a damaged header...) is left to
  // the command's own call, which names it.
  absl::StatusOr<region::RegionStat> st = region::Stat(o);
  if (!st.ok() && IsNotARegion(st.status())) return Fail(op, o.name, st.status());
  return -1;
}

// A missing home, said before any command looks for a region in it (the
// library says the same: region/options.h HomeError).
int RefuseMissingHome(absl::string_view op, const std::string& name) {
  const std::string home = absl::GetFlag(FLAGS_home);
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::symlink_status(home, ec);
  if (st.type() != std::filesystem::file_type::not_found) return -1;
  return Fail(op, name, region::HomeError(OptionsFor(name), ENOENT));
}

int Create(const std::string& name) {
  region::RegionOptions o = OptionsFor(name);
  // (ValidateFlags refused a --backend that is not shared memory here.)
  if (int code = RefuseNonRegion("create", o, /*ask_stat=*/false); code >= 0) return code;
  o.create = true;
  o.exclusive = true;  // an existing region is already_exists at once, whoever holds its lock
  o.backend = os::ParseBackend(absl::GetFlag(FLAGS_backend)).value_or(os::Backend::kFile);
  absl::StatusOr<region::Region> r = region::Region::Attach(o);
  if (!r.ok()) return Fail("create", name, r.status());
  const std::uint64_t size = r->size();
  const std::uint64_t id = r->header().system_id;
  absl::Status s = r->Unlock();
  if (s.ok()) s = r->Detach();
  if (!s.ok()) return Fail("create", name, s);
  PrintOk("create", name,
          absl::StrFormat("created region %s: %s, backend %s%s", EscapeText(name), HumanSize(size),
                          os::BackendName(*o.backend), id ? absl::StrCat(", system id ", id) : ""),
          {{"size", size}, {"backend", std::string(os::BackendName(*o.backend))}, {"system_id", id}});
  if (std::ferror(stdout) != 0) {
    // The caller cannot learn that the region exists (stdout on a full disk,
    // a closed pipe): a create that fails leaves nothing (review 10 had exit
    // 1 with the region made). A non-force removal: if someone joined it in
    // the meantime, the last of them to detach removes it.
    const int err = errno;
    absl::StatusOr<region::RemoveOutcome> undone = region::Remove(OptionsFor(name), /*force=*/false);
    std::fprintf(stderr, "osport create %s: the answer could not be written (%s); %s\n", EscapeText(name).c_str(),
                 std::strerror(err),
                 undone.ok() ? "the region was removed again"
                             : absl::StrCat("removing the region again failed: ",
                                            EscapeText(std::string(undone.status().message())))
                                   .c_str());
    return 1;
  }
  return 0;
}

int StatCommand(const std::string& name) {
  const region::RegionOptions o = OptionsFor(name);
  absl::StatusOr<Probe> t = ProbeType(o);
  if (!t.ok()) return Fail("stat", name, t.status());
  if (!t->special.ok()) return Fail("stat", name, t->special);
  absl::StatusOr<region::RegionStat> st = region::Stat(o);
  if (!st.ok()) return Fail("stat", name, st.status());
  if (WantJson()) {
    PrintJson(StatJson(name, *st));
  } else {
    PrintStat(*st);
  }
  return 0;
}

int List() {
  const region::RegionOptions base = OptionsFor("");
  const std::string& home = base.home;
  // The home is checked as every other command checks it (os/trust.h): a
  // home another user owns or can write, or reached through a symbolic
  // link, is refused once, naming why -- not listed with every entry
  // "unusable" and exit 0 (review 10).
  if (absl::StatusOr<os::Dir> trusted = os::OpenTrustedHome(home, base.trust); !trusted.ok()) {
    return Fail("list", "", os::Annotate(trusted.status(), "list " + home));
  }
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(home, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) {
    // The cause from the error's meaning, not always not_found (review 10:
    // permission denied was reported as not_found).
    const bool denied = ec == std::errc::permission_denied;
    const bool not_dir = ec == std::errc::not_a_directory;
    return Fail("list", "",
                os::PortableError(denied    ? absl::StatusCode::kPermissionDenied
                                  : not_dir ? absl::StatusCode::kFailedPrecondition
                                            : absl::StatusCode::kNotFound,
                                  denied ? EACCES : not_dir ? ENOTDIR : ENOENT,
                                  absl::StrCat("cannot list ", home, ": ", ec.message())));
  }
  std::sort(names.begin(), names.end());
  Json regions = Json::array(), others = Json::array();
  if (!WantJson()) std::printf("%-24s %-10s %-10s %9s %5s %s\n", "NAME", "SIZE", "BACKEND", "REFCOUNT", "LIVE", "STATE");
  for (const std::string& n : names) {
    const region::RegionOptions o = OptionsFor(n);
    // Not a regular file (never opened: the library's verdict on it), or
    // not osport's by the library's answer: the same verdict stat, lock and
    // remove give -- and another user's FIFO is untrusted here as there.
    absl::StatusOr<Probe> probe = ProbeType(o);
    absl::StatusOr<region::RegionStat> st = !probe.ok()             ? probe.status()
                                            : !probe->special.ok() ? probe->special
                                                                   : region::Stat(o);
    if (IsNotARegion(st.status())) {
      const std::string why = Reason(ToolMessage(st.status().message(), n), "list", n, kNotARegion);
      if (WantJson()) {
        Json j = {{"name", n}, {"reason", why}};
        if (!IsUtf8(n)) j["name_hex"] = Hex(n);
        others.push_back(j);
      } else {
        // The library's reason says "... not an osport region" itself.
        std::printf("%-24s %s\n", EscapeText(n).c_str(), EscapeText(why).c_str());
      }
      continue;
    }
    Json j = {{"region", n}};
    if (!IsUtf8(n)) j["region_hex"] = Hex(n);
    if (!st.ok()) {
      j["state"] = "unusable";
      j["error"] = CauseOf(st.status());
      j["message"] = Reason(ToolMessage(st.status().message(), n), "list", n, CauseOf(st.status()));
      if (WantJson()) {
        regions.push_back(j);
      } else {
        // The cause and the reason, as --json gives them (review 9: text
        // said only "unusable: untrusted").
        std::printf("%-24s unusable: %s: %s\n", EscapeText(n).c_str(), CauseOf(st.status()).c_str(),
                    EscapeText(j["message"].get<std::string>()).c_str());
      }
      continue;
    }
    const std::string state = st->magic == 0 ? "not-initialised"
                              : st->panic    ? "PANICKED"
                              : !st->memory_present ? "memory-gone"
                                                    : "ok";
    if (WantJson()) {
      j["state"] = state;
      j["size"] = st->size;
      j["backend"] = std::string(os::BackendName(st->backend));
      j["refcount"] = st->memory_present ? Json(st->refcount) : Json();  // unknown: null
      j["live_refcount"] = st->live_refcount;
      j["panic"] = st->memory_present ? Json(st->panic) : Json();
      regions.push_back(j);
    } else {
      std::printf("%-24s %-10s %-10s %9s %5u %s\n", EscapeText(n).c_str(), HumanSize(st->size).c_str(),
                  std::string(os::BackendName(st->backend)).c_str(),
                  st->memory_present ? absl::StrCat(st->refcount).c_str() : "-", st->live_refcount,
                  state.c_str());
    }
  }
  if (WantJson()) {
    Json j = Answer(true, "list", "");
    j["home"] = home;
    j["regions"] = regions;
    j["other_files"] = others;
    PrintJson(j);
  }
  return 0;
}

int Grow(const std::string& name) {
  region::RegionOptions o = OptionsFor(name);
  if (int code = RefuseNonRegion("grow", o, /*ask_stat=*/false); code >= 0) return code;
  const std::uint64_t target = o.size;
  o.size = 0;
  absl::StatusOr<region::Region> r = region::Region::Attach(o);
  if (!r.ok()) return Fail("grow", name, r.status());
  const std::uint64_t before = r->size();
  absl::Status s = r->Grow(target);
  const std::uint64_t after = r->size();
  absl::Status u = r->Unlock();
  absl::Status d = r->Detach();
  for (const absl::Status& e : {s, u, d}) {
    if (!e.ok()) return Fail("grow", name, e);
  }
  PrintOk("grow", name,
          before == after
              ? absl::StrFormat("region %s is already %s: nothing to grow", EscapeText(name), HumanSize(after))
              : absl::StrFormat("grew region %s from %s to %s", EscapeText(name), HumanSize(before),
                                HumanSize(after)),
          {{"from", before}, {"to", after}});
  return 0;
}

int PanicCommand(const std::string& name) {
  if (int code = RefuseNonRegion("panic", OptionsFor(name), /*ask_stat=*/false); code >= 0) return code;
  // Attach answers run-recovery both for a region already panicked and for
  // one it panics itself on finding a dead lock holder: ask first which.
  absl::StatusOr<region::RegionStat> before = region::Stat(OptionsFor(name));
  const bool already = before.ok() && before->panic;
  absl::StatusOr<region::Region> r = region::Region::Attach(OptionsFor(name));
  if (!r.ok()) {
    if (region::IsRunRecovery(r.status())) {
      PrintOk("panic", name,
              already ? absl::StrCat("region ", EscapeText(name), " was already panicked")
                      : absl::StrCat("region ", EscapeText(name),
                                     " is panicked: a process had died holding its lock"),
              {{"already", already}});
      return 0;
    }
    return Fail("panic", name, r.status());
  }
  r->Panic();
  absl::Status s = r->Unlock();
  if (s.ok()) s = r->Detach();
  if (!s.ok()) return Fail("panic", name, s);
  PrintOk("panic", name,
          absl::StrCat("region ", EscapeText(name), " is panicked: every attach now gets run-recovery"),
          {{"already", false}});
  return 0;
}

int RemoveCommand(const std::string& name) {
  const region::RegionOptions o = OptionsFor(name);
  const bool force = absl::GetFlag(FLAGS_force);
  // Only osport's files, by the library's answer: a text file in the home
  // is never removed; an empty file (a dead creator's remnant) is.
  absl::StatusOr<Probe> probe = ProbeType(o);
  if (!probe.ok()) return Fail("remove", name, probe.status());
  if (int code = RefuseNonRegion("remove", o, /*ask_stat=*/force); code >= 0) return code;
  if (force && !probe->exists) {
    // Like rm -f: nothing there is a success, but not a removal.
    PrintOk("remove", name, absl::StrCat("no region ", EscapeText(name), ": nothing to remove"),
            {{"outcome", "absent"}, {"force", true}});
    return 0;
  }
  if (!force && !WantJson()) {
    // Say so before waiting for another process's lock (JSON stays one object).
    absl::StatusOr<region::RegionStat> st = region::Stat(o);
    if (st.ok() && st->owner.held && st->owner_alive) {
      std::fprintf(stderr, "osport remove %s: the region lock is held by pid %u; waiting up to %s\n",
                   EscapeText(name).c_str(), st->owner.pid, ShownDuration(o.attach_timeout).c_str());
    }
  }
  // A forced removal never waits for attachers (region::Remove): whoever is
  // still attached goes on with the old memory, apart from any region made
  // under the name from now on. Named, from the region's slots (review 10).
  std::vector<std::uint32_t> still_attached;
  if (force) {
    absl::StatusOr<region::RegionStat> st = region::Stat(o);
    const std::uint32_t me = os::CurrentProcess().pid;
    if (st.ok()) {
      for (const region::AttachmentStat& a : st->attachments) {
        if (a.alive && a.pid != me) still_attached.push_back(a.pid);
      }
    }
  }
  absl::StatusOr<region::RemoveOutcome> out = region::Remove(o, force);
  if (!out.ok() && !force && region::RegionErrcOf(out.status()) == region::RegionErrc::kRunRecovery) {
    // The caller asked to remove, not to recover: both ways out.
    return FailWith("remove", name, CauseOf(out.status()),
                    absl::StrCat(out.status().message(), "; or, to discard its data: osport remove ",
                                 name, " --force"));
  }
  if (!out.ok()) return Fail("remove", name, out.status());
  const bool marked = *out == region::RemoveOutcome::kMarked;
  std::string text = marked ? absl::StrCat("marked region ", EscapeText(name),
                                           " for removal: other processes are attached; the last to "
                                           "detach removes it")
                            : absl::StrCat("removed region ", EscapeText(name), force ? " (forced)" : "");
  if (!still_attached.empty()) {
    absl::StrAppend(&text, "; ", still_attached.size() == 1 ? "process " : "processes ",
                    absl::StrJoin(still_attached, ", "), still_attached.size() == 1 ? " was" : " were",
                    " still attached: they go on using the removed region's memory, which is freed when "
                    "they detach, and never see a region made under this name from now on");
  }
  PrintOk("remove", name, text,
          {{"outcome", std::string(region::RemoveOutcomeName(*out))},
           {"force", force},
           {"still_attached", still_attached}});
  return 0;
}

int LockCommand(const std::string& name) {
  // Caught before attaching: from here on a stop signal cannot end the tool
  // while it holds the lock (the next locker would find a dead owner).
  CatchStopSignals();
  if (int code = RefuseNonRegion("lock", OptionsFor(name), /*ask_stat=*/false); code >= 0) return code;
  absl::StatusOr<region::Region> r = region::Region::Attach(OptionsFor(name));
  if (!r.ok()) return Fail("lock", name, r.status());
  // Attach returns the region locked: that is the lock we hold.
  using Clock = std::chrono::steady_clock;
  const absl::Duration hold = absl::GetFlag(FLAGS_hold);
  const os::ProcessIdentity me = os::CurrentProcess();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + absl::ToChronoMicroseconds(hold);
  if (WantJson()) {
    Json j = Answer(true, "lock", name);
    j["event"] = "locked";
    j["pid"] = me.pid;
    j["hold_ms"] = absl::ToInt64Milliseconds(hold);
    PrintJson(j);
  } else {
    std::printf("holding the lock of region %s as pid %u for %s\n", EscapeText(name).c_str(), me.pid,
                ShownDuration(hold).c_str());
    std::fflush(stdout);
  }
  // Short sleeps so that a stop signal is noticed within 50 ms.
  while (StopSignal() == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    absl::Status s = os::Sleep(0, static_cast<std::uint64_t>(std::min<std::int64_t>(left, 50000)));
    if (!s.ok() && StopSignal() == 0) {
      (void)r->Unlock();  // the sleep failed: release before reporting it
      (void)r->Detach();
      return Fail("lock", name, s);
    }
  }
  const int sig = StopSignal();
  absl::Status s = r->Unlock();
  // The hold ends at the unlock; the detach after it may wait (at most
  // --timeout) for another holder to let go of the lock.
  const auto held_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  // A region someone marked for removal is removed by its last detach: say
  // so when it was ours (review 9: `lock` removed one without a word).
  bool removed = false;
  if (s.ok()) s = r->DetachAndReport(&removed);
  if (!s.ok()) return Fail("lock", name, s);
  const std::string and_removed =
      removed ? "; it was marked for removal and this was its last attachment: removed it" : "";
  if (sig != 0) {
    const std::string why = absl::StrCat(SignalName(sig), ": released the lock and detached", and_removed);
    if (WantJson()) {
      Json j = Answer(false, "lock", name);
      j["event"] = "released";
      j["error"] = "interrupted";
      j["message"] = why;
      j["signal"] = SignalName(sig);
      j["pid"] = me.pid;
      j["held_ms"] = held_ms;
      j["removed"] = removed;
      PrintJson(j);
    } else {
      std::fprintf(stderr, "osport lock %s: interrupted: %s\n", EscapeText(name).c_str(), why.c_str());
    }
    return 128 + sig;
  }
  PrintOk("lock", name, absl::StrCat("released the lock of region ", EscapeText(name), and_removed),
          {{"event", "released"}, {"pid", me.pid}, {"held_ms", held_ms}, {"removed", removed}});
  return 0;
}

}  // namespace osport::tool
