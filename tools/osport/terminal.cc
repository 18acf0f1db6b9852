// IsTerminal and the stop signals: the tool's platform corner outside os/.
// The signals use only <csignal> (standard C++): the handler stores the
// number in a sig_atomic_t, the one thing a handler may portably do.
#include "tools/osport/terminal.h"

#include <csignal>
#include <cstdio>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include "absl/strings/str_cat.h"

namespace osport::tool {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void OnStopSignal(int sig) { g_stop = sig; }

}  // namespace

bool IsTerminal() {
#ifdef _WIN32
  return _isatty(_fileno(stdout)) != 0;
#else
  return isatty(fileno(stdout)) != 0;
#endif
}

void CatchStopSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
#ifdef SIGHUP
  std::signal(SIGHUP, OnStopSignal);
#endif
}

int StopSignal() { return static_cast<int>(g_stop); }

std::string SignalName(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
#ifdef SIGHUP
    case SIGHUP: return "SIGHUP";
#endif
    default: return absl::StrCat("signal ", sig);
  }
}

}  // namespace osport::tool
