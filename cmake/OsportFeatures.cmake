# POSIX extensions, decided by feature checks (never by __linux__): each one
# found here becomes OSPORT_HAVE_<X> 1 in <os/config.h>, and each can be forced
# off with OSPORT_USE_<X>=OFF so its portable fallback is built and tested.
# OSPORT_POSIX_GENERIC=ON forces every one off and compiles osport's own files
# without _GNU_SOURCE (POSIX.1-2008 + the platform's default feature set).
# docs/PORTING.md lists, per os call, the generic primitive and each extension.
include(CheckCXXSourceCompiles)
include(CheckCXXSymbolExists)

option(OSPORT_POSIX_GENERIC
  "Build the POSIX layer on POSIX.1-2008 only: every extension off, no _GNU_SOURCE" OFF)

# osport_posix_generic_flags(TARGET...) -- in the generic build, compile
# osport's own files with POSIX.1-2008 + XSI (_XOPEN_SOURCE=700) plus the
# BSD names every Unix has (_DEFAULT_SOURCE: MAP_ANONYMOUS, now POSIX.1-2024,
# madvise, SHM_DEST) instead of the compiler's default _GNU_SOURCE. One
# exception: on glibc, libstdc++'s <mutex> needs GNU declarations
# (pthread_cond_clockwait), so os/CMakeLists.txt gives _GNU_SOURCE back to the
# one file that includes it (os/posix/mutex_filelock.cc); the symbol check of
# ci/linux_x86_64_gcc_posix_generic.sh shows it calls nothing GNU-only.
function(osport_posix_generic_flags)
  if(NOT OSPORT_POSIX_GENERIC OR WIN32)
    return()
  endif()
  foreach(_t ${ARGN})
    target_compile_options(${_t} PRIVATE -U_GNU_SOURCE)
    target_compile_definitions(${_t} PRIVATE _XOPEN_SOURCE=700 _DEFAULT_SOURCE)
  endforeach()
endfunction()

# Named ports: compiled only where their API exists (written, not run here):
# FreeBSD's UMTX (shared word wait) and THR_SELF (thread ids and liveness).
set(_osport_features
  FUTEX PROC_IDENTITY GETTID MREMAP FALLOCATE POSIX_FALLOCATE MADV_POPULATE_WRITE
  STATX OFD_LOCKS PIPE2 SOCK_CLOEXEC OPENAT2 MSG_NOSIGNAL SO_NOSIGPIPE
  NSGETEXECUTABLEPATH UMTX THR_SELF)

if(WIN32)
  foreach(_f ${_osport_features})
    set(OSPORT_HAVE_${_f}_VALUE 0)
  endforeach()
  return()
endif()

# The checks see the GNU declarations (glibc hides gettid, mremap, fallocate,
# statx, pipe2 and F_OFD_* without _GNU_SOURCE); whether osport may use them is
# the OSPORT_USE_<X> switch below.
set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE)
set(CMAKE_REQUIRED_QUIET ON)

check_cxx_source_compiles([=[
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cstdint>
int main() {
  static std::uint32_t word = 0;
  return static_cast<int>(::syscall(SYS_futex, &word, FUTEX_WAKE, 1, nullptr, nullptr, 0));
}
]=] OSPORT_DETECT_FUTEX)
# /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat in the Linux layout, and
# /proc/self/exe: a property of the target system, not of its headers.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(OSPORT_DETECT_PROC_IDENTITY 1)
else()
  set(OSPORT_DETECT_PROC_IDENTITY 0)
endif()
check_cxx_symbol_exists(gettid "unistd.h" OSPORT_DETECT_GETTID)
check_cxx_symbol_exists(mremap "sys/mman.h" OSPORT_DETECT_MREMAP_FN)
check_cxx_symbol_exists(MREMAP_MAYMOVE "sys/mman.h" OSPORT_DETECT_MREMAP_FLAG)
if(OSPORT_DETECT_MREMAP_FN AND OSPORT_DETECT_MREMAP_FLAG)
  set(OSPORT_DETECT_MREMAP 1)
else()
  set(OSPORT_DETECT_MREMAP 0)
