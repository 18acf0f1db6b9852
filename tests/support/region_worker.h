// A scriptable region client for multi-process tests: the parent starts the
// test binary as helper "RegionWorker" and sends it one command per line.
//
//   attach                -> attach and unlock: "ok created=<0|1>" | "err <errc> <message>"
//   lock / unlock         -> "ok" | "err ..." (lock: "ownerdead" if it took over)
//   add <n>               -> lock, add 1 to the counter n times, unlock -> "ok"
//   rounds <n>            -> n x (attach, lock, ++counter, unlock, detach) -> "ok"
//   counter               -> "<value of the uint64 at data()+0>"
//   peek <offset>         -> "<uint64 at data()+offset>"
//   poke <offset> <value> -> "ok"
//   needsremap / remap    -> "<0|1>" / "ok"
//   grow <bytes>          -> (lock held) "ok"
//   detach                -> "ok" | "err ..."
//   width                 -> "32" or "64": this process's pointer width
//   timeout <ms>          -> "ok": later attaches wait at most ms (attach_timeout)
//   pidns                 -> "<os::CurrentPidNamespace()>" | "err ..."
//   exit                  -> exits 0 without detaching (a crash, for the header)
//
// Arguments: home name backend size.
#ifndef OSPORT_TESTS_SUPPORT_REGION_WORKER_H_
#define OSPORT_TESTS_SUPPORT_REGION_WORKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "os/process.h"
#include "region/options.h"

namespace osport::testing {

// Starts a worker for the region `o` names (home, name, backend, size).
// `binary` runs another test binary as the worker (one built for another
// pointer width, say); empty means this one. `wrapper`, if any, is a
// command line the worker's is appended to (e.g. unshare --pid --fork).
absl::StatusOr<os::Child> StartRegionWorker(const region::RegionOptions& o,
                                            const std::string& binary = "",
                                            const std::vector<std::string>& wrapper = {});

// Sends `command` and returns the worker's one-line reply ("" on failure).
std::string Ask(os::Child& worker, const std::string& command);

}  // namespace osport::testing

#endif  // OSPORT_TESTS_SUPPORT_REGION_WORKER_H_
