// osport recover: clear the panic a dead lock holder left (an Attach with
// RegionOptions::recover), or with --dry-run only say what there is and what
// a real recover would do -- from region::Stat alone, changing nothing.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "region/region.h"
#include "region/stat.h"
#include "tools/osport/cli.h"
#include "tools/osport/commands.h"
#include "tools/osport/names.h"

namespace osport::tool {
namespace {

// What `recover --dry-run` found, from region::Stat alone, and what a real
// recover (an Attach with RegionOptions::recover) would do about it.
struct Findings {
  bool initialised = true;
  bool memory_gone = false;
  bool panicked = false;
  bool dead_holder = false;
  std::uint32_t dead_holder_pid = 0;
  std::uint32_t dead_attachments = 0;
  std::vector<std::string> found;  // sentences for the text answer
  std::vector<std::string> would;  // what a real recover would do, in order
  Json actions = Json::array();    // the same as words, for JSON
};

Findings Examine(const region::RegionStat& st) {
  Findings f;
  f.initialised = st.magic != 0;
  f.memory_gone = !st.memory_present;
  // Without memory (a stub's copy is as of creation) or a header, there is
  // no lock or attachment table to judge.
  const bool header = f.initialised && !f.memory_gone;
  f.panicked = header && st.panic;
  f.dead_holder = header && st.owner.held && !st.owner_alive;
  f.dead_holder_pid = st.owner.pid;
  for (const region::AttachmentStat& a : st.attachments) f.dead_attachments += header && !a.alive ? 1 : 0;
  const auto act = [&f](const char* word, std::string text) {
    f.actions.push_back(word);
    f.would.push_back(std::move(text));
  };
  if (f.memory_gone) {
    // Attach finds the stub's memory gone: alone with it, it removes the stub.
    f.found.push_back(absl::StrCat("its ", os::BackendName(st.backend), " memory (system id ", st.system_id,
                                   ") is gone"));
    act("remove_stub", "remove the stub (unless processes are still attached: then fail with busy)");
    return f;
  }
  if (!f.initialised) {
    f.found.push_back("it is not initialised (a creator is at work, or died before finishing)");
    act("remove_abandoned",
        "wait for a live creator (--timeout), else remove the file as a dead creator's remnant");
    return f;
  }
  f.found.push_back(f.panicked ? "it is panicked" : "it is not panicked");
  if (f.dead_holder) {
    f.found.push_back(absl::StrCat("its lock holder (pid ", st.owner.pid, ") has died"));
    act("take_over_lock", "take the dead holder's lock over and mark the region panicked");
  }
  if (f.dead_attachments > 0) {
    f.found.push_back(absl::StrCat(f.dead_attachments, " attachment(s) of dead processes"));
    act("drop_dead_attachments", "drop the dead processes' attachments");
  }
  if (f.panicked || f.dead_holder) {
    act("clear_panic", "clear the panic, keeping the data (osport does not check your data)");
  }
  return f;
}

// --dry-run: region::Stat only -- never an attach, which would mark a dead
// holder's region panicked, reconcile attachments, or remove files.
int RecoverDryRun(const std::string& name, const region::RegionOptions& o) {
  absl::StatusOr<region::RegionStat> st = region::Stat(o);
  if (!st.ok()) return Fail("recover", name, st.status());
  const Findings f = Examine(*st);
  const std::string text =
      absl::StrCat("region ", EscapeText(name), ": ", absl::StrJoin(f.found, "; "), ". --dry-run changed nothing; ",
                   f.would.empty() ? "a real recover has nothing to do"
                                   : absl::StrCat("a real recover would ", absl::StrJoin(f.would, ", then ")));
  PrintOk("recover", name, text,
          {{"initialised", f.initialised},
           {"memory_present", !f.memory_gone},
           {"panicked", f.panicked},
           {"dead_lock_holder", f.dead_holder ? Json(f.dead_holder_pid) : Json(nullptr)},
           {"dead_attachments", f.dead_attachments},
           {"cleared", false},
           {"dry_run", true},
           {"would", f.actions}});
  return 0;
}

}  // namespace

int RecoverCommand(const std::string& name) {
  region::RegionOptions o = OptionsFor(name);
  if (int code = RefuseNonRegion("recover", o, /*ask_stat=*/false); code >= 0) return code;
  // Both paths read the region with region::Stat first: its answer is theirs.
  if (absl::GetFlag(FLAGS_dry_run)) return RecoverDryRun(name, o);
  // What there is to find, read before joining (Stat never attaches).
  absl::StatusOr<region::RegionStat> st = region::Stat(o);
  if (!st.ok()) return Fail("recover", name, st.status());
  const bool dead_holder = st->owner.held && !st->owner_alive;
  std::uint32_t dead_attachments = 0;
  for (const region::AttachmentStat& a : st->attachments) dead_attachments += a.alive ? 0 : 1;
  o.recover = true;
  absl::StatusOr<region::Region> r = region::Region::Attach(o);
  if (!r.ok()) return Fail("recover", name, r.status());
  // Attach with `recover` returns it locked even after a dead holder (whom
  // it reports by marking the region panicked).
  const bool panicked = r->panicked();
  absl::Status s = absl::OkStatus();
  if (panicked) s = r->ClearPanic();
  if (absl::Status u = r->Unlock(); s.ok()) s = u;
  if (absl::Status d = r->Detach(); s.ok()) s = d;
  if (!s.ok()) return Fail("recover", name, s);
  std::string found = panicked ? "was panicked" : "was not panicked";
  if (dead_holder) absl::StrAppend(&found, "; the lock holder (pid ", st->owner.pid, ") had died");
  if (dead_attachments > 0) absl::StrAppend(&found, "; ", dead_attachments, " dead attachment(s)");
  const std::string did = !panicked ? "nothing to recover"
                                    : "panic cleared: every process's next lock works again (osport "
                                      "did not check your data)";
  PrintOk("recover", name, absl::StrCat("region ", EscapeText(name), " ", found, ": ", did),
          {{"panicked", panicked},
           {"dead_lock_holder", dead_holder ? Json(st->owner.pid) : Json(nullptr)},
           {"dead_attachments", dead_attachments},
           {"cleared", panicked},
           {"dry_run", false}});
  return 0;
}

}  // namespace osport::tool
