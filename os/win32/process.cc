// Implements os/process.h on Win32: creation-time start stamps, OpenProcess
// liveness, CreateProcessW with anonymous pipes for the child's stdin/stdout.
#include "os/process.h"

#include <atomic>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "os/error.h"
#include "os/win32/error.h"
#include "os/win32/sys.h"
#include "os/win32/text.h"

namespace osport::os {

namespace sys = win32::sys;
using win32::LastErrorStatus;

static_assert(sizeof(std::intptr_t) >= sizeof(HANDLE), "a HANDLE must fit the Child's storage");

namespace {

// What Kill() makes the child exit with: the value a POSIX caller sees for
// SIGKILL (128 + 9), so callers can treat both platforms alike.
constexpr UINT kKilledExitCode = 137;

HANDLE H(std::intptr_t v) { return reinterpret_cast<HANDLE>(v); }
std::intptr_t V(HANDLE h) { return reinterpret_cast<std::intptr_t>(h); }
bool Valid(std::intptr_t v) { return v != -1 && v != 0; }

// One-owner HANDLE for the rollback paths of Spawn.
class ScopedHandle {
 public:
  ScopedHandle() = default;
  explicit ScopedHandle(HANDLE h) : h_(h) {}
  ~ScopedHandle() { reset(); }
  ScopedHandle(ScopedHandle&& o) noexcept : h_(o.release()) {}
  ScopedHandle& operator=(ScopedHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = o.release();
    }
    return *this;
  }
  ScopedHandle(const ScopedHandle&) = delete;
  ScopedHandle& operator=(const ScopedHandle&) = delete;

  HANDLE get() const { return h_; }
  HANDLE* out() { return &h_; }
  HANDLE release() { return std::exchange(h_, nullptr); }
  void reset() {
    if (h_ != nullptr && h_ != INVALID_HANDLE_VALUE) (void)sys::CloseHandle(h_);
    h_ = nullptr;
  }

 private:
  HANDLE h_ = nullptr;
};

std::uint64_t Stamp(const FILETIME& t) {
  return (std::uint64_t{t.dwHighDateTime} << 32) | t.dwLowDateTime;
}

absl::Status NoSuchProcess(std::uint32_t pid) {
  return PortableError(absl::StatusCode::kNotFound, ESRCH, absl::StrCat("no process with pid ", pid));
}

// Opens `pid` for the two questions asked of it: has it exited (SYNCHRONIZE)
// and when did it start. A null handle with the last error set on failure;
// ERROR_INVALID_PARAMETER means no such process (no object with that id
// exists any more: it exited and its last handle is closed).
HANDLE OpenForQuery(std::uint32_t pid) {
  return sys::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, pid);
}

// Whether the process behind `h` has exited. Its object outlives it while
// anyone holds a handle (our Child does until Wait), so an open that
// succeeds does not mean it runs. Waiting for the handle, unlike testing
// GetExitCodeProcess for STILL_ACTIVE, is not fooled by an exit code of 259.
absl::StatusOr<bool> HasExited(HANDLE h, std::uint32_t pid) {
  const DWORD r = sys::PollProcess(h);
  if (r == WAIT_OBJECT_0) return true;
  if (r == WAIT_TIMEOUT) return false;
  return LastErrorStatus("WaitForSingleObject", absl::StrCat("pid ", pid), ::GetLastError());
}

}  // namespace

absl::StatusOr<std::uint64_t> ProcessStartStamp(std::uint32_t pid) {
  ScopedHandle h(OpenForQuery(pid));
  if (h.get() == nullptr) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_INVALID_PARAMETER) return NoSuchProcess(pid);
    return LastErrorStatus("OpenProcess", absl::StrCat("pid ", pid), err);
  }
  absl::StatusOr<bool> exited = HasExited(h.get(), pid);
  if (!exited.ok()) return exited.status();
  if (*exited) return NoSuchProcess(pid);
  FILETIME created;
  if (!sys::GetProcessCreationTime(h.get(), &created)) {
    return LastErrorStatus("GetProcessTimes", absl::StrCat("pid ", pid), ::GetLastError());
  }
  return Stamp(created);
}

