# Cross toolchain: Zig 0.11's clang with libc++ and musl or the macOS SDK
# headers. Used by ci/linux_x86_64_zig_musl.sh and ci/macos_*_zig_build.sh
# (ci/zig.sh installs Zig from npm into the osport cache and makes the
# wrappers); by hand:
#   cmake -DCMAKE_TOOLCHAIN_FILE=<this> -DOSPORT_ZIG_TARGET=x86_64-linux-musl \
#         -DOSPORT_ZIG_WRAPPERS=<dir with zig-cc, zig-c++, zig-ar, zig-ranlib> \
#         -DOSPORT_ZIG_PREFIX=<prefix of the dependencies built for the target>
# Wrapper scripts, not "zig;c++" lists: CMake's compiler detection and
# try_compile want one executable per tool.
set(OSPORT_ZIG_TARGET "$ENV{OSPORT_ZIG_TARGET}" CACHE STRING "Zig target triple")
set(OSPORT_ZIG_WRAPPERS "$ENV{OSPORT_ZIG_WRAPPERS}" CACHE PATH "Directory of the zig-* wrapper scripts")
set(OSPORT_ZIG_PREFIX "$ENV{OSPORT_ZIG_PREFIX}" CACHE PATH "Prefix of dependencies built for the target")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OSPORT_ZIG_TARGET OSPORT_ZIG_WRAPPERS OSPORT_ZIG_PREFIX)
if(NOT OSPORT_ZIG_TARGET OR NOT OSPORT_ZIG_WRAPPERS)
  message(FATAL_ERROR "zig.cmake needs OSPORT_ZIG_TARGET and OSPORT_ZIG_WRAPPERS")
endif()

if(OSPORT_ZIG_TARGET MATCHES "macos")
  set(CMAKE_SYSTEM_NAME Darwin)
else()
  set(CMAKE_SYSTEM_NAME Linux)
endif()
string(REGEX REPLACE "-.*" "" CMAKE_SYSTEM_PROCESSOR "${OSPORT_ZIG_TARGET}")

set(CMAKE_C_COMPILER "${OSPORT_ZIG_WRAPPERS}/zig-cc")
set(CMAKE_CXX_COMPILER "${OSPORT_ZIG_WRAPPERS}/zig-c++")
set(CMAKE_AR "${OSPORT_ZIG_WRAPPERS}/zig-ar" CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB "${OSPORT_ZIG_WRAPPERS}/zig-ranlib" CACHE FILEPATH "" FORCE)

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  # musl: one static executable per test, no loader or libc from the host.
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
else()
  # Darwin: no install_name_tool or codesign here; nothing is run anyway.
  set(CMAKE_PLATFORM_NO_VERSIONED_SONAME ON)
endif()

# Only the target's dependency prefix; never the host's /usr (glibc headers
# must not leak into a musl or macOS build).
set(CMAKE_FIND_ROOT_PATH "${OSPORT_ZIG_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
