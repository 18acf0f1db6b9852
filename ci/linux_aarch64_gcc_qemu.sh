#!/usr/bin/env bash
# Cell: Linux aarch64, Debian's cross g++ and multiarch :arm64 Abseil and
# GoogleTest; tests (and gtest discovery) run under qemu-user, helper children
# included (ci/with_qemu_binfmt). Proves the arm64 build and atomics code paths, NOT weak memory
# ordering: qemu-user runs on the x86 host's TSO memory model.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
add_foreign_arch arm64
install_base
# mount: ci/with_qemu_binfmt mounts a private binfmt_misc (an essential-only
# Debian has no mount(8); ci/fresh found that).
apt_install g++-aarch64-linux-gnu qemu-user mount libabsl-dev:arm64 libgtest-dev:arm64
use_ccache
# Helper children are the test binary re-exec'd through /proc/self/exe, which
# qemu-user reports as the aarch64 binary: give execve() a qemu handler.
OSPORT_TEST_WRAPPER=("$OSPORT_ROOT/ci/with_qemu_binfmt" aarch64)
configure_build_test "$(cell_build_dir)" \
  -DCMAKE_TOOLCHAIN_FILE="$OSPORT_ROOT/cmake/toolchains/linux-aarch64-qemu.cmake"
