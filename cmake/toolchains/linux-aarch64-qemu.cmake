# Linux aarch64 with Debian's cross g++, multiarch :arm64 packages, and tests
# run under qemu-user. Used by ci/linux_aarch64_gcc_qemu.sh.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# No -L: the multiarch libc6:arm64 provides /lib/ld-linux-aarch64.so.1 where
# qemu finds it; `-L /usr/aarch64-linux-gnu` would pair that cross loader with
# the multiarch libc and every forked child spins forever.
# gtest_discover_tests and ctest both run test binaries through this.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64)
