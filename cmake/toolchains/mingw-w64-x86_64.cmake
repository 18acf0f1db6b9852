# Cross toolchain for Windows x86_64 with Debian's mingw-w64 (posix threads),
# tests run under Wine. Used by ci/windows_x86_64_mingw_wine.sh; also usable by
# hand: cmake -DCMAKE_TOOLCHAIN_FILE=<this> -DOSPORT_MINGW_PREFIX=<deps prefix>.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

# The -posix variants explicitly: the default alternative is the win32 thread
# model, whose libstdc++ has no std::mutex / std::thread.
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# Fully static executables: with only -static-libgcc -static-libstdc++ they
# still import libwinpthread-1.dll, which Wine cannot find, and under
# WINEDEBUG=-all that shows only as exit code 53.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Look for libraries and packages only in the mingw sysroot and in the prefix
# of cross-built dependencies (Abseil, GoogleTest, GSL), never in the host's
# /usr: glibc headers must not leak into a Windows build.
set(OSPORT_MINGW_PREFIX "$ENV{OSPORT_MINGW_PREFIX}" CACHE PATH
  "Prefix holding the mingw builds of osport's dependencies")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OSPORT_MINGW_PREFIX)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
if(OSPORT_MINGW_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH "${OSPORT_MINGW_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Debian installs no wine64 on PATH; the 64-bit loader lives here.
if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR AND EXISTS /usr/lib/wine/wine64)
  set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
endif()
