// Region benchmarks (issue 4): each osport region operation against the raw
// system calls it is built on, in one run, on one filesystem, so that the
// ratios of their medians say what osport costs. Compare with ratios.py.
//
// Every benchmark leaves nothing behind: its files live in a scratch
// directory made (and removed) by main, its Boost segment is removed, and
// every mapping is unmapped before the next iteration.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <benchmark/benchmark.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "os/file.h"
#include "os/map.h"
#include "region/grow.h"
#include "region/options.h"
#include "region/region.h"

#ifdef OSPORT_BENCH_HAVE_BOOST
#include <boost/interprocess/managed_shared_memory.hpp>
#endif

namespace {

namespace region = osport::region;
namespace os = osport::os;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

std::string g_dir;  // the scratch directory, on the filesystem under test

std::string PathOf(const std::string& name) { return g_dir + "/" + name; }

std::size_t Page() {
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

// Stops a benchmark with the failing call and errno.
void Fail(benchmark::State& state, const char* call) {
  state.SkipWithError(absl::StrCat(call, ": ", std::strerror(errno)).c_str());
}
void Fail(benchmark::State& state, const absl::Status& s) {
  state.SkipWithError(s.ToString().c_str());
}

region::RegionOptions Options(const std::string& name, std::uint64_t size) {
  region::RegionOptions o;
  o.home = g_dir;
  o.name = name;
  o.size = size;
  o.backend = os::Backend::kFile;
  return o;
}

// A new file of `size` bytes with its blocks allocated, as a region file is.
bool MakeAllocatedFile(const std::string& path, std::uint64_t size) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  ::close(fd);
  if (err != 0) errno = err;
  return err == 0;
}

// Writes one byte in every page: the page faults a prefault must take.
void TouchPages(void* addr, std::uint64_t size) {
  auto* p = static_cast<volatile unsigned char*>(addr);
  for (std::uint64_t at = 0; at < size; at += Page()) p[at] = 0;
}

// ---- Attach and detach an existing 1 MiB region --------------------------

// With `touch`, one atomic write to the first page between mmap and munmap:
// the floor for any join that must lock and count itself in its header
// (registered only with OSPORT_BENCH_EXTRA=1; see README).
void RawOpenMapUnmapClose(benchmark::State& state, bool touch) {
  const std::string path = PathOf("raw-1m");
  if (!MakeAllocatedFile(path, kMiB)) return Fail(state, "create");
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      Fail(state, "open");
      break;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Fail(state, "fstat");
      ::close(fd);
      break;
    }
    const auto len = static_cast<std::size_t>(st.st_size);
    void* addr = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      Fail(state, "mmap");
      ::close(fd);
      break;
    }
    if (touch) static_cast<std::atomic<std::uint32_t>*>(addr)->fetch_add(0);
    benchmark::DoNotOptimize(addr);
    ::munmap(addr, len);
    ::close(fd);
  }
  ::unlink(path.c_str());
}

void BM_Raw_OpenMapUnmapClose(benchmark::State& state) { RawOpenMapUnmapClose(state, false); }

// Joins a region nobody else is attached to (its creator detached), the way a
// process joins a long-lived region; Attach returns it locked.
void BM_Osport_AttachDetach(benchmark::State& state) {
  region::RegionOptions o = Options("osport-1m", kMiB);
  {
    absl::StatusOr<region::Region> r = region::Region::Attach(o);
    if (!r.ok()) return Fail(state, r.status());
    if (absl::Status s = r->Unlock(); !s.ok()) return Fail(state, s);
    if (absl::Status s = r->Detach(); !s.ok()) return Fail(state, s);
  }
  for (auto _ : state) {
    absl::StatusOr<region::Region> r = region::Region::Attach(o);
    if (!r.ok()) {
      Fail(state, r.status());
      break;
    }
    if (absl::Status s = r->Unlock(); !s.ok()) {
      Fail(state, s);
      break;
    }
    if (absl::Status s = r->Detach(); !s.ok()) {
      Fail(state, s);
      break;
    }
  }
  (void)region::Remove(o, /*force=*/true);
}

