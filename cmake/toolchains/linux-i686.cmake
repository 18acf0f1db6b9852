# Linux i686 (32-bit x86) with Debian's cross g++ and multiarch :i386 packages
# (libabsl-dev:i386, libgtest-dev:i386). Used by ci/linux_i686_gcc.sh.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER i686-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER i686-linux-gnu-g++)
# find_package looks in /usr/lib/i386-linux-gnu/cmake, not the amd64 dir.
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
