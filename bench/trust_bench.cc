// What the trust boundary costs (issue 12): opening an existing region file
// through OpenTrusted (openat O_NOFOLLOW|O_NONBLOCK + fstat + the checks)
// against a raw open+fstat+close, and opening the home (openat2 or the walk)
// -- all in one run, so compare ratios of medians:
//   osport_bench_trust --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "benchmark/benchmark.h"
#include "os/dir.h"
#include "os/fault_injection.h"
#include "os/trust.h"

namespace {

namespace fs = std::filesystem;

// A private home (a/b/c deep, like a real path) with one 0600 file.
struct Home {
  Home() {
    base = fs::temp_directory_path() / ("osport-trust-bench-" + std::to_string(::getpid()));
    home = base / "a" / "b" / "c";
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all);
    const int fd = ::open((home / "r").c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    ::close(fd);
  }
  ~Home() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  fs::path base, home;
};

Home& TheHome() {
  static Home h;
  return h;
}

void BM_Raw_OpenFstatClose(benchmark::State& state) {
  const std::string path = (TheHome().home / "r").string();
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    benchmark::DoNotOptimize(::fstat(fd, &st));
    ::close(fd);
  }
}
BENCHMARK(BM_Raw_OpenFstatClose);

void BM_OpenTrusted_Close(benchmark::State& state) {
  osport::os::Dir dir = osport::os::OpenTrustedHome(TheHome().home.string(), {}).value();
  for (auto _ : state) {
    osport::os::File f = osport::os::OpenTrusted(dir, "r", 0, 0600, {}).value();
    benchmark::DoNotOptimize(f.native());
  }
}
BENCHMARK(BM_OpenTrusted_Close);

void BM_Raw_OpenDirClose(benchmark::State& state) {
  const std::string path = TheHome().home.string();
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    benchmark::DoNotOptimize(fd);
    ::close(fd);
  }
}
BENCHMARK(BM_Raw_OpenDirClose);

void BM_OpenTrustedHome(benchmark::State& state) {
  const std::string path = TheHome().home.string();
  for (auto _ : state) {
    osport::os::Dir d = osport::os::OpenTrustedHome(path, {}).value();
    benchmark::DoNotOptimize(d.native());
  }
}
BENCHMARK(BM_OpenTrustedHome);

// The component walk (openat2 made to say ENOSYS through the hook table,
// which adds a little of its own).
void BM_OpenTrustedHome_Walk(benchmark::State& state) {
  const std::string path = TheHome().home.string();
  for (auto _ : state) {
    osport::os::FaultInjector no_openat2(osport::os::Op::kOpen, 1, ENOSYS);
    osport::os::Dir d = osport::os::OpenTrustedHome(path, {}).value();
    benchmark::DoNotOptimize(d.native());
  }
}
BENCHMARK(BM_OpenTrustedHome_Walk);

}  // namespace

BENCHMARK_MAIN();