void BM_Boost_ManagedShm_OpenOnly(benchmark::State& state) {
#ifdef OSPORT_BENCH_HAVE_BOOST
  namespace bip = boost::interprocess;
  const std::string name = absl::StrCat("osport-bench-", ::getpid());
  bip::shared_memory_object::remove(name.c_str());
  try {
    // Created and closed first, like the osport region: open_only joins it.
    { bip::managed_shared_memory created(bip::create_only, name.c_str(), kMiB); }
    for (auto _ : state) {
      bip::managed_shared_memory m(bip::open_only, name.c_str());
      benchmark::DoNotOptimize(m.get_address());
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  bip::shared_memory_object::remove(name.c_str());
#else
  state.SkipWithError("built without Boost.Interprocess");
  for (auto _ : state) {
  }
#endif
}

// ---- Rounds with untimed parts ---------------------------------------------
// The big benchmarks below are written as rounds: `round(timed)` does one
// whole create (or grow) and cleans up, returning false after Fail(). Run()
// does one untimed warm-up round first: on this kind of VM (Firecracker with
// free page reporting) memory the guest freed a while ago has been handed
// back to the host, and touching it again costs ~10x; after one round every
// variant reuses memory it just freed, as a long-running process would.
template <typename Round>
void Run(benchmark::State& state, Round round) {
  if (!round(false)) return;
  for (auto _ : state) {
    if (!round(true)) break;
  }
}

// Stops the clock for the rest of a scope in a timed round.
class Untimed {
 public:
  Untimed(benchmark::State& state, bool timed) : state_(state), timed_(timed) {
    if (timed_) state_.PauseTiming();
  }
  ~Untimed() {
    if (timed_) state_.ResumeTiming();
  }
  Untimed(const Untimed&) = delete;
  Untimed& operator=(const Untimed&) = delete;

 private:
  benchmark::State& state_;
  bool timed_;
};

std::uint64_t MiBArg(const benchmark::State& state) {
  return static_cast<std::uint64_t>(state.range(0)) * kMiB;
}

// ---- Create a region and fault every page in for writing -----------------
// Timed: from no file to a mapping whose every page is writable without a
// fault, disk blocks guaranteed. Untimed: unmap, close, unlink.

// One raw create: open, posix_fallocate, mmap with `map_flags`, a write to
// every page.
bool RawPrefaultRound(benchmark::State& state, bool timed, const std::string& path,
                      std::uint64_t size, int map_flags) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    Fail(state, "open");
    return false;
  }
  void* addr = MAP_FAILED;
  if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); err != 0) {
    errno = err;
    Fail(state, "posix_fallocate");
  } else if (addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | map_flags, fd, 0);
             addr == MAP_FAILED) {
    Fail(state, "mmap");
  } else {
    TouchPages(addr, size);
  }
  Untimed cleanup(state, timed);
  if (addr != MAP_FAILED) ::munmap(addr, size);
  ::close(fd);
  ::unlink(path.c_str());
  return addr != MAP_FAILED;
}

void BM_Raw_FallocateTouch(benchmark::State& state) {
  const std::string path = PathOf("raw-prefault");
  Run(state, [&](bool timed) { return RawPrefaultRound(state, timed, path, MiBArg(state), 0); });
}

// MAP_POPULATE read-faults a shared file mapping only: its pages stay
// write-protected, so the same end state still needs a write to each page.
void BM_Raw_MapPopulate(benchmark::State& state) {
  const std::string path = PathOf("raw-populate");
  Run(state, [&](bool timed) {
    return RawPrefaultRound(state, timed, path, MiBArg(state), MAP_POPULATE);
  });
}

void BM_Osport_CreatePrefault(benchmark::State& state) {
  region::RegionOptions o = Options("osport-prefault", MiBArg(state));
  o.prefault = true;
  Run(state, [&](bool timed) {
    absl::StatusOr<region::Region> r = region::Region::Attach(o);
    const absl::Status s = r.ok() ? r->Unlock() : r.status();
    Untimed cleanup(state, timed);
    if (r.ok()) (void)r->Detach();
    (void)region::Remove(o, /*force=*/true);
    if (!s.ok()) Fail(state, s);
    return s.ok();
  });
}

// ---- Mapinit: every page of a new region written before it is mapped -----
// Timed: create, zero-fill, map. Untimed: unmap, close, unlink.

