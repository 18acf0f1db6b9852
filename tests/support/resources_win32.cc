// Win32 half of tests/support/resources.h: the handles this process holds.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "os/thread.h"
#include "tests/support/resources.h"

namespace osport::testing {
namespace {

// The handles of this process, from the system handle table
// (NtQuerySystemInformation class 16; Wine implements it, and Wine 8's
// GetProcessHandleCount is a stub that reports 0, which would make every leak
// check pass without looking). The layouts are the documented-by-use NT ones.
//
// Event handles are not counted. osport never creates an event (the Windows
// cell checks that its libraries import no CreateEvent/OpenEvent), but
// winpthreads, behind std::thread and std::mutex, does: a pthread mutex gets
// its event on its first contended lock (mutex.c, pthread_mutex_lock_intern)
// and keeps it until pthread_mutex_destroy, which a static mutex of the
// runtime never sees. So whichever test first makes two threads meet on one
// of those mutexes (threads ending together, say) leaves one event for the
// life of the process: seen as one handle more at the end of
// MutexSemanticsTest.ThreadsCountExactly/Spin in 4 of 12 runs on 2 busy
// cores, each time an Event.
struct HandleEntry {
  ULONG owner_pid;
  BYTE object_type;
  BYTE flags;
  USHORT value;
  PVOID object;
  ULONG access;
};
struct HandleTable {
  ULONG count;
  HandleEntry entries[1];
};
using QuerySystemInformation = LONG(WINAPI*)(ULONG, PVOID, ULONG, PULONG);
constexpr ULONG kSystemHandleInformation = 16;
constexpr LONG kInfoLengthMismatch = static_cast<LONG>(0xC0000004);
constexpr int kNoType = -1;

// Calls `each` with every entry of this process; false if the table cannot be read.
template <typename F>
bool ForEachOwnHandle(F each) {
  const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) return false;
  const auto query = reinterpret_cast<QuerySystemInformation>(
      reinterpret_cast<void*>(::GetProcAddress(ntdll, "NtQuerySystemInformation")));
  if (query == nullptr) return false;
  std::vector<std::uint64_t> buf(1 << 14);  // 8-byte aligned storage
  for (int attempt = 0; attempt < 8; ++attempt) {
    ULONG needed = 0;
    const auto bytes = static_cast<ULONG>(buf.size() * sizeof(buf[0]));
    const LONG status = query(kSystemHandleInformation, buf.data(), bytes, &needed);
    if (status == kInfoLengthMismatch) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (status < 0) return false;
    const auto* table = reinterpret_cast<const HandleTable*>(buf.data());
    const DWORD self = ::GetCurrentProcessId();
    for (ULONG i = 0; i < table->count; ++i) {
      if (table->entries[i].owner_pid == self) each(table->entries[i]);
    }
    return true;
  }
  return false;
}

// The table's type number for events (it differs between Windows versions
// and Wine): that of an event made for the purpose.
int EventType() {
  const HANDLE event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  if (event == nullptr) return kNoType;
  int type = kNoType;
  const auto value = static_cast<USHORT>(reinterpret_cast<std::uintptr_t>(event));
  (void)ForEachOwnHandle([&](const HandleEntry& e) {
    if (e.value == value) type = e.object_type;
  });
  ::CloseHandle(event);
  return type;
}

// This process's handles other than events; -1 if the table cannot be read.
int CountFromSystemTable() {
  static const int event_type = EventType();
  int n = 0;
  if (!ForEachOwnHandle([&](const HandleEntry& e) { n += e.object_type != event_type; })) return -1;
  return n;
}

// Some system calls open handles on first use and keep them for the life of
// the process; a leak check would blame them on whichever test made the call
// first. Make those calls before the first count.
void LoadMessageResources() {
  wchar_t* text = nullptr;
  if (::FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                           FORMAT_MESSAGE_IGNORE_INSERTS,
                       nullptr, ERROR_FILE_NOT_FOUND, 0, reinterpret_cast<wchar_t*>(&text), 0,
                       nullptr) != 0) {
    ::LocalFree(text);
  }
  (void)std::system_category().message(ERROR_FILE_NOT_FOUND);
  (void)std::generic_category().message(ENOENT);
  // Likewise the first skip or failure a test reports: gtest passes its text
  // to OutputDebugStringA, whose first calls open the DBWIN mutex and events
  // and keep them, and records it under a lock that is set up on first use
  // (three handles in all under Wine). A success record takes the same path
  // without printing anything.
  // The first thread_local access of a thread (mingw's emulated TLS, behind
  // os::CurrentThread's cache) sets up the emulation's lock and key: two
  // handles under Wine, kept for the life of the process.
  (void)os::CurrentThread();
  // The first thread the process starts (winpthreads, behind std::thread)
  // leaves one more handle for good.
  std::thread([] {}).join();
  ::OutputDebugStringA("osport tests: leak check primed");
  ::OutputDebugStringA("\n");
  SUCCEED();
}

}  // namespace

int CountOpenHandles() {
  static const bool loaded = (LoadMessageResources(), true);
  (void)loaded;
  const int n = CountFromSystemTable();
  if (n >= 0) return n;
  // No table: every handle, events included.
  DWORD count = 0;
  if (::GetProcessHandleCount(::GetCurrentProcess(), &count)) return static_cast<int>(count);
  return -1;
}

}  // namespace osport::testing
