// The RegionWorker helper: the child side of multi-process region tests.
#include "tests/support/region_worker.h"

#include <cstring>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "os/fault_injection.h"
#include "os/mutex.h"
#include "os/process.h"
#include "region/errors.h"
#include "region/region.h"
#include "tests/support/helper.h"

namespace osport::testing {
namespace {

std::string Reply(const absl::Status& s) {
  if (s.ok()) return "ok";
  if (os::IsOwnerDead(s)) return "ownerdead";
  return absl::StrCat("err ", region::RegionErrcName(region::RegionErrcOf(s)), " ", s.message());
}

std::uint64_t* At(region::Region& r, std::uint64_t offset) {
  return reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(r.data()) + offset);
}

}  // namespace

OSPORT_TEST_HELPER(RegionWorker) {
  if (args.size() != 4) return 2;
  region::RegionOptions o;
  o.home = args[0];
  o.name = args[1];
  absl::StatusOr<os::Backend> backend = os::ParseBackend(args[2]);
  if (!backend.ok() || !absl::SimpleAtoi(args[3], &o.size)) return 2;
  o.backend = *backend;
  o.retry.attempts = 200;
  o.retry.backoff = absl::Milliseconds(1);
  region::Region r;
  for (std::string line; !(line = ReadParentLine()).empty();) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "attach") {
      absl::StatusOr<region::Region> a = region::Region::Attach(o);
      if (!a.ok()) {
        TellParent(Reply(a.status()));
        continue;
      }
      r = std::move(*a);
      // Attach returns the region locked for initialisation; workers have
      // nothing to initialise.
      absl::Status s = r.Unlock();
      TellParent(s.ok() ? absl::StrCat("ok created=", r.created() ? 1 : 0) : Reply(s));
    } else if (cmd == "attach-unstamped") {
      // "attach-unstamped ERRNO": the first os call of the attach that reads
      // process information (this process's start stamp, when it is not yet
      // cached) fails with ERRNO (portable number). "notfired": none did.
      int err = 0;
      in >> err;
      absl::Status s;
      bool fired = false;
      {
        os::FaultInjector fault(os::Op::kProcessInfo, 1, err);
        absl::StatusOr<region::Region> a = region::Region::Attach(o);
        fired = fault.fired() > 0;
        s = a.status();
        if (a.ok()) {
          r = std::move(*a);
          s = r.Unlock();
        }
      }
      TellParent(fired ? Reply(s) : "notfired");
    } else if (cmd == "timeout") {
      std::int64_t ms = 0;
      in >> ms;
      o.attach_timeout = absl::Milliseconds(ms);
      TellParent("ok");
    } else if (cmd == "pidns") {
      absl::StatusOr<std::uint64_t> ns = os::CurrentPidNamespace();
      TellParent(ns.ok() ? absl::StrCat(*ns) : Reply(ns.status()));
    } else if (cmd == "stamp") {
      const os::ProcessIdentity me = os::CurrentProcess();
      TellParent(absl::StrCat(me.start, os::CurrentProcessKnown(me) ? " known" : " unknown"));
    } else if (cmd == "lock") {
      TellParent(Reply(r.Lock()));
    } else if (cmd == "unlock") {
      TellParent(Reply(r.Unlock()));
    } else if (cmd == "add") {
      std::uint64_t n = 0;
      in >> n;
      absl::Status s;
      for (std::uint64_t i = 0; i < n && s.ok(); ++i) {
        s = r.Lock();
        if (s.ok()) {
          ++*At(r, 0);
          s = r.Unlock();
        }
      }
      TellParent(Reply(s));
    } else if (cmd == "rounds") {
      std::uint64_t n = 0;
      in >> n;
      absl::Status s;
      for (std::uint64_t i = 0; i < n && s.ok(); ++i) {
        absl::StatusOr<region::Region> a = region::Region::Attach(o);
        s = a.status();
        if (!s.ok()) break;
        ++*At(*a, 0);
        s = a->Unlock();
        if (s.ok()) s = a->Detach();
      }
      TellParent(Reply(s));
    } else if (cmd == "counter") {
      TellParent(absl::StrCat(*At(r, 0)));
    } else if (cmd == "peek") {
      std::uint64_t off = 0;
      in >> off;
      TellParent(absl::StrCat(*At(r, off)));
    } else if (cmd == "poke") {
      std::uint64_t off = 0, value = 0;
      in >> off >> value;
      *At(r, off) = value;
      TellParent("ok");
    } else if (cmd == "needsremap") {
      TellParent(r.NeedsRemap() ? "1" : "0");
    } else if (cmd == "remap") {
      TellParent(Reply(r.Remap()));
    } else if (cmd == "grow") {
      std::uint64_t n = 0;
      in >> n;
      TellParent(Reply(r.Grow(n)));
    } else if (cmd == "detach") {
      TellParent(Reply(r.Detach()));
    } else if (cmd == "width") {
      TellParent(absl::StrCat(sizeof(void*) * 8));
    } else if (cmd == "exit") {
      std::fflush(nullptr);
      std::_Exit(0);  // no destructors: the attachment stays recorded
    } else {
      TellParent("err unknown command " + cmd);
    }
  }
  return 0;
}

absl::StatusOr<os::Child> StartRegionWorker(const region::RegionOptions& o, const std::string& binary,
                                            const std::vector<std::string>& wrapper) {
  const os::Backend b = o.backend.value_or(os::Backend::kFile);
  std::vector<std::string> args{o.home, o.name, std::string(os::BackendName(b)), absl::StrCat(o.size)};
  if (binary.empty() && wrapper.empty()) return StartHelper("RegionWorker", args);
  std::string exe = binary;
  if (exe.empty()) {
    absl::StatusOr<std::string> self = os::ExecutablePath();
    if (!self.ok()) return self.status();
    exe = *self;
  }
  args.insert(args.begin(), {exe, "--osport_helper=RegionWorker"});
  args.insert(args.begin(), wrapper.begin(), wrapper.end());
  return os::Spawn(args);
}

std::string Ask(os::Child& worker, const std::string& command) {
  if (!worker.Send(command).ok()) return "";
  absl::StatusOr<std::string> line = worker.ReadLine();
  return line.ok() ? *line : "";
}

}  // namespace osport::testing
