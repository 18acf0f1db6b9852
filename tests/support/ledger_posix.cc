// POSIX half of tests/support/ledger.h: an append-only file written with raw
// system calls (an observer may not make os-layer calls).
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "os/hooks.h"
#include "tests/support/ledger.h"

namespace osport::testing {
namespace {

std::string& LedgerPath() {
  static auto* path = new std::string;
  return *path;
}

// "/dev/shm/<name>" for "posix:/<name>".
std::string ShmPath(absl::string_view object) {
  absl::string_view name = object.substr(6);
  if (!name.empty() && name[0] == '/') name.remove_prefix(1);
  return absl::StrCat("/dev/shm/", name);
}

// One line per object, appended in one write(2) so lines from several
// processes never interleave.
void Record(os::ObjectEvent, absl::string_view object, void*) {
  const std::string& path = LedgerPath();
  if (path.empty()) return;
  const int saved = errno;
  // A POSIX object has no creator pid: record the inode it has in /dev/shm
  // instead, since names derived from a stub's inode recur once the
  // filesystem reuses that inode (another test's region, later).
  unsigned long long ino = 0;
  if (object.substr(0, 6) == "posix:") {
    struct stat st;
    if (::stat(ShmPath(object).c_str(), &st) == 0) ino = st.st_ino;
  }
  const std::string line = absl::StrCat(object, " ", ::getpid(), " ", ino, "\n");
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    (void)!::write(fd, line.data(), line.size());
    ::close(fd);
  }
  errno = saved;
}

struct Entry {
  std::string object;
  long creator = 0;
  unsigned long long ino = 0;  // POSIX objects: the inode in /dev/shm
};

std::vector<Entry> ReadLedger() {
  std::vector<Entry> out;
  std::ifstream in(LedgerPath());
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    Entry e;
    fields >> e.object >> e.creator >> e.ino;
    if (!e.object.empty()) out.push_back(e);
  }
  return out;
}

// Whether the object still exists. A SysV id counts only if the segment there
// is still the one this test's process made (ids are reused by the kernel), a
// POSIX name only if it still has the inode it was made with.
bool StillExists(const Entry& e) {
  if (e.object.rfind("sysv:", 0) == 0) {
    struct shmid_ds ds;
    const int id = std::atoi(e.object.c_str() + 5);
    return ::shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_cpid == e.creator;
  }
  if (e.object.rfind("posix:", 0) == 0) {
    struct stat st;
    // Inode 0: the creator could not stat it just after making it; judged
    // by name then (a leak is never hidden for want of an inode).
    return ::stat(ShmPath(e.object).c_str(), &st) == 0 && (e.ino == 0 || st.st_ino == e.ino);
  }
  return false;
}

}  // namespace

void StartLedger(const std::string& path) {
  ::unlink(path.c_str());
  LedgerPath() = path;
  ::setenv(kLedgerEnv, path.c_str(), 1);
  os::InstallObserver(&Record, nullptr);
}

std::vector<std::string> LedgerLeftovers() {
  std::vector<std::string> left;
  for (const Entry& e : ReadLedger()) {
    if (StillExists(e)) left.push_back(e.object);
  }
  return left;
}

std::vector<std::string> FinishLedger() {
  os::InstallObserver(nullptr, nullptr);
  std::vector<std::string> left = LedgerLeftovers();
  ::unlink(LedgerPath().c_str());
  LedgerPath().clear();
  ::unsetenv(kLedgerEnv);
  return left;
}

void JoinInheritedLedger() {
  const char* path = std::getenv(kLedgerEnv);
  if (path == nullptr || *path == '\0') return;
  LedgerPath() = path;
  os::InstallObserver(&Record, nullptr);
}

bool LedgerNames(const std::string& object) {
  for (const Entry& e : ReadLedger()) {
    if (e.object == object) return true;
  }
  return false;
}

std::optional<bool> LedgerObjectExists(const std::string& object) {
  std::optional<bool> exists;
  for (const Entry& e : ReadLedger()) {
    if (e.object != object) continue;
    exists = exists.value_or(false) || StillExists(e);
  }
  return exists;
}

}  // namespace osport::testing