// The seed's __db_growregion under __db_mapinit(): seek to the end, then one
// 4 KiB write of zeros per page.
void BM_Seed_Write4KiB(benchmark::State& state) {
  const std::uint64_t size = MiBArg(state);
  const std::string path = PathOf("seed-mapinit");
  static const char zeros[4096] = {};
  Run(state, [&](bool timed) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      Fail(state, "open");
      return false;
    }
    bool ok = ::lseek(fd, 0, SEEK_END) >= 0;
    for (std::uint64_t at = 0; ok && at < size; at += sizeof zeros) {
      ok = ::write(fd, zeros, sizeof zeros) == static_cast<ssize_t>(sizeof zeros);
    }
    void* addr = ok ? ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (addr == MAP_FAILED) Fail(state, ok ? "mmap" : "write");
    benchmark::DoNotOptimize(addr);
    Untimed cleanup(state, timed);
    if (addr != MAP_FAILED) ::munmap(addr, size);
    ::close(fd);
    ::unlink(path.c_str());
    return addr != MAP_FAILED;
  });
}

// In an OSPORT_MAPINIT build this is Region::Attach itself. In other builds
// Attach never zero-fills, so this runs the steps Attach's creator runs in a
// mapinit build -- exclusive open, region::WriteZeros (the very routine
// GrowRegionFile calls), MapFile -- without the header initialisation.
void BM_Osport_CreateMapinit(benchmark::State& state) {
  const std::uint64_t size = MiBArg(state);
  const region::RegionOptions o = Options("osport-mapinit", size);
  const std::string path = PathOf(o.name);
  state.SetLabel(os::MapInitRequired() ? "Region::Attach (mapinit build)" : "WriteZeros + MapFile");
  Run(state, [&](bool timed) {
    absl::Status s;
    if (os::MapInitRequired()) {
      absl::StatusOr<region::Region> r = region::Region::Attach(o);
      s = r.ok() ? r->Unlock() : r.status();
      Untimed cleanup(state, timed);
      if (r.ok()) (void)r->Detach();
      (void)region::Remove(o, /*force=*/true);
    } else {
      absl::StatusOr<os::File> f =
          os::Open(path, os::kOpenCreate | os::kOpenExclusive | os::kOpenNoFollow, 0600);
      absl::StatusOr<os::Mapping> m = absl::UnknownError("not mapped");
      s = f.ok() ? region::WriteZeros(*f, 0, size) : f.status();
      if (s.ok()) {
        m = os::MapFile(*f, size);
        s = m.status();
      }
      Untimed cleanup(state, timed);
      if (m.ok()) (void)m->Unmap();
      if (f.ok()) (void)f->Close();
      (void)os::Unlink(path);
    }
    if (!s.ok()) Fail(state, s);
    return s.ok();
  });
}

// ---- Grow a mapped region 64 -> 128 MiB -----------------------------------
// Untimed: a new 64 MiB region file (blocks allocated), mapped, its first
// page touched (as Attach touches the header). Timed: the disk guarantee for
// the new half and the new mapping. Untimed: unmap, close, unlink.

constexpr std::uint64_t kGrowFrom = 64 * kMiB;
constexpr std::uint64_t kGrowTo = 128 * kMiB;

void BM_Raw_GrowRemap(benchmark::State& state) {
  const std::string path = PathOf("raw-grow");
  Run(state, [&](bool timed) {
    int fd = -1;
    void* addr = MAP_FAILED;
    {
      Untimed setup(state, timed);
      if (MakeAllocatedFile(path, kGrowFrom)) fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd >= 0) addr = ::mmap(nullptr, kGrowFrom, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (addr == MAP_FAILED) {
        Fail(state, fd < 0 ? "create" : "mmap");
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
        return false;
      }
      TouchPages(addr, Page());
    }
    const int err = ::posix_fallocate(fd, static_cast<off_t>(kGrowFrom),
                                      static_cast<off_t>(kGrowTo - kGrowFrom));
    void* grown = err == 0 ? ::mremap(addr, kGrowFrom, kGrowTo, MREMAP_MAYMOVE) : MAP_FAILED;

    Untimed cleanup(state, timed);
    if (grown == MAP_FAILED) {
      if (err != 0) errno = err;
      Fail(state, err != 0 ? "posix_fallocate" : "mremap");
      ::munmap(addr, kGrowFrom);
    } else {
      ::munmap(grown, kGrowTo);
    }
    ::close(fd);
    ::unlink(path.c_str());
    return grown != MAP_FAILED;
  });
}

