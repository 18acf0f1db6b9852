// osport_bench_mutex: time per lock+unlock pair of osport's two mutex kinds
// against floors (an exchange + a release store; a CAS + an exchange; the
// same with the one tag store an ABA-proof owner record needs) and the peers
// (pthread process-shared and robust, Boost.Interprocess, a raw fcntl pair),
// every lock placed in a MAP_SHARED file mapping. Contended cases run in real
// processes (fork) and report manual time per pair. See bench/README.md.
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <boost/interprocess/sync/interprocess_mutex.hpp>

#include "benchmark/benchmark.h"
#include "os/file.h"
#include "os/mutex.h"

namespace {

using osport::os::File;
using osport::os::Mutex;
using osport::os::MutexKind;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

// A page of a scratch file mapped MAP_SHARED, as a region would be. The file
// is unlinked at once; its descriptor stays open for the fcntl cases.
class SharedPage {
 public:
  SharedPage() {
    char path[] = "/tmp/osport-bench-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) Die("mkstemp");
    ::close(fd);
    absl::StatusOr<File> f = osport::os::Open(path, 0);
    if (!f.ok()) Die("open");
    file_ = std::move(*f);
    ::unlink(path);
    if (::ftruncate(static_cast<int>(file_.native()), kSize) != 0) Die("ftruncate");
    data_ = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(file_.native()), 0);
    if (data_ == MAP_FAILED) Die("mmap");
  }
  ~SharedPage() { ::munmap(data_, kSize); }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;

  template <typename T>
  T* At(std::size_t offset) {
    return reinterpret_cast<T*>(static_cast<char*>(data_) + offset);
  }
  File& file() { return file_; }
  int fd() const { return static_cast<int>(file_.native()); }

 private:
  static constexpr std::size_t kSize = 4096;
  File file_;
  void* data_ = nullptr;
};

// The lock lives at offset 0 (the region header's place); offset 128 holds
// the counter the critical section increments, 256 the contention harness.
constexpr std::size_t kLockOffset = 0;
constexpr std::size_t kCounterOffset = 128;
constexpr std::size_t kHarnessOffset = 256;

// --- The locks under test, as (init, lock, unlock) ------------------------------

struct FloorLock {
  std::uint32_t* word;
  explicit FloorLock(SharedPage& p) : word(p.At<std::uint32_t>(kLockOffset)) { *word = 0; }
  void Lock() {
    while (__atomic_exchange_n(word, 1u, __ATOMIC_ACQUIRE) != 0) {
    }
  }
  void Unlock() { __atomic_store_n(word, 0u, __ATOMIC_RELEASE); }
};

// The two-RMW floor of issue 15: a CAS lock (0 -> 1) and an exchange unlock,
// the least a lock that must see the old word on both sides can cost.
struct CasXchgLock {
  std::uint32_t* word;
  explicit CasXchgLock(SharedPage& p) : word(p.At<std::uint32_t>(kLockOffset)) { *word = 0; }
  void Lock() {
    std::uint32_t expected = 0;
    while (!__atomic_compare_exchange_n(word, &expected, 1u, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      expected = 0;
    }
  }
  void Unlock() { (void)__atomic_exchange_n(word, 0u, __ATOMIC_RELEASE); }
};

// The two-RMW floor plus the one store issue 15's protocol needs beside the
// lock word: a tag naming the acquisition (a generation and an owner id),
// published with release next to the word, so a waiter can tell whose record
// it reads. Nothing else (no pid, start stamp, statistics or checks): what
// any lock with an ABA-proof owner record must cost at least.
struct CasXchgTagLock {
  std::uint64_t* word;
  std::uint64_t* tag;
  std::uint64_t generation = 0;
  explicit CasXchgTagLock(SharedPage& p)
      : word(p.At<std::uint64_t>(kLockOffset)), tag(p.At<std::uint64_t>(kLockOffset + 24)) {
    *word = 0;
    *tag = 0;
  }
  void Lock() {
    const std::uint64_t next = generation + (std::uint64_t{1} << 32) + 1;
    std::uint64_t expected = generation;
    while (!__atomic_compare_exchange_n(word, &expected, next, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      expected = generation;
    }
    __atomic_store_n(tag, next, __ATOMIC_RELEASE);
    generation = next - 1;
  }
  void Unlock() { (void)__atomic_exchange_n(word, generation, __ATOMIC_RELEASE); }
};

struct OsportLock {
  Mutex* m;
  File* f;
  OsportLock(SharedPage& p, MutexKind kind) : m(p.At<Mutex>(kLockOffset)), f(&p.file()) {
    if (!m->Init(kind, kLockOffset).ok()) Die("Mutex::Init");
    if (kind == MutexKind::kSpin) f = nullptr;
  }
  void Lock() {
    if (!m->Lock(f).ok()) Die("Mutex::Lock");
  }
  void Unlock() {
    if (!m->Unlock(f).ok()) Die("Mutex::Unlock");
  }
};

struct PthreadLock {
  pthread_mutex_t* m;
  bool robust;
  PthreadLock(SharedPage& p, bool is_robust) : m(p.At<pthread_mutex_t>(kLockOffset)), robust(is_robust) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (robust) pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pthread_mutex_init(m, &a) != 0) Die("pthread_mutex_init");
    pthread_mutexattr_destroy(&a);
  }
  void Lock() {
    const int r = pthread_mutex_lock(m);
    if (r == EOWNERDEAD && robust) {
      pthread_mutex_consistent(m);
    } else if (r != 0) {
      Die("pthread_mutex_lock");
    }
  }
  void Unlock() { pthread_mutex_unlock(m); }
};

