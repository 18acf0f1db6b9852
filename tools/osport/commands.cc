// osport create / stat / list / grow / panic / remove / lock.
#include "tools/osport/commands.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "os/error.h"
#include "os/mutex.h"
#include "os/process.h"
#include "os/time.h"
#include "region/errors.h"
#include "region/header.h"
#include "region/region.h"
#include "region/stat.h"
#include "tools/osport/cli.h"

namespace osport::tool {
namespace {

bool WantJson() { return absl::GetFlag(FLAGS_json); }

void PrintOk(absl::string_view op, absl::string_view name, const std::string& text, Json extra = {}) {
  if (WantJson()) {
    std::printf("%s\n", extra.Add("ok", true).Add("op", op).Add("region", name).str().c_str());
  } else {
    std::printf("%s\n", text.c_str());
  }
}

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

std::string StatJson(const region::RegionStat& st) {
  std::vector<std::string> atts;
  for (const region::AttachmentStat& a : st.attachments) {
    atts.push_back(Json()
                       .Add("pid", std::uint64_t{a.pid})
                       .Add("start", a.start)
                       .Add("count", std::uint64_t{a.count})
                       .Add("alive", a.alive)
                       .str());
  }
  Json owner;
  owner.Add("held", st.owner.held)
      .Add("pid", std::uint64_t{st.owner.pid})
      .Add("tid", std::uint64_t{st.owner.tid})
      .Add("alive", st.owner.held && st.owner_alive);
  return Json()
      .Add("path", st.path)
      .Add("initialised", st.magic != 0)
      .Add("file_size", st.file_size)
      .Add("stub", st.stub)
      .Add("memory_present", st.memory_present)
      .Add("backend", os::BackendName(st.backend))
      .Add("system_id", st.system_id)
      .Add("size", st.size)
      .Add("magic", std::uint64_t{st.magic})
      .Add("format", std::uint64_t{st.format})
      .Add("layout_version", std::uint64_t{st.layout_version})
      .Add("mutex_kind", KindName(st.mutex_kind))
      .Add("version", Version(st.version))
      .Add("refcount", std::uint64_t{st.refcount})
      .Add("live_refcount", std::uint64_t{st.live_refcount})
      .Add("panic", st.panic)
      .Add("flags", FlagNames(st.flags))
      .Add("mode", absl::StrFormat("0%o", st.mode))
      .Add("creator_pid", std::uint64_t{st.creator_pid})
      .Add("create_time", st.create_time)
      .AddRaw("attachments", absl::StrCat("[", absl::StrJoin(atts, ","), "]"))
      .AddRaw("mutex_owner", owner.str())
      .AddRaw("mutex_stats", Json()
                                 .Add("nowait", st.mutex_stats.nowait)
                                 .Add("wait", st.mutex_stats.wait)
                                 .Add("owner_deaths", st.mutex_stats.owner_deaths)
                                 .str())
      .str();
}

void PrintStat(const region::RegionStat& st) {
  std::printf("region     %s\n", st.path.c_str());
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
  std::printf("refcount   %u recorded, %u live\n", st.refcount, st.live_refcount);
  std::printf("panic      %s\n", st.panic ? "YES: attach gets run-recovery" : "no");
  std::printf("flags      %s   mode 0%o\n", FlagNames(st.flags).c_str(), st.mode);
  std::printf("created    by pid %u at %s\n", st.creator_pid, Time(st.create_time).c_str());
  if (st.owner.held) {
    std::printf("lock       held by pid %u thread %u (%s)\n", st.owner.pid, st.owner.tid,
                st.owner_alive ? "alive" : "DEAD: the next locker recovers it");
  } else {
    std::printf("lock       free\n");
  }
  std::printf("lock stats %llu without waiting, %llu after waiting, %llu owner deaths recovered\n",
              static_cast<unsigned long long>(st.mutex_stats.nowait),
              static_cast<unsigned long long>(st.mutex_stats.wait),
              static_cast<unsigned long long>(st.mutex_stats.owner_deaths));
  std::printf("attached   %zu process(es)\n", st.attachments.size());
  for (const region::AttachmentStat& a : st.attachments) {
    std::printf("  pid %-8u x%u  %s\n", a.pid, a.count, a.alive ? "alive" : "DEAD (reconciled by the next attach/detach)");
  }
}

}  // namespace

int Create(const std::string& name) {
  absl::StatusOr<region::RegionOptions> o = OptionsFor(name, true);
  if (!o.ok()) return Fail("create", name, o.status());
  if (!os::BackendShared(*o->backend)) {
    return Fail("create", name,
                os::PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                                  "private backends die with the process; the tool creates shared "
                                  "regions (file, sysv, posix)"));
  }
  o->create = true;
  absl::StatusOr<region::Region> r = region::Region::Attach(*o);
  if (!r.ok()) return Fail("create", name, r.status());
  const bool created = r->created();
  const std::uint64_t size = r->size();
  const std::uint64_t id = r->header().system_id;
  absl::Status s = r->Unlock();
  if (s.ok()) s = r->Detach();
  if (!created) {
    return Fail("create", name,
                os::PortableError(absl::StatusCode::kAlreadyExists, EEXIST, "the region already exists"));
  }
  if (!s.ok()) return Fail("create", name, s);
  PrintOk("create", name,
          absl::StrFormat("created region %s: %s, backend %s%s", name, HumanSize(size),
                          os::BackendName(*o->backend), id ? absl::StrCat(", system id ", id) : ""),
          Json().Add("size", size).Add("backend", os::BackendName(*o->backend)).Add("system_id", id));
  return 0;
}