void BM_Osport_Grow(benchmark::State& state) {
  const region::RegionOptions o = Options("osport-grow", kGrowFrom);
  Run(state, [&](bool timed) {
    absl::StatusOr<region::Region> r = absl::UnknownError("not attached");
    {
      Untimed setup(state, timed);
      r = region::Region::Attach(o);  // returned locked, as Grow needs
      if (!r.ok()) {
        Fail(state, r.status());
        (void)region::Remove(o, /*force=*/true);
        return false;
      }
    }
    const absl::Status s = r->Grow(kGrowTo);

    Untimed cleanup(state, timed);
    (void)r->Unlock();
    (void)r->Detach();
    (void)region::Remove(o, /*force=*/true);
    if (!s.ok()) Fail(state, s);
    return s.ok();
  });
}

// Registered in the order; with OSPORT_BENCH_EXTRA=1, the raw
// open+map+touch floor right after the raw open+map, so they run side by side.
// Wall-clock time throughout: the caller waits for the kernel's work too.
void RegisterAll(bool extra) {
  using benchmark::RegisterBenchmark;
  constexpr auto us = benchmark::kMicrosecond;
  constexpr auto ms = benchmark::kMillisecond;
  RegisterBenchmark("BM_Raw_OpenMapUnmapClose", BM_Raw_OpenMapUnmapClose)->UseRealTime()->Unit(us);
  if (extra) {
    RegisterBenchmark("BM_Raw_OpenMapTouchUnmapClose",
                      [](benchmark::State& state) { RawOpenMapUnmapClose(state, true); })
        ->UseRealTime()
        ->Unit(us);
  }
  RegisterBenchmark("BM_Osport_AttachDetach", BM_Osport_AttachDetach)->UseRealTime()->Unit(us);
  RegisterBenchmark("BM_Boost_ManagedShm_OpenOnly", BM_Boost_ManagedShm_OpenOnly)->UseRealTime()->Unit(us);
  RegisterBenchmark("BM_Raw_FallocateTouch", BM_Raw_FallocateTouch)->Arg(256)->UseRealTime()->Unit(ms);
  RegisterBenchmark("BM_Raw_MapPopulate", BM_Raw_MapPopulate)->Arg(256)->UseRealTime()->Unit(ms);
  RegisterBenchmark("BM_Osport_CreatePrefault", BM_Osport_CreatePrefault)->Arg(256)->UseRealTime()->Unit(ms);
  RegisterBenchmark("BM_Seed_Write4KiB", BM_Seed_Write4KiB)->Arg(256)->UseRealTime()->Unit(ms);
  RegisterBenchmark("BM_Osport_CreateMapinit", BM_Osport_CreateMapinit)->Arg(256)->UseRealTime()->Unit(ms);
  // A grow round spends ~10x its timed part in untimed setup and cleanup (a
  // new 64 MiB file, an unlink): a fixed count keeps a run to seconds.
  RegisterBenchmark("BM_Raw_GrowRemap", BM_Raw_GrowRemap)->UseRealTime()->Unit(us)->Iterations(300);
  RegisterBenchmark("BM_Osport_Grow", BM_Osport_Grow)->UseRealTime()->Unit(us)->Iterations(300);
}

// The filesystem a directory is on, by statfs magic (the common ones).
std::string FilesystemOf(const std::string& dir) {
  struct statfs fs;
  if (::statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x2FC12FC1: return "zfs";
    default: return absl::StrCat("statfs magic 0x", absl::Hex(fs.f_type));
  }
}

}  // namespace

// The scratch directory: $OSPORT_BENCH_DIR, else /var/tmp (on disk on most
// systems, where /tmp may be tmpfs). Raw and osport variants share it.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const char* base = std::getenv("OSPORT_BENCH_DIR");
  std::string templ = absl::StrCat(base != nullptr && *base != '\0' ? base : "/var/tmp",
                                   "/osport-bench-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp %s: %s\n", templ.c_str(), std::strerror(errno));
    return 1;
  }
  g_dir = templ;
  benchmark::AddCustomContext("scratch_dir", g_dir);
  benchmark::AddCustomContext("scratch_fs", FilesystemOf(g_dir));
  benchmark::AddCustomContext("osport_mapinit", os::MapInitRequired() ? "on" : "off");
  const char* extra = std::getenv("OSPORT_BENCH_EXTRA");
  RegisterAll(extra != nullptr && *extra == '1');
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Every benchmark removes its files; an rmdir that fails means one did not.
  if (::rmdir(g_dir.c_str()) != 0) {
    std::fprintf(stderr, "scratch directory %s not empty: %s\n", g_dir.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}
