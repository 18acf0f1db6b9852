#!/usr/bin/env bash
# Cell: Linux i686 (32-bit), Debian's cross g++ and multiarch :i386 Abseil and
# GoogleTest; the whole suite runs as 32-bit processes (large-file offsets
# past 4 GiB included). Checks that the os library uses only the 64-bit
# file-offset entry points (_FILE_OFFSET_BITS=64). The 32-bit processes run
# natively where the kernel executes i386 binaries, else under qemu-i386
# (see runs_i386_natively).
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
add_foreign_arch i386
install_base
apt_install g++-i686-linux-gnu libabsl-dev:i386 libgtest-dev:i386
use_ccache

# runs_i386_natively -- whether this kernel executes an i386 ELF binary. An
# x86_64 kernel may not: IA32 emulation can be left out of the build or turned
# off at boot (ia32_emulation=0), and some VM kernels do so; there execve()
# answers ENOEXEC and every test binary fails to run ("Syntax error" from the
# shell that gtest discovery falls back to). Probed with a real binary.
runs_i386_natively() {
  local probe rc=0
  probe="$(cell_build_dir)-probe"
  rm -rf "$probe"
  mkdir -p "$probe"
  printf 'int main(void) { return 0; }\n' >"$probe/probe.c"
  i686-linux-gnu-gcc "$probe/probe.c" -o "$probe/probe" || die "i686-linux-gnu-gcc cannot build a trivial program"
  "$probe/probe" 2>/dev/null || rc=$?
  rm -rf "$probe"
  return "$rc"
}
i686_args=()
if runs_i386_natively; then
  log "this kernel runs i386 binaries: the 32-bit suite runs natively"
else
  # Same as the aarch64 cell: ctest and gtest discovery run each binary
  # through qemu-i386, and a private binfmt_misc hands the helper children
  # (re-exec'd through /proc/self/exe) to it too.
  log "this kernel does not run i386 binaries (no IA32 emulation): the 32-bit suite runs under qemu-i386"
  apt_install qemu-user mount
  OSPORT_TEST_WRAPPER=("$OSPORT_ROOT/ci/with_qemu_binfmt" i386)
  i686_args=(-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/qemu-i386)
fi

# A 64-bit peer: the native region_test, which the 32-bit suite's cross-width
# tests start as a helper (OSPORT_PEER_TEST_BINARY) to share regions with.
build_peer() {
  local peer="$1"
  rm -rf "$peer"
  cmake -S "$OSPORT_ROOT" -B "$peer" -G Ninja -DOSPORT_BUILD_BENCH=OFF -DOSPORT_BUILD_TOOLS=OFF \
    -DOSPORT_TEST_CONSUMERS=OFF -DCMAKE_CXX_COMPILER=g++ "${OSPORT_LAUNCHER[@]}" >/dev/null
  cmake --build "$peer" -j "$OSPORT_JOBS" --target region_test
}
peer="$(cell_build_dir)-peer64"
log "build the 64-bit peer $peer"
build_peer "$peer"
export OSPORT_PEER_TEST_BINARY="$peer/tests/region_test"

dir="$(cell_build_dir)"
configure_build_test "$dir" \
  -DCMAKE_TOOLCHAIN_FILE="$OSPORT_ROOT/cmake/toolchains/linux-i686.cmake" "${i686_args[@]}"
# With _FILE_OFFSET_BITS=64 glibc routes every offset-taking call to its *64
# symbol; a plain one means an object was compiled without it (32-bit off_t,
# EOVERFLOW past 2 GiB).
narrow=$(imported_symbols i686-linux-gnu-nm "$dir" \
  '(open|openat|creat|lseek|pread|pwrite|ftruncate|truncate|fstat|stat|lstat|fstatat|mmap|posix_fallocate|fallocate|fcntl)')
[ -z "$narrow" ] || die "32-bit off_t entry points: $narrow"
log "large-file ABI ok: no 32-bit off_t calls in osport's libraries"
