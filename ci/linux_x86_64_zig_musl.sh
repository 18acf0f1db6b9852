#!/usr/bin/env bash
# Cell: a second libc. The whole suite built with Zig 0.11's clang + libc++
# for x86_64-linux-musl, static, and RUN here. Abseil and GoogleTest are
# built for musl from Debian's sources once and cached (ci/zig.sh).
# Feature checks run against musl's headers, so this cell also takes the
# fallbacks musl forces (statx, MADV_POPULATE_WRITE: not in musl 1.2.3).
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source-path=SCRIPTDIR source=zig.sh
source "$(dirname "$0")/zig.sh"
target=x86_64-linux-musl
install_base
install_zig
wrappers=$(zig_wrappers "$target")
deps=$(zig_deps "$target")
add_header_only_deps "$deps"
# No ccache: it does not know the zig-c++ wrapper as a compiler.
configure_build_test "$(cell_build_dir)" \
  -DCMAKE_TOOLCHAIN_FILE="$OSPORT_ROOT/cmake/toolchains/zig.cmake" \
  -DOSPORT_ZIG_TARGET="$target" -DOSPORT_ZIG_WRAPPERS="$wrappers" -DOSPORT_ZIG_PREFIX="$deps"