// No fork on Windows: computed once it succeeds. A failed read of the
// creation time caches nothing (CurrentProcessKnown: no region is attached
// with it); the next call retries.
namespace {
std::atomic<std::uint64_t> g_self_start{0};  // 0: not read yet
}  // namespace

ProcessIdentity CurrentProcess() {
  ProcessIdentity id;
  id.pid = sys::GetCurrentProcessId();
  id.start = g_self_start.load(std::memory_order_relaxed);
  if (id.start != 0) return id;
  FILETIME created;
  if (!sys::GetProcessCreationTime(sys::CurrentProcessHandle(), &created)) return id;
  id.start = Stamp(created);
  g_self_start.store(id.start, std::memory_order_relaxed);
  return id;
}

bool CurrentProcessKnown(const ProcessIdentity& self) {
  return self.start != 0 && g_self_start.load(std::memory_order_relaxed) == self.start;
}

// Process ids are the machine's (a Windows Server container's silo has its
// own, a documented limit: docs/PORTING.md): 0, one namespace.
absl::StatusOr<std::uint64_t> CurrentPidNamespace() { return std::uint64_t{0}; }

// Access denied (a protected process, or one of another user) is an error,
// not "alive": we could not read its start time, so we cannot say whether it
// is the process `who` names.
absl::StatusOr<bool> IsAlive(const ProcessIdentity& who) {
  if (who.pid == 0) return false;
  ScopedHandle h(OpenForQuery(who.pid));
  if (h.get() == nullptr) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_INVALID_PARAMETER) return false;
    return LastErrorStatus("OpenProcess", absl::StrCat("pid ", who.pid), err);
  }
  absl::StatusOr<bool> exited = HasExited(h.get(), who.pid);
  if (!exited.ok()) return exited.status();
  if (*exited) return false;
  if (who.start == 0) return true;
  FILETIME created;
  if (!sys::GetProcessCreationTime(h.get(), &created)) {
    return LastErrorStatus("GetProcessTimes", absl::StrCat("pid ", who.pid), ::GetLastError());
  }
  return Stamp(created) == who.start;
}

absl::StatusOr<std::string> ExecutablePath() {
  // Long paths may exceed MAX_PATH; the W call is limited to 32767 chars.
  for (DWORD size = MAX_PATH; size <= 32768; size *= 2) {
    std::wstring buf(size, L'\0');
    const DWORD n = sys::ModulePath(buf.data(), size);
    if (n == 0) return LastErrorStatus("GetModuleFileNameW", "", ::GetLastError());
    if (n < size) {
      buf.resize(n);
      return win32::Narrow(buf);
    }
  }
  return PortableError(absl::StatusCode::kOutOfRange, ENAMETOOLONG,
                       "GetModuleFileNameW: path too long");
}

// --- command lines -------------------------------------------------------------

namespace {

// One argument quoted so that CommandLineToArgvW (and the C runtime's argv
// parser, which follows the same rules) gives it back unchanged: inside
// quotes, backslashes are literal except before a quote, where 2n
// backslashes + quote mean n backslashes and the end of the quotes, and
// 2n+1 backslashes + quote mean n backslashes and a literal quote.
void AppendQuoted(std::string* out, const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) {
    out->append(arg);
    return;
  }
  out->push_back('"');
  std::size_t backslashes = 0;
  for (const char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') {
      out->append(backslashes * 2 + 1, '\\');
    } else {
      out->append(backslashes, '\\');
    }
    out->push_back(c);
    backslashes = 0;
  }
  out->append(backslashes * 2, '\\');  // they precede the closing quote
  out->push_back('"');
}