int StatCommand(const std::string& name) {
  absl::StatusOr<region::RegionOptions> o = OptionsFor(name, false);
  if (!o.ok()) return Fail("stat", name, o.status());
  absl::StatusOr<region::RegionStat> st = region::Stat(*o);
  if (!st.ok()) return Fail("stat", name, st.status());
  if (WantJson()) {
    std::printf("%s\n", StatJson(*st).c_str());
  } else {
    PrintStat(*st);
  }
  return 0;
}

int List() {
  const std::string home = absl::GetFlag(FLAGS_home);
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(home, ec)) {
    if (entry.is_regular_file(ec) || entry.is_symlink(ec)) names.push_back(entry.path().filename().string());
  }
  if (ec) {
    return Fail("list", home,
                os::PortableError(absl::StatusCode::kNotFound, ENOENT,
                                  absl::StrCat("cannot list ", home, ": ", ec.message())));
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> json;
  if (!WantJson()) std::printf("%-24s %-10s %-10s %9s %5s %s\n", "NAME", "SIZE", "BACKEND", "REFCOUNT", "LIVE", "STATE");
  for (const std::string& n : names) {
    absl::StatusOr<region::RegionOptions> o = OptionsFor(n, false);
    absl::StatusOr<region::RegionStat> st = o.ok() ? region::Stat(*o) : o.status();
    if (!st.ok()) {
      const region::RegionErrc e = region::RegionErrcOf(st.status());
      const std::string why = e != region::RegionErrc::kNone ? std::string(region::RegionErrcName(e))
                                                            : std::string(st.status().message());
      if (WantJson()) {
        json.push_back(Json().Add("name", n).Add("region", false).Add("error", why).str());
      } else {
        std::printf("%-24s not a usable region: %s\n", n.c_str(), why.c_str());
      }
      continue;
    }
    const std::string state = st->magic == 0 ? "not-initialised"
                              : st->panic    ? "PANICKED"
                              : !st->memory_present ? "memory-gone"
                                                    : "ok";
    if (WantJson()) {
      json.push_back(Json()
                         .Add("name", n)
                         .Add("region", true)
                         .Add("size", st->size)
                         .Add("backend", os::BackendName(st->backend))
                         .Add("refcount", std::uint64_t{st->refcount})
                         .Add("live", std::uint64_t{st->live_refcount})
                         .Add("panic", st->panic)
                         .Add("state", state)
                         .str());
    } else {
      std::printf("%-24s %-10s %-10s %9u %5u %s\n", n.c_str(), HumanSize(st->size).c_str(),
                  std::string(os::BackendName(st->backend)).c_str(), st->refcount, st->live_refcount,
                  state.c_str());
    }
  }
  if (WantJson()) std::printf("[%s]\n", absl::StrJoin(json, ",").c_str());
  return 0;
}

