#!/usr/bin/env bash
# Cell: Windows x86_64, cross-built with mingw-w64 (posix threads, -static) and
# run the whole suite under Wine in a fresh headless prefix. Idempotent: the
# mingw builds of Abseil and GoogleTest are cached under ~/.cache/osport.
source "$(dirname "$0")/common.sh"

TOOLCHAIN="$OSPORT_ROOT/cmake/toolchains/mingw-w64-x86_64.cmake"
BUILD_DIR="${OSPORT_BUILD_DIR:-$OSPORT_ROOT/build/windows-x86_64-mingw-wine}"
WINE=/usr/lib/wine/wine64          # Debian puts no wine64 on PATH
WINESERVER=/usr/lib/wine/wineserver64

# --- 1. packages ---------------------------------------------------------------
# Issue 5 lists the `mingw-w64` metapackage too; TOOLCHAINS.md checked that it
# only adds the i686 and win32-thread toolchains (+1.2 GB instead of ~400 MB),
# so the cell installs just the x86_64 posix compiler. dpkg-dev is for
# `apt-get source` (ci/common.sh deb_source_dir, of the installed
# libabsl-dev's version); googletest is the GoogleTest source tree;
# libmsgsl-dev is the header-only GSL copied into the cross prefix.
apt_install build-essential cmake ninja-build dpkg-dev googletest libmsgsl-dev libabsl-dev \
  nlohmann-json3-dev g++-mingw-w64-x86-64-posix wine wine64

# --- 2. cross-built dependencies, cached by version -----------------------------
absl_version="$(deb_version libabsl-dev)"
gtest_version="$(dpkg-query -W -f='${Version}' googletest)"
DEPS="$OSPORT_CACHE/mingw-deps-${absl_version}-${gtest_version}"

build_deps() {
  local work prefix
  work="$(mktemp -d)"
  prefix="$work/prefix"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  local common=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release
                -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=OFF)

  local absl_src
  absl_src="$(deb_source_dir libabsl-dev "$work/src")"
  log "building abseil for mingw"
  cmake -S "$absl_src" -B "$work/absl-build" "${common[@]}" \
    -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$work/absl-build" -j "$OSPORT_JOBS" >/dev/null
  cmake --install "$work/absl-build" >/dev/null

  log "building googletest $gtest_version for mingw"
  cmake -S /usr/src/googletest -B "$work/gtest-build" "${common[@]}" \
    -Dgtest_disable_pthreads=OFF >/dev/null
  cmake --build "$work/gtest-build" -j "$OSPORT_JOBS" >/dev/null
  cmake --install "$work/gtest-build" >/dev/null

  add_header_only_deps "$prefix"

  mkdir -p "$(dirname "$DEPS")"
  rm -rf "$DEPS.tmp"
  mv "$prefix" "$DEPS.tmp"
  mv "$DEPS.tmp" "$DEPS"   # only a complete prefix ever has the final name
}

if [ -d "$DEPS" ]; then
  log "using cached mingw deps $DEPS"
else
  build_deps
fi
# GSL and nlohmann-json are header-only: copied in (ci/common.sh).
add_header_only_deps "$DEPS"

# --- 3. a fresh headless Wine prefix --------------------------------------------
# The prefix is ~700 MB and cheap to make (~10 s): never cached. It must exist
# before the build, because gtest_discover_tests runs each test binary.
WINE_TMP="$(mktemp -d)"
cleanup_wine() {
  # wineserver keeps its socket in /tmp/wine-XXXXXX/server-DEV-INODE (or
  # /tmp/.wine-UID/...), named from the prefix's device and inode, and
  # leaves the directory behind: one per run, seen by the newcomer review
  # of 2026-12-02. Its name is taken before the prefix goes.
  local server=""
  [ ! -d "$WINE_TMP/prefix" ] ||
    server=$(printf 'server-%x-%x' "$(stat -c %d "$WINE_TMP/prefix")" "$(stat -c %i "$WINE_TMP/prefix")")
  WINEPREFIX="$WINE_TMP/prefix" "$WINESERVER" -k 2>/dev/null || true
  # wineserver -k has been seen to leave system processes behind; end those
  # of this prefix (and only those), by pid.
  local pid
  for pid in $(pgrep -f 'wine|\.exe' || true); do
    [ "$pid" = "$$" ] && continue
    if tr '\0' '\n' 2>/dev/null < "/proc/$pid/environ" | grep -qx "WINEPREFIX=$WINE_TMP/prefix"; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "$server" ]; then
    local d
    for d in /tmp/wine-*/"$server" "/tmp/.wine-$(id -u)/$server"; do
      if [ ! -d "$d" ] || [ ! -O "$d" ]; then continue; fi
      rm -rf "$d"
      rmdir "$(dirname "$d")" 2>/dev/null || true  # only if nothing else is in it
    done
  fi
  rm -rf "$WINE_TMP"  # after: a freed prefix inode could name another run's live server directory
}
trap cleanup_wine EXIT
unset DISPLAY WAYLAND_DISPLAY
export WINEPREFIX="$WINE_TMP/prefix" WINEARCH=win64 WINEDEBUG=-all
# No Mono/Gecko install prompts in a headless prefix.
export WINEDLLOVERRIDES="mscoree,mshtml="
log "initialising Wine prefix $WINEPREFIX"
"$WINE" wineboot --init >/dev/null 2>&1
"$WINESERVER" -w
# No persistent wineserver (-p): Wine's system processes (services.exe,
# winedevice.exe, explorer.exe) are started by whichever program needs them
# first and inherit its stdout; with a persistent server they outlive it, and
# ctest or gtest discovery, which wait for end of output, hang until their
# timeout (measured: two tests at 300 s). Without -p they exit a few seconds
# after the last Wine program, so at worst the first test absorbs that wait.

# --- 4. cross-build and test ----------------------------------------------------
export OSPORT_MINGW_PREFIX="$DEPS"
# A failed test runs once more in a fresh process and must pass there: Wine
# under load has been seen to time out a test (the file-lock kind's byte-range
# calls are wineserver round trips) and once to lose its wineserver. Every
# test still has to pass; see docs/PORTING.md.
OSPORT_CTEST_ARGS=(--repeat until-pass:2)
configure_build_test "$BUILD_DIR" \
  -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
  -DOSPORT_MINGW_PREFIX="$DEPS" \
  -DCMAKE_CROSSCOMPILING_EMULATOR="$WINE" \
  "$@"

# The tests' leak check leaves event handles out (tests/support/
# resources_win32.cc: winpthreads keeps one per static mutex it has seen
# contended). That is sound only while osport itself makes no events.
events=$(imported_symbols x86_64-w64-mingw32-nm "$BUILD_DIR" '__imp_(Create|Open)Event(Ex)?[AW]')
[ -z "$events" ] || die "osport makes event handles, which the leak check does not count (count them there first): $events"
log "osport's libraries make no event handles"