struct BoostLock {
  boost::interprocess::interprocess_mutex* m;
  explicit BoostLock(SharedPage& p)
      : m(new (p.At<void>(kLockOffset)) boost::interprocess::interprocess_mutex) {}
  void Lock() { m->lock(); }
  void Unlock() { m->unlock(); }
};

struct FcntlPairLock {
  int fd;
  explicit FcntlPairLock(SharedPage& p) : fd(p.fd()) {}
  void Set(short type, int cmd) {
    struct flock l {};
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = static_cast<off_t>(kLockOffset);
    l.l_len = 1;
    if (::fcntl(fd, cmd, &l) != 0) Die("fcntl");
  }
  void Lock() { Set(F_WRLCK, F_SETLKW); }
  void Unlock() { Set(F_UNLCK, F_SETLK); }
};

// --- Uncontended: one thread, lock + increment + unlock --------------------------

template <typename L>
void RunUncontended(benchmark::State& state, L& lock, SharedPage& page) {
  std::uint64_t* counter = page.At<std::uint64_t>(kCounterOffset);
  for (auto _ : state) {
    lock.Lock();
    ++*counter;
    benchmark::ClobberMemory();
    lock.Unlock();
  }
}

void BM_Floor_AtomicXchgStore(benchmark::State& state) {
  SharedPage page;
  FloorLock lock(page);
  RunUncontended(state, lock, page);
}

void BM_Floor_CasXchg(benchmark::State& state) {
  SharedPage page;
  CasXchgLock lock(page);
  RunUncontended(state, lock, page);
}

void BM_Floor_CasXchgTag(benchmark::State& state) {
  SharedPage page;
  CasXchgTagLock lock(page);
  RunUncontended(state, lock, page);
}

void BM_Osport_Spin_Uncontended(benchmark::State& state) {
  SharedPage page;
  OsportLock lock(page, MutexKind::kSpin);
  RunUncontended(state, lock, page);
}

void BM_Osport_FileLock_Uncontended(benchmark::State& state) {
  SharedPage page;
  OsportLock lock(page, MutexKind::kFileLock);
  RunUncontended(state, lock, page);
}

void BM_Pthread_Pshared_Uncontended(benchmark::State& state) {
  SharedPage page;
  PthreadLock lock(page, false);
  RunUncontended(state, lock, page);
}

void BM_Pthread_Robust_Uncontended(benchmark::State& state) {
  SharedPage page;
  PthreadLock lock(page, true);
  RunUncontended(state, lock, page);
}

void BM_Boost_InterprocessMutex_Uncontended(benchmark::State& state) {
  SharedPage page;
  BoostLock lock(page);
  RunUncontended(state, lock, page);
}

void BM_Raw_FcntlPair_Uncontended(benchmark::State& state) {
  SharedPage page;
  FcntlPairLock lock(page);
  RunUncontended(state, lock, page);
}

// --- Contended: N forked processes, each K lock + increment + unlock ------------

// In the shared page: a start flag and each child's finishing time.
struct Harness {
  std::uint32_t go;
  std::uint32_t pad;
  std::int64_t end_ns[64];
};

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int kPairsPerProcess = 1000000;
// With a longer critical section (the *_ContendedCs cases) fewer pairs keep
// the processes overlapping for the whole measurement just as well.
constexpr int kPairsPerProcessCs = 250000;

