#!/usr/bin/env bash
# Cell: Linux x86_64, clang 14 with ThreadSanitizer. Debian's Abseil is built
# without TSan, so absl::Mutex (a futex word TSan cannot see through) gives
# false races: this cell links a TSan-instrumented static Abseil built from
# Debian's own source package of the installed version, cached under
# ~/.cache/osport/absl-tsan-<debian version>, and checks it was the one used.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
apt_install clang libclang-rt-dev
use_ccache

tsan="-fsanitize=thread -fno-omit-frame-pointer"
absl_version=$(deb_version libabsl-dev)
absl_prefix="$OSPORT_CACHE/absl-tsan-$absl_version"

build_absl_tsan() {
  local work tree
  work=$(mktemp -d "$OSPORT_CACHE/absl-tsan-build.XXXXXX")
  tree=$(deb_source_dir libabsl-dev "$work/src")
  log "building TSan Abseil $absl_version (once per version)"
  cmake -S "$tree" -B "$work/build" -G Ninja "${OSPORT_LAUNCHER[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_FLAGS="$tsan" -DCMAKE_C_FLAGS="$tsan" \
    -DCMAKE_CXX_STANDARD=17 -DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF \
    -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
  cmake --build "$work/build" -j "$OSPORT_JOBS" >/dev/null
  cmake --install "$work/build" >/dev/null
  mv "$work/prefix" "$absl_prefix"  # appears whole or not at all
  rm -rf "$work"
}
[ -f "$absl_prefix/lib/cmake/absl/abslConfig.cmake" ] || timed deps build_absl_tsan
log "TSan Abseil: $absl_prefix"

# ci/tsan.supp: one known false report inside Abseil itself (see there).
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$OSPORT_ROOT/ci/tsan.supp"
dir="$(cell_build_dir)"
configure_build_test "$dir" \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$tsan" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_PREFIX_PATH="$absl_prefix" -Dabsl_DIR:PATH="$absl_prefix/lib/cmake/absl"

# find_package must have taken the cached Abseil (its static archives on the
# link lines), and nothing may pull in Debian's uninstrumented libabsl_*.so.
grep -q "$absl_prefix/lib/libabsl_" "$dir/build.ninja" ||
  die "find_package(absl) did not pick $absl_prefix: $(grep '^absl_DIR' "$dir/CMakeCache.txt")"
while IFS= read -r exe; do
  ! ldd "$exe" | grep -q 'libabsl_' || die "$exe links Debian's uninstrumented libabsl"
done < <(find "$dir/tests" -maxdepth 1 -type f -perm -u+x -name '*_test')
log "TSan Abseil in use; no Debian libabsl_*.so linked"
