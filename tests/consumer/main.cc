// A consumer of osport: attach a region, write, detach and remove it.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "os/error.h"
#include "region/region.h"

int main() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path home = fs::temp_directory_path() / ("osport-consumer-" + std::to_string(::getpid()));
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
  std::strcpy(static_cast<char*>(r->data()), "hello from a consumer");
  r->header().flags |= osport::region::kFlagRemoveOnDetach;
  if (!r->Unlock().ok() || !r->Detach().ok()) return 1;
  const bool clean = !fs::exists(home / "consumer");
  fs::remove_all(home, ec);
  std::printf("consumer %s\n", clean ? "ok" : "left its region behind");
  return clean ? 0 : 1;
}