// Manual time per iteration is the time per pair, so the iteration count is
// fixed (Iterations(10)): benchmark would otherwise scale it as if an
// iteration took nanoseconds.
// A million pairs per process keeps them all contending for the whole
// measurement (with fewer, the first to start ran alone for much of it).
// Forks the processes, lets them go together, and reports wall time from the
// start to the last finish divided by all pairs: time per pair as the whole
// system sees it (the processes share the machine's two cores).
// state.range(0) processes; `cs_loops` empty loop iterations inside the
// critical section besides the increment (100: about 55 ns of work under
// the lock on the 2-vCPU Xeon of bench/README.md, the kind of short section
// PERF-NOTES' spinning advice is about; the one-increment case alone
// rewards never spinning).
template <typename L>
void RunContended(benchmark::State& state, L& lock, SharedPage& page, int cs_loops = 0) {
  const int procs = static_cast<int>(state.range(0));
  const int pairs = cs_loops > 0 ? kPairsPerProcessCs : kPairsPerProcess;
  auto* h = page.At<Harness>(kHarnessOffset);
  std::uint64_t* counter = page.At<std::uint64_t>(kCounterOffset);
  for (auto _ : state) {
    __atomic_store_n(&h->go, 0u, __ATOMIC_RELEASE);
    *counter = 0;
    std::vector<pid_t> kids;
    for (int p = 0; p < procs; ++p) {
      const pid_t pid = ::fork();
      if (pid < 0) Die("fork");
      if (pid == 0) {
        while (__atomic_load_n(&h->go, __ATOMIC_ACQUIRE) == 0) sched_yield();
        for (int i = 0; i < pairs; ++i) {
          lock.Lock();
          ++*counter;
          for (int w = 0; w < cs_loops; ++w) benchmark::DoNotOptimize(w);
          lock.Unlock();
        }
        h->end_ns[p] = NowNs();
        ::_exit(0);
      }
      kids.push_back(pid);
    }
    const std::int64_t start = NowNs();
    __atomic_store_n(&h->go, 1u, __ATOMIC_RELEASE);
    for (pid_t pid : kids) {
      int status = 0;
      if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        Die("child");
      }
    }
    std::int64_t end = start;
    for (int p = 0; p < procs; ++p) end = std::max(end, h->end_ns[p]);
    if (*counter != std::uint64_t(procs) * static_cast<std::uint64_t>(pairs)) {
      state.SkipWithError("lost increments: the lock does not exclude");
      break;
    }
    state.SetIterationTime(static_cast<double>(end - start) * 1e-9 /
                           (static_cast<double>(procs) * pairs));
  }
}

void BM_Osport_Spin_Contended(benchmark::State& state) {
  SharedPage page;
  OsportLock lock(page, MutexKind::kSpin);
  RunContended(state, lock, page);
}

void BM_Osport_Spin_ContendedCs(benchmark::State& state) {
  SharedPage page;
  OsportLock lock(page, MutexKind::kSpin);
  RunContended(state, lock, page, static_cast<int>(state.range(1)));
}

void BM_Pthread_Pshared_Contended(benchmark::State& state) {
  SharedPage page;
  PthreadLock lock(page, false);
  RunContended(state, lock, page);
}

void BM_Pthread_Pshared_ContendedCs(benchmark::State& state) {
  SharedPage page;
  PthreadLock lock(page, false);
  RunContended(state, lock, page, static_cast<int>(state.range(1)));
}

void BM_Pthread_Robust_Contended(benchmark::State& state) {
  SharedPage page;
  PthreadLock lock(page, true);
  RunContended(state, lock, page);
}

void BM_Pthread_Robust_ContendedCs(benchmark::State& state) {
  SharedPage page;
  PthreadLock lock(page, true);
  RunContended(state, lock, page, static_cast<int>(state.range(1)));
}

BENCHMARK(BM_Floor_AtomicXchgStore);
BENCHMARK(BM_Floor_CasXchg);
BENCHMARK(BM_Floor_CasXchgTag);
BENCHMARK(BM_Osport_Spin_Uncontended);
BENCHMARK(BM_Osport_FileLock_Uncontended);
BENCHMARK(BM_Pthread_Pshared_Uncontended);
BENCHMARK(BM_Pthread_Robust_Uncontended);
BENCHMARK(BM_Boost_InterprocessMutex_Uncontended);
BENCHMARK(BM_Raw_FcntlPair_Uncontended);
BENCHMARK(BM_Osport_Spin_Contended)->ArgName("procs")->Arg(2)->Arg(8)->UseManualTime()->Iterations(10);
BENCHMARK(BM_Pthread_Pshared_Contended)->ArgName("procs")->Arg(2)->Arg(8)->UseManualTime()->Iterations(10);
BENCHMARK(BM_Pthread_Robust_Contended)->ArgName("procs")->Arg(2)->Arg(8)->UseManualTime()->Iterations(10);
// The same with about 55 ns of work under the lock.
BENCHMARK(BM_Osport_Spin_ContendedCs)->ArgNames({"procs", "cs_loops"})
    ->Args({2, 100})->Args({8, 100})->UseManualTime()->Iterations(10);
BENCHMARK(BM_Pthread_Pshared_ContendedCs)->ArgNames({"procs", "cs_loops"})
    ->Args({2, 100})->Args({8, 100})->UseManualTime()->Iterations(10);
BENCHMARK(BM_Pthread_Robust_ContendedCs)->ArgNames({"procs", "cs_loops"})
    ->Args({2, 100})->Args({8, 100})->UseManualTime()->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
