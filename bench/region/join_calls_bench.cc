// osport_bench_join_calls: what each system call of a region join costs on
// its own (issue 11 asks what every call added to attach+detach costs).
// strace of BM_Osport_AttachDetach (bench/region/README.md) lists them: the
// home walk (openat2 RESOLVE_NO_SYMLINKS + fstat + close), the region file's
// open + fstat, geteuid (owner checks), the OFD liveness lock, statx (size),
// lseek + read (the header, validated before anything is mapped), mmap +
// madvise(MADV_POPULATE_WRITE) + munmap. Each is timed here in a loop on one
// 1 MiB file in a private directory under $OSPORT_BENCH_DIR (default
// /dev/shm, where Boost's segment lives). Linux only (openat2, OFD locks).
//   osport_bench_join_calls --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"

namespace {

constexpr std::size_t kSize = std::size_t{1} << 20;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

// A private directory with one fallocated 1 MiB file, removed at exit.
struct Scratch {
  Scratch() {
    const char* base = std::getenv("OSPORT_BENCH_DIR");
    std::string t = std::string(base != nullptr ? base : "/dev/shm") + "/osport-join-calls-XXXXXX";
    if (::mkdtemp(t.data()) == nullptr) Die("mkdtemp");
    dir = t;
    file = dir + "/r";
    fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::posix_fallocate(fd, 0, kSize) != 0) Die("create");
    dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) Die("open dir");
  }
  ~Scratch() {
    ::close(fd);
    ::close(dirfd);
    ::unlink(file.c_str());
    ::rmdir(dir.c_str());
  }
  std::string dir, file;
  int fd = -1, dirfd = -1;
};

Scratch& S() {
  static Scratch s;
  return s;
}

void BM_Geteuid(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::geteuid());
}

void BM_HomeOpenat2FstatClose(benchmark::State& state) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY;
  how.resolve = RESOLVE_NO_SYMLINKS;
  struct stat st;
  for (auto _ : state) {
    const int d = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, S().dir.c_str(), &how, sizeof how));
    if (d < 0 || ::fstat(d, &st) != 0) Die("openat2");
    ::close(d);
  }
}

void BM_FileOpenatFstatClose(benchmark::State& state) {
  struct stat st;
  for (auto _ : state) {
    const int f = ::openat(S().dirfd, "r", O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f < 0 || ::fstat(f, &st) != 0) Die("openat");
    ::close(f);
  }
}

void BM_OfdSharedLockUnlock(benchmark::State& state) {
  struct flock l {};
  l.l_whence = SEEK_SET;
  l.l_start = std::int64_t{1} << 62;
  l.l_len = 1;
  for (auto _ : state) {
    l.l_type = F_RDLCK;
    if (::fcntl(S().fd, F_OFD_SETLK, &l) != 0) Die("F_OFD_SETLK");
    l.l_type = F_UNLCK;
    if (::fcntl(S().fd, F_OFD_SETLK, &l) != 0) Die("F_OFD_SETLK unlock");
  }
}

void BM_StatxSize(benchmark::State& state) {
  struct statx sx;
  for (auto _ : state) {
    if (::statx(S().fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_SIZE, &sx) != 0) Die("statx");
  }
}

void BM_LseekRead4KiB(benchmark::State& state) {
  char buf[4096];
  for (auto _ : state) {
    ::lseek(S().fd, 0, SEEK_SET);
    benchmark::DoNotOptimize(::read(S().fd, buf, sizeof buf));
  }
}

void BM_Pread4KiB(benchmark::State& state) {
  char buf[4096];
  for (auto _ : state) benchmark::DoNotOptimize(::pread(S().fd, buf, sizeof buf, 0));
}

void* Map() {
  void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, S().fd, 0);
  if (p == MAP_FAILED) Die("mmap");
  return p;
}

void BM_MmapMunmap(benchmark::State& state) {
  for (auto _ : state) ::munmap(Map(), kSize);
}

void BM_MmapPopulateWriteMunmap(benchmark::State& state) {
  for (auto _ : state) {
    void* p = Map();
#ifdef MADV_POPULATE_WRITE
    ::madvise(p, 4096, MADV_POPULATE_WRITE);
#else
    *static_cast<volatile char*>(p) = 0;
#endif
    ::munmap(p, kSize);
  }
}

void BM_MmapAtomicWriteMunmap(benchmark::State& state) {
  for (auto _ : state) {
    void* p = Map();
    __atomic_fetch_add(static_cast<int*>(p), 1, __ATOMIC_SEQ_CST);
    ::munmap(p, kSize);
  }
}

// A stat of the file, then a write through a new mapping of it: with fstat
// (which asks for the timestamps) and with statx asking for the trust check's
// fields only (os/posix/sys.h, FstatIdentity). On a kernel with multigrain
// timestamps (6.13+) the first makes the write take a fine-grained mtime
// update. Compare the two on ext4: OSPORT_BENCH_DIR=/var/tmp.
template <bool kTimestamps>
void StatThenWrite(benchmark::State& state) {
  for (auto _ : state) {
    if constexpr (kTimestamps) {
      struct stat st;
      if (::fstat(S().fd, &st) != 0) Die("fstat");
    } else {
      struct statx sx;
      if (::statx(S().fd, "", AT_EMPTY_PATH,
                  STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_INO | STATX_SIZE,
                  &sx) != 0) {
        Die("statx");
      }
    }
    void* p = Map();
    __atomic_fetch_add(static_cast<int*>(p), 1, __ATOMIC_SEQ_CST);
    ::munmap(p, kSize);
  }
}
void BM_FstatThenMapWrite(benchmark::State& state) { StatThenWrite<true>(state); }
void BM_StatxIdentityThenMapWrite(benchmark::State& state) { StatThenWrite<false>(state); }

BENCHMARK(BM_Geteuid);
BENCHMARK(BM_HomeOpenat2FstatClose);
BENCHMARK(BM_FileOpenatFstatClose);
BENCHMARK(BM_OfdSharedLockUnlock);
BENCHMARK(BM_StatxSize);
BENCHMARK(BM_LseekRead4KiB);
BENCHMARK(BM_Pread4KiB);
BENCHMARK(BM_MmapMunmap);
BENCHMARK(BM_MmapPopulateWriteMunmap);
BENCHMARK(BM_MmapAtomicWriteMunmap);
BENCHMARK(BM_FstatThenMapWrite);
BENCHMARK(BM_StatxIdentityThenMapWrite);

}  // namespace

BENCHMARK_MAIN();
