// A consumer of osport, built as C++20 (osport needs C++17 or later and
// must not force a standard on its users): attach a region, write, mark it
// for removal, detach, and check that nothing is left; and take an os::Mutex
// twice, so its inline paths compile against the installed headers.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>

#include "os/error.h"
#include "os/mutex.h"
#include "os/process.h"
#include "region/region.h"

static_assert(__cplusplus >= 202002L, "the consumer tests build osport's users as C++20");

static bool LockTwice() {
  osport::os::Mutex m;
  if (!m.Init(osport::os::MutexKind::kSpin, 0).ok()) return false;
  for (int i = 0; i < 2; ++i) {  // the first fills this thread's identity
    if (!m.Lock().ok() || !m.Unlock().ok()) return false;
  }
  return m.stats().nowait == 2;
}

int main() {
  if (!LockTwice()) {
    std::fprintf(stderr, "os::Mutex lock/unlock failed\n");
    return 1;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path home =
      fs::temp_directory_path() / ("osport-consumer-" + std::to_string(osport::os::CurrentProcess().pid));
  fs::create_directory(home, ec);
  osport::region::RegionOptions o;
  o.home = home.string();
  o.name = "consumer";
  o.size = 1 << 20;
  absl::StatusOr<osport::region::Region> r = osport::region::Region::Attach(o);
  if (!r.ok()) {
    std::fprintf(stderr, "attach: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  const std::span<char> data(static_cast<char*>(r->data()), r->data_size());
  std::strcpy(data.data(), "hello from a C++20 consumer");
  if (absl::Status s = r->MarkForRemoval(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  if (absl::Status s = r->Unlock(); !s.ok()) {
    std::fprintf(stderr, "unlock: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (absl::Status s = r->Detach(); !s.ok()) {
    std::fprintf(stderr, "detach: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const bool clean = !fs::exists(home / "consumer");
  fs::remove_all(home, ec);
  std::printf("consumer (C++%ld) %s\n", __cplusplus / 100 % 100, clean ? "ok" : "left its region behind");
  return clean ? 0 : 1;
}
