# Sourced by every ci/ script: strict mode, paths, idempotent installs, caches,
# and the configure/build/test tail that records phase timings for ci/matrix.
# shellcheck shell=bash
set -euo pipefail

OSPORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OSPORT_CACHE="${OSPORT_CACHE:-$HOME/.cache/osport}"
OSPORT_JOBS="${OSPORT_JOBS:-$(nproc 2>/dev/null || echo 2)}"
# Each cell builds in $OSPORT_BUILD_ROOT/<cell>, fresh every run.
OSPORT_BUILD_ROOT="${OSPORT_BUILD_ROOT:-$OSPORT_ROOT/build/ci}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Other jobs on the machine may hold the dpkg/apt locks: wait, don't fail.
APT_GET=(apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
# Set when the package lists are known not to cover what we need
# (a foreign architecture or a deb-src entry was just added).
OSPORT_APT_STALE="${OSPORT_APT_STALE:-0}"

# `apt-get update` takes the lists lock, which DPkg::Lock::Timeout does not
# cover: retry while another apt holds it (up to 15 minutes).
apt_update() {
  local try err
  log "apt-get update"
  for try in $(seq 90); do
    if err=$(as_root "${APT_GET[@]}" update -qq 2>&1); then
      OSPORT_APT_STALE=0
      return 0
    fi
    if grep -q 'Could not get lock' <<<"$err"; then
      [ "$try" = 1 ] && log "apt lists locked by another apt; waiting"
      sleep 10
      continue
    fi
    # A mirror that is mid-sync for one index (seen here for
    # bookworm-security i386) is not fatal: the other lists are fresh and
    # the install that follows fails clearly if it needs the missing one.
    if grep -q 'Some index files failed to download' <<<"$err"; then
      echo "$err" | grep -E '^(Err|E:)' >&2 || true
      log "warning: some package indexes are stale (see above); continuing"
      OSPORT_APT_STALE=0
      return 0
    fi
    echo "$err" >&2
    return 1
  done
  echo "$err" >&2
  return 1
}

is_installed() {
  dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt_install PKG... -- installs only what is missing; runs `apt-get update`
# only when something is missing and the package lists cannot provide it.
# A second run with everything present runs no apt-get at all.
apt_install() {
  local missing=() p
  for p in "$@"; do
    is_installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  [ "$OSPORT_APT_STALE" = 1 ] && apt_update
  if ! as_root "${APT_GET[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt_update
    as_root "${APT_GET[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# add_foreign_arch ARCH -- multiarch (i386, arm64). Their :ARCH -dev packages
# must have exactly the amd64 versions (Multi-Arch: same), so the next install
# runs from one fresh `apt-get update`; apt then upgrades amd64 in step if the
# archive moved on.
add_foreign_arch() {
  if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
    log "dpkg --add-architecture $1"
    as_root dpkg --add-architecture "$1"
    OSPORT_APT_STALE=1
  fi
}

# ensure_deb_src -- `apt-get source` needs a deb-src entry; add one for
# bookworm main only if the machine has none at all.
ensure_deb_src() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if grep -Eq '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' "$f"; then
      return 0
    fi
  done
  log "adding /etc/apt/sources.list.d/osport-src.list (deb-src bookworm main)"
  echo 'deb-src http://deb.debian.org/debian bookworm main' |
    as_root tee /etc/apt/sources.list.d/osport-src.list >/dev/null
  OSPORT_APT_STALE=1
}

# The packages every Linux build needs (native and, via :ARCH, cross).
# nlohmann-json3-dev: the osport tool's JSON (header-only, architecture all).
install_base() {
  apt_install build-essential cmake ninja-build pkg-config \
    libabsl-dev libmsgsl-dev libgtest-dev libgmock-dev libbenchmark-dev libboost-dev \
    nlohmann-json3-dev
}

# deb_version PKG -- the installed Debian version (cache keys use it). With
# multiarch there is one line per architecture, all equal (Multi-Arch: same).
deb_version() { dpkg-query -W -f='${Version}\n' "$1" | head -n1; }

# use_ccache -- sets OSPORT_LAUNCHER; pass "${OSPORT_LAUNCHER[@]}" to cmake.
OSPORT_LAUNCHER=()
use_ccache() {
  [ "${OSPORT_CCACHE:-1}" = 1 ] || return 0
  apt_install ccache
  export CCACHE_DIR="$OSPORT_CACHE/ccache"
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-3G}"
  # Cells build from different clones/dirs: hash relative paths.
  export CCACHE_BASEDIR="$OSPORT_ROOT"
  export CCACHE_NOHASHDIR=1
  OSPORT_LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
}

# cell_name / cell_build_dir -- from the calling script's file name.
cell_name() { basename "$0" .sh; }
cell_build_dir() { echo "$OSPORT_BUILD_ROOT/$(cell_name)"; }

# stat_put KEY VALUE -- one line for ci/matrix (no-op when run by hand).
stat_put() {
  [ -n "${OSPORT_CI_STATS:-}" ] || return 0
  printf '%s=%s\n' "$1" "$2" >>"$OSPORT_CI_STATS"
}

# timed PHASE CMD... -- runs CMD, records PHASE_s seconds, keeps its status.
# CMD runs in a subshell with errexit on: `CMD || rc=$?` would switch errexit
# off inside a shell function CMD, and its failures would go unnoticed.
timed() {
  local phase="$1" start rc
  shift
  start=$(date +%s)
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  stat_put "${phase}_s" "$(($(date +%s) - start))"
  return "$rc"
}

# record_test_counts JUNIT_XML -- passed/failed/skipped from ctest's JUnit
# file, whose <testsuite ...> attributes span several lines.
record_test_counts() {
  local xml="$1" head total failures skipped disabled
  [ -f "$xml" ] || return 0
  head=$(sed -n '/<testsuite/,/>/p' "$xml" | tr '\n\t' '  ' | grep -o '<testsuite [^>]*>') || return 0
  attr() { grep -o " $1=\"[0-9]*\"" <<<"$head" | tr -dc '0-9'; }
  total=$(attr tests)
  failures=$(attr failures)
  skipped=$(attr skipped)
  disabled=$(attr disabled)
  skipped=$((${skipped:-0} + ${disabled:-0}))
  stat_put tests_failed "${failures:-0}"
  stat_put tests_skipped "$skipped"
  stat_put tests_passed "$((${total:-0} - ${failures:-0} - skipped))"
}

# A command prefix for ctest (e.g. ci/with_qemu_binfmt aarch64).
OSPORT_TEST_WRAPPER=()

run_ctest() {
  local dir="$1" rc=0
  shift
  (cd "$dir" && "${OSPORT_TEST_WRAPPER[@]}" ctest --output-on-failure --no-tests=error -j "$OSPORT_JOBS" \
    --timeout 600 --output-junit ctest-junit.xml "$@") || rc=$?
  record_test_counts "$dir/ctest-junit.xml"
  return "$rc"
}

OSPORT_CTEST_ARGS=()

# configure_build_test DIR [cmake args...] -- the common tail of a cell:
# fresh build dir, warnings as errors, benchmarks off, ctest. Extra ctest
# arguments can be given in the OSPORT_CTEST_ARGS array.
configure_build_test() {
  local dir="$1"
  shift
  [ "${OSPORT_KEEP_BUILD:-0}" = 1 ] || rm -rf "$dir"
  log "configure $dir"
  # The consumer tests (osport vendored three ways, each a full sub-build)
  # run in one cell only: linux_x86_64_gcc passes -DOSPORT_TEST_CONSUMERS=ON.
  timed configure cmake -S "$OSPORT_ROOT" -B "$dir" -G Ninja \
    -DOSPORT_WERROR=ON -DOSPORT_BUILD_TESTS=ON -DOSPORT_BUILD_BENCH=OFF \
    -DOSPORT_TEST_CONSUMERS=OFF "${OSPORT_LAUNCHER[@]}" "$@"
  log "build $dir"
  timed build cmake --build "$dir" -j "$OSPORT_JOBS"
  log "test $dir"
  timed test run_ctest "$dir" "${OSPORT_CTEST_ARGS[@]}"
}

# deb_source_dir BINPKG DEST -- unpacks the Debian source of the installed
# BINPKG (exact version, Debian patches applied) under DEST once; prints the
# source tree's path.
deb_source_dir() {
  local src ver tree
  src=$(dpkg-query -W -f='${source:Package}\n' "$1" | head -n1)
  ver=$(dpkg-query -W -f='${source:Version}\n' "$1" | head -n1)
  mkdir -p "$2"
  tree=$(find "$2" -mindepth 1 -maxdepth 1 -type d -name "${src}-*" -print -quit)
  if [ -z "$tree" ]; then
    ensure_deb_src
    apt_install dpkg-dev
    [ "$OSPORT_APT_STALE" = 1 ] && apt_update
    log "apt-get source $src=$ver"
    (cd "$2" && "${APT_GET[@]}" source -qq "$src=$ver" >&2)
    tree=$(find "$2" -mindepth 1 -maxdepth 1 -type d -name "${src}-*" -print -quit)
  fi
  [ -n "$tree" ] || die "no source tree for $src=$ver under $2"
  echo "$tree"
}