endif()
check_cxx_symbol_exists(fallocate "fcntl.h" OSPORT_DETECT_FALLOCATE)
check_cxx_symbol_exists(posix_fallocate "fcntl.h" OSPORT_DETECT_POSIX_FALLOCATE)
check_cxx_symbol_exists(MADV_POPULATE_WRITE "sys/mman.h" OSPORT_DETECT_MADV_POPULATE_WRITE)
check_cxx_source_compiles([=[
#include <fcntl.h>
#include <sys/stat.h>
int main() {
  struct statx sx;
  return ::statx(0, "", AT_EMPTY_PATH, STATX_SIZE, &sx);
}
]=] OSPORT_DETECT_STATX)
check_cxx_symbol_exists(F_OFD_SETLK "fcntl.h" OSPORT_DETECT_OFD_LOCKS)
check_cxx_symbol_exists(pipe2 "unistd.h" OSPORT_DETECT_PIPE2)
check_cxx_symbol_exists(SOCK_CLOEXEC "sys/socket.h" OSPORT_DETECT_SOCK_CLOEXEC)
check_cxx_source_compiles([=[
#include <linux/openat2.h>
#include <sys/syscall.h>
int main() { struct open_how how{}; (void)how; return SYS_openat2 > 0 ? 0 : 1; }
]=] OSPORT_DETECT_OPENAT2)
check_cxx_symbol_exists(MSG_NOSIGNAL "sys/socket.h" OSPORT_DETECT_MSG_NOSIGNAL)
check_cxx_symbol_exists(SO_NOSIGPIPE "sys/socket.h" OSPORT_DETECT_SO_NOSIGPIPE)
check_cxx_symbol_exists(_NSGetExecutablePath "mach-o/dyld.h" OSPORT_DETECT_NSGETEXECUTABLEPATH)
# FreeBSD, as _umtx_op(2) documents it: the shared (not _PRIVATE) 32-bit word
# wait and the wake, with the timeout size in uaddr. Compiled and linked, so
# a header without the library call (or the reverse) is not taken.
check_cxx_source_compiles([=[
#include <sys/types.h>
#include <sys/umtx.h>
#include <time.h>
int main() {
  static unsigned int word = 0;
  struct timespec ts = {0, 1};
  int r = _umtx_op(&word, UMTX_OP_WAIT_UINT, 1, reinterpret_cast<void*>(sizeof(ts)), &ts);
  return r + _umtx_op(&word, UMTX_OP_WAKE, 1, nullptr, nullptr);
}
]=] OSPORT_DETECT_UMTX)
# FreeBSD thr_self(2) ids and thr_kill(2)'s thr_kill2(pid, id, 0) liveness.
check_cxx_source_compiles([=[
#include <sys/types.h>
#include <sys/thr.h>
int main() {
  long id = 0;
  return thr_self(&id) + thr_kill2(0, id, 0);
}
]=] OSPORT_DETECT_THR_SELF)
unset(CMAKE_REQUIRED_DEFINITIONS)
unset(CMAKE_REQUIRED_QUIET)

# posix_fallocate and MSG_NOSIGNAL are POSIX.1-2008 (macOS lacks both),
# SO_NOSIGPIPE and _NSGetExecutablePath are macOS's stand-ins: the generic
# build keeps whichever the platform has (they are not Linux extensions).
# OSPORT_USE_POSIX_FALLOCATE=OFF still forces the zero-write path.
set(_osport_always_kept POSIX_FALLOCATE MSG_NOSIGNAL SO_NOSIGPIPE NSGETEXECUTABLEPATH)

set(_osport_summary "")
foreach(_f ${_osport_features})
  set(_default ON)
  if(OSPORT_POSIX_GENERIC AND NOT _f IN_LIST _osport_always_kept)
    set(_default OFF)
  endif()
  option(OSPORT_USE_${_f} "Use ${_f} where the feature check finds it (OFF: the portable fallback)" ${_default})
  if(OSPORT_POSIX_GENERIC AND OSPORT_USE_${_f} AND NOT _f IN_LIST _osport_always_kept)
    message(FATAL_ERROR "OSPORT_POSIX_GENERIC=ON but OSPORT_USE_${_f}=ON: the generic build uses no extension")
  endif()
  if(OSPORT_DETECT_${_f} AND OSPORT_USE_${_f})
    set(OSPORT_HAVE_${_f}_VALUE 1)
    string(APPEND _osport_summary " ${_f}")
  else()
    set(OSPORT_HAVE_${_f}_VALUE 0)
  endif()
endforeach()
if(NOT OSPORT_HAVE_MSG_NOSIGNAL_VALUE AND NOT OSPORT_HAVE_SO_NOSIGPIPE_VALUE)
  message(FATAL_ERROR "osport needs MSG_NOSIGNAL (POSIX.1-2008) or SO_NOSIGPIPE to talk to helper processes")
endif()
message(STATUS "osport: POSIX extensions in use:${_osport_summary}")

