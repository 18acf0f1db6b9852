// Win32 half of tests/support/ledger.h: a paging-file section dies with its
// last handle, so there is no system memory a process can leave behind; the
// handle count of ResourceTest is the leak check there.
#include "tests/support/ledger.h"

namespace osport::testing {

void StartLedger(const std::string&) {}
std::vector<std::string> FinishLedger() { return {}; }
std::vector<std::string> LedgerLeftovers() { return {}; }
void JoinInheritedLedger() {}
bool LedgerNames(const std::string&) { return false; }
std::optional<bool> LedgerObjectExists(const std::string&) { return std::nullopt; }

}  // namespace osport::testing
