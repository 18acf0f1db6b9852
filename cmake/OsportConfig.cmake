# The quirk switches of DESIGN.md: CMake options with platform defaults that
# land in one generated header, <os/config.h>, included by everything else.
include(CheckCXXSourceCompiles)
include(OsportFeatures)  # POSIX extensions -> OSPORT_HAVE_* (same header)

# Spinlocks need a lock-free 32-bit atomic usable across processes.
check_cxx_source_compiles([=[
#include <atomic>
#include <cstdint>
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "no");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "no");
int main() { return 0; }
]=] OSPORT_HAVE_LOCK_FREE_ATOMICS)
set(_spin_default OFF)
if(OSPORT_HAVE_LOCK_FREE_ATOMICS)
  set(_spin_default ON)
endif()

# HP-UX PA-RISC: mutexes may live only in shared memory.
set(_shared_only_default OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(hppa|parisc)")
  set(_shared_only_default ON)
endif()

# Win32 paging-file sections die with their last handle: native there.
set(_zero_default OFF)
if(WIN32)
  set(_zero_default ON)
endif()

option(OSPORT_SPINLOCKS "Region mutexes are test-and-set spinlocks (OFF: file-lock mutexes)" ${_spin_default})
option(OSPORT_MUTEX_SHARED_ONLY "Mutexes may live only in shared memory (HP-UX rule)" ${_shared_only_default})
option(OSPORT_ZERO_ON_LAST_CLOSE "Anonymous memory is zeroed when its last user detaches (Win95 rule)" ${_zero_default})
option(OSPORT_MAPINIT "Every page of a new region is written before it is mapped" OFF)
set(OSPORT_REGIONSIZE_MAX "0" CACHE STRING
  "Largest region in bytes; 0 = limited only by the address space")

if(NOT OSPORT_REGIONSIZE_MAX MATCHES "^[0-9]+$")
  message(FATAL_ERROR "OSPORT_REGIONSIZE_MAX must be a byte count, got '${OSPORT_REGIONSIZE_MAX}'")
endif()
if(OSPORT_SPINLOCKS AND NOT OSPORT_HAVE_LOCK_FREE_ATOMICS)
  message(FATAL_ERROR "OSPORT_SPINLOCKS=ON needs lock-free 32/64-bit atomics, which this target lacks")
endif()

foreach(_opt OSPORT_SPINLOCKS OSPORT_MUTEX_SHARED_ONLY OSPORT_ZERO_ON_LAST_CLOSE OSPORT_MAPINIT)
  if(${_opt})
    set(${_opt}_VALUE 1)
  else()
    set(${_opt}_VALUE 0)
  endif()
endforeach()

# openat2 (the home opened with RESOLVE_NO_SYMLINKS, os/posix/dir.cc) is one of
# the feature checks in cmake/OsportFeatures.cmake, OSPORT_HAVE_OPENAT2.
if(OSPORT_POSIX_GENERIC)
  set(OSPORT_POSIX_GENERIC_VALUE 1)
else()
  set(OSPORT_POSIX_GENERIC_VALUE 0)
endif()

# The largest process id the target system hands out (issue 12, item 5): every
# pid read from a region header is checked against it before it reaches
# kill(pid, 0) or OpenProcess. A property of the target system, not of its
# headers: decided here from CMAKE_SYSTEM_NAME.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" OR CMAKE_SYSTEM_NAME STREQUAL "Android")
  set(OSPORT_PID_MAX 4194304)     # PID_MAX_LIMIT: the bound of /proc/sys/kernel/pid_max
elseif(CMAKE_SYSTEM_NAME STREQUAL "FreeBSD" OR CMAKE_SYSTEM_NAME STREQUAL "Darwin")
  set(OSPORT_PID_MAX 99999)       # PID_MAX (<sys/proc.h>; macOS: proc_internal.h)
elseif(WIN32)
  # Process ids are DWORDs and Windows documents no smaller bound (real ids
  # are small multiples of 4); kept positive as an int, as before.
  set(OSPORT_PID_MAX 2147483647)
else()
  set(OSPORT_PID_MAX 2147483647)  # any positive pid_t
endif()

if(WIN32)
  set(OSPORT_WIN32_VALUE 1)
else()
  set(OSPORT_WIN32_VALUE 0)
endif()

set(OSPORT_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/include)
configure_file(${PROJECT_SOURCE_DIR}/cmake/config.h.in
  ${OSPORT_GENERATED_INCLUDE_DIR}/os/config.h @ONLY)
message(STATUS "osport: spinlocks=${OSPORT_SPINLOCKS} shared_only=${OSPORT_MUTEX_SHARED_ONLY} "
  "zero_on_last_close=${OSPORT_ZERO_ON_LAST_CLOSE} mapinit=${OSPORT_MAPINIT} "
  "regionsize_max=${OSPORT_REGIONSIZE_MAX} openat2=${OSPORT_HAVE_OPENAT2_VALUE} pid_max=${OSPORT_PID_MAX}")