// The program name is parsed differently (up to the next quote, backslashes
// literal), so it is always quoted and may not contain a quote.
absl::StatusOr<std::string> CommandLine(const std::vector<std::string>& argv) {
  if (argv[0].find('"') != std::string::npos) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL,
                         absl::StrCat("CreateProcessW(\"", argv[0], "\"): a quote in the program path"));
  }
  std::string line = absl::StrCat("\"", argv[0], "\"");
  for (std::size_t i = 1; i < argv.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(&line, argv[i]);
  }
  return line;
}

}  // namespace

// --- Child -----------------------------------------------------------------------

void Child::Reset() {
  if (Valid(handle_)) {
    if (pid_ != 0) {
      (void)sys::TerminateProcess(H(handle_), kKilledExitCode);
      (void)sys::WaitForProcess(H(handle_), INFINITE);
    }
    (void)sys::CloseHandle(H(handle_));
  }
  if (Valid(in_)) (void)sys::CloseHandle(H(in_));
  if (Valid(out_)) (void)sys::CloseHandle(H(out_));
  pid_ = 0;
  handle_ = in_ = out_ = -1;
  buffer_.clear();
}

absl::Status Child::Send(absl::string_view line) {
  if (!Valid(in_)) {
    return PortableError(absl::StatusCode::kFailedPrecondition, EBADF, "child stdin is closed");
  }
  const std::string data = absl::StrCat(line, "\n");
  std::size_t done = 0;
  while (done < data.size()) {
    DWORD n = 0;
    if (!sys::WriteFile(H(in_), data.data() + done, static_cast<DWORD>(data.size() - done), &n)) {
      // A pipe whose reader is gone: ERROR_NO_DATA / ERROR_BROKEN_PIPE -> EPIPE.
      return LastErrorStatus("WriteFile (send)", absl::StrCat("stdin of pid ", pid_), ::GetLastError());
    }
    done += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Child::ReadLine() {
  if (!Valid(out_)) {
    return PortableError(absl::StatusCode::kFailedPrecondition, EBADF, "child stdout is closed");
  }
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      // The child's C runtime may write text-mode CR LF.
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    char buf[256];
    DWORD n = 0;
    if (!sys::ReadFile(H(out_), buf, sizeof buf, &n)) {
      const DWORD err = ::GetLastError();
      if (err != ERROR_BROKEN_PIPE) {
        return LastErrorStatus("ReadFile (read)", absl::StrCat("stdout of pid ", pid_), err);
      }
      n = 0;  // every writer closed: end of file
    }
    if (n == 0) {
      return PortableError(absl::StatusCode::kOutOfRange, EPIPE,
                           absl::StrCat("pid ", pid_, " closed its stdout"));
    }
    buffer_.append(buf, n);
  }
}

void Child::CloseInput() {
  if (Valid(in_)) (void)sys::CloseHandle(H(in_));
  in_ = -1;
}

absl::StatusOr<int> Child::Wait() {
  if (pid_ == 0) {
    return PortableError(absl::StatusCode::kFailedPrecondition, ECHILD, "no child to wait for");
  }
  if (sys::WaitForProcess(H(handle_), INFINITE) == WAIT_FAILED) {
    return LastErrorStatus("WaitForSingleObject (waitpid)", absl::StrCat("pid ", pid_), ::GetLastError());
  }
  DWORD code = 0;
  if (!sys::GetExitCodeProcess(H(handle_), &code)) {
    return LastErrorStatus("GetExitCodeProcess (waitpid)", absl::StrCat("pid ", pid_), ::GetLastError());
  }
  // Reaped: closing the last handle lets the system free the pid.
  (void)sys::CloseHandle(H(handle_));
  handle_ = -1;
  pid_ = 0;
  return static_cast<int>(code);
}

absl::Status Child::Kill() {
  if (pid_ == 0) {
    return PortableError(absl::StatusCode::kFailedPrecondition, ESRCH, "no child to kill");
  }
  if (!sys::TerminateProcess(H(handle_), kKilledExitCode)) {
    const DWORD err = ::GetLastError();
    // Terminating a process that already exited is refused (access denied);
    // kill(2) on an unreaped child succeeds, and so does this.
    if (err == ERROR_ACCESS_DENIED) {
      absl::StatusOr<bool> exited = HasExited(H(handle_), pid_);
      if (exited.ok() && *exited) return absl::OkStatus();
    }
    return LastErrorStatus("TerminateProcess (kill)", absl::StrCat("pid ", pid_), err);
  }
  return absl::OkStatus();
}

// The child inherits exactly its two pipe ends and a duplicate of our stderr:
// they are listed in PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so any other handle
// that happens to be inheritable (ours are not; another library's may be)
// stays here. Another thread calling CreateProcess with bInheritHandles and no
// list during this call could still inherit the pipe ends while they are
// inheritable; that is Windows' documented race, not closed here.
absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) {
    return PortableError(absl::StatusCode::kInvalidArgument, EINVAL, "spawn: empty argv");
  }
  absl::StatusOr<std::string> line = CommandLine(argv);
  if (!line.ok()) return line.status();
  absl::StatusOr<std::wstring> wapp = win32::Widen(argv[0], "CreateProcessW");
  if (!wapp.ok()) return wapp.status();
  absl::StatusOr<std::wstring> wline = win32::Widen(*line, "CreateProcessW");
  if (!wline.ok()) return wline.status();

  ScopedHandle child_in, our_in, our_out, child_out, child_err;
  if (!sys::CreatePipe(child_in.out(), our_in.out()) ||
      !sys::CreatePipe(our_out.out(), child_out.out())) {
    return LastErrorStatus("CreatePipe", argv[0], ::GetLastError());
  }
  if (!sys::MakeInheritable(child_in.get()) || !sys::MakeInheritable(child_out.get())) {
    return LastErrorStatus("SetHandleInformation", argv[0], ::GetLastError());
  }
  if (const HANDLE err = sys::StdError(); err != nullptr) {
    if (!sys::DuplicateForChild(err, child_err.out())) {
      return LastErrorStatus("DuplicateHandle", argv[0], ::GetLastError());
    }
  }

  std::vector<HANDLE> inherit{child_in.get(), child_out.get()};
  if (child_err.get() != nullptr) inherit.push_back(child_err.get());
  SIZE_T size = 0;
  (void)sys::InitHandleList(nullptr, &size);  // fails with the size needed
  std::vector<unsigned char> storage(size);
  auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
  if (!sys::InitHandleList(list, &size)) {
    return LastErrorStatus("InitializeProcThreadAttributeList", argv[0], ::GetLastError());
  }
  struct ListGuard {
    LPPROC_THREAD_ATTRIBUTE_LIST list;
    ~ListGuard() { sys::FreeHandleList(list); }
  } guard{list};
  if (!sys::SetHandleList(list, inherit.data(), inherit.size())) {
    return LastErrorStatus("UpdateProcThreadAttribute", argv[0], ::GetLastError());
  }

  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof startup;
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = child_in.get();
  startup.StartupInfo.hStdOutput = child_out.get();
  startup.StartupInfo.hStdError = child_err.get();
  startup.lpAttributeList = list;
  PROCESS_INFORMATION info{};
  if (!sys::StartProcess(wapp->c_str(), wline->data(), &startup, &info)) {
    return LastErrorStatus("CreateProcessW", argv[0], ::GetLastError());
  }
  (void)sys::CloseHandle(info.hThread);

  Child child;
  child.pid_ = info.dwProcessId;
  child.handle_ = V(info.hProcess);
  child.in_ = V(our_in.release());
  child.out_ = V(our_out.release());
  return child;
}

}  // namespace osport::os
