// The system-memory ledger: which SysV segments and POSIX shm objects this
// test's own processes created, so a leak check looks at those and nothing
// else on the host (other osport users, a second test run, `ctest -j`).
//
// The test process installs an os::InstallObserver callback that appends one
// line per created object ("sysv:<shmid> <creator pid>", "posix:<name>
// <creator pid> <inode in /dev/shm>") to a ledger file beside its scratch home, and names that
// file in the environment (OSPORT_TEST_LEDGER); every helper process the test
// starts (the test binary re-run in helper mode, or a fork) inherits it and
// appends too. A kill at an os call never falls between a creation and its
// line: the observer runs right after the system call, before the next hook.
#ifndef OSPORT_TESTS_SUPPORT_LEDGER_H_
#define OSPORT_TESTS_SUPPORT_LEDGER_H_

#include <optional>
#include <string>
#include <vector>

namespace osport::testing {

// The environment variable that names the ledger file.
inline constexpr char kLedgerEnv[] = "OSPORT_TEST_LEDGER";

// In the test process: starts a fresh ledger at `path` (exported to children)
// and records this process's creations in it.
void StartLedger(const std::string& path);
// Stops recording, unexports the ledger and deletes its file; returns the
// objects the ledger names that still exist ("sysv:<id>", "posix:<name>"):
// the same segment (creator pid) or object (inode), not a later one that the
// kernel gave the same id or another region derived the same name for.
std::vector<std::string> FinishLedger();

// The objects the ledger names so far that still exist, without stopping it
// (a test that checks after each of many steps).
std::vector<std::string> LedgerLeftovers();

// In a helper process: records creations in the inherited ledger, if any.
void JoinInheritedLedger();

// Whether the ledger names `object` (for tests of the ledger itself).
bool LedgerNames(const std::string& object);

// Whether `object` ("sysv:<id>", "posix:<name>") as this test made it still
// exists: nullopt when the ledger does not name it (made by hand, or no
// ledger), else whether one of its recorded instances is still there -- not
// a later one the kernel gave that id or another osport user's region
// derived that name for.
std::optional<bool> LedgerObjectExists(const std::string& object);

}  // namespace osport::testing

#endif  // OSPORT_TESTS_SUPPORT_LEDGER_H_