int Grow(const std::string& name) {
  absl::StatusOr<region::RegionOptions> o = OptionsFor(name, true);
  if (!o.ok()) return Fail("grow", name, o.status());
  const std::uint64_t target = o->size;
  o->size = 0;
  absl::StatusOr<region::Region> r = region::Region::Attach(*o);
  if (!r.ok()) return Fail("grow", name, r.status());
  const std::uint64_t before = r->size();
  absl::Status s = r->Grow(target);
  const std::uint64_t after = r->size();
  absl::Status u = r->Unlock();
  absl::Status d = r->Detach();
  for (const absl::Status& e : {s, u, d}) {
    if (!e.ok()) return Fail("grow", name, e);
  }
  PrintOk("grow", name, absl::StrFormat("grew region %s from %s to %s", name, HumanSize(before), HumanSize(after)),
          Json().Add("from", before).Add("to", after));
  return 0;
}

int PanicCommand(const std::string& name) {
  absl::StatusOr<region::RegionOptions> o = OptionsFor(name, false);
  if (!o.ok()) return Fail("panic", name, o.status());
  absl::StatusOr<region::Region> r = region::Region::Attach(*o);
  if (!r.ok()) {
    if (region::IsRunRecovery(r.status())) {
      PrintOk("panic", name, absl::StrCat("region ", name, " was already panicked"));
      return 0;
    }
    return Fail("panic", name, r.status());
  }
  r->Panic();
  absl::Status s = r->Unlock();
  if (s.ok()) s = r->Detach();
  if (!s.ok()) return Fail("panic", name, s);
  PrintOk("panic", name, absl::StrCat("region ", name, " is panicked: every attach now gets run-recovery"));
  return 0;
}

int RemoveCommand(const std::string& name) {
  absl::StatusOr<region::RegionOptions> o = OptionsFor(name, false);
  if (!o.ok()) return Fail("remove", name, o.status());
  const bool force = absl::GetFlag(FLAGS_force);
  absl::Status s = region::Remove(*o, force);
  if (!s.ok()) {
    if (region::RegionErrcOf(s) == region::RegionErrc::kBusy) {
      s = os::Annotate(s, "still attached elsewhere; it will be removed by the last detach (or use --force)");
    }
    return Fail("remove", name, s);
  }
  PrintOk("remove", name, absl::StrCat("removed region ", name, force ? " (forced)" : ""));
  return 0;
}

int LockCommand(const std::string& name) {
  absl::StatusOr<region::RegionOptions> o = OptionsFor(name, false);
  if (!o.ok()) return Fail("lock", name, o.status());
  absl::StatusOr<region::Region> r = region::Region::Attach(*o);
  if (!r.ok()) return Fail("lock", name, r.status());
  // Attach returns the region locked: that is the lock we hold.
  const absl::Duration hold = absl::GetFlag(FLAGS_hold);
  const os::ProcessIdentity me = os::CurrentProcess();
  if (!WantJson()) {
    std::printf("holding the lock of region %s as pid %u for %s\n", name.c_str(), me.pid,
                absl::FormatDuration(hold).c_str());
    std::fflush(stdout);
  }
  if (absl::Status s = os::Sleep(0, static_cast<std::uint64_t>(absl::ToInt64Microseconds(hold))); !s.ok()) {
    return Fail("lock", name, s);
  }
  absl::Status s = r->Unlock();
  if (s.ok()) s = r->Detach();
  if (!s.ok()) return Fail("lock", name, s);
  PrintOk("lock", name, absl::StrCat("released the lock of region ", name),
          Json().Add("pid", std::uint64_t{me.pid}));
  return 0;
}

}  // namespace osport::tool
