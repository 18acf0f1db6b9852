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

# --- apt: one place for every package step ------------------------------------
# Other jobs on the machine may hold the dpkg/apt locks: wait, don't fail.
APT_GET=(apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
# Set when the package lists are known not to cover what we need
# (a foreign architecture was just added).
OSPORT_APT_STALE="${OSPORT_APT_STALE:-0}"
# How many times a step that failed for a transient reason (a mirror caught
# mid-sync, a dropped connection, a lock held by another apt) is tried.
OSPORT_APT_TRIES="${OSPORT_APT_TRIES:-4}"

# apt_transient TEXT -- whether apt's output names a failure that a later try
# can cure: network errors, a mirror mid-sync (hash or size mismatch), locks.
apt_transient() {
  grep -Eq 'Could not get lock|Unable to acquire the dpkg|Hash Sum mismatch|unexpected size|Mirror sync in progress|Temporary failure|Could not connect|Unable to connect|Connection (failed|timed out|reset)|Failed to fetch|Some index files failed to download|Unable to fetch some archives|50[23] ' <<<"$1"
}

# apt_step STEP CMD... -- runs an apt command, retrying transient failures a
# bounded number of times (waiting longer each time; a lock held by another
# apt is waited for up to 15 minutes). On a final failure it prints the step
# and apt's own error lines, and returns non-zero. The command's output is
# kept in APT_STEP_OUT for the caller.
APT_STEP_OUT=""
apt_step() {
  local step="$1" try=1 wait=5 lock_waits=0 rc
  shift
  while :; do
    rc=0
    APT_STEP_OUT=$("$@" 2>&1) || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if grep -Eq 'Could not get lock|Unable to acquire the dpkg' <<<"$APT_STEP_OUT" &&
      [ "$lock_waits" -lt 90 ]; then
      [ "$lock_waits" = 0 ] && log "$step: apt is locked by another apt; waiting"
      lock_waits=$((lock_waits + 1))
      sleep 10
      continue
    fi
    if [ "$try" -lt "$OSPORT_APT_TRIES" ] && apt_transient "$APT_STEP_OUT"; then
      log "$step: transient failure (try $try of $OSPORT_APT_TRIES), retrying in ${wait}s:"
      grep -E '^(Err|E:|W:)' <<<"$APT_STEP_OUT" | head -n 5 >&2 || true
      sleep "$wait"
      try=$((try + 1))
      wait=$((wait * 3))
      continue
    fi
    log "$step failed (exit $rc): $*"
    grep -E '^(Err|E:|W:)' <<<"$APT_STEP_OUT" >&2 || printf '%s\n' "$APT_STEP_OUT" | tail -n 20 >&2
    return "$rc"
  done
}

# apt_update -- `apt-get update` of the machine's own lists. An index that
# still fails after the retries (seen: a mirror mid-sync serving an i386
# Packages file of the wrong size) does not fail the cell: the other lists
# are fresh, and an install that needs the missing index fails on its own,
# naming the package.
apt_update() {
  log "apt-get update"
  if apt_step "apt-get update" as_root "${APT_GET[@]}" update -qq; then
    OSPORT_APT_STALE=0
    return 0
  fi
  if grep -q 'Some index files failed to download' <<<"$APT_STEP_OUT" &&
    ! grep -q 'The list of sources could not be read' <<<"$APT_STEP_OUT"; then
    log "warning: some package indexes could not be refreshed (above); continuing with the rest"
    OSPORT_APT_STALE=0
    return 0
  fi
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
  local install=(as_root "${APT_GET[@]}" install -y --no-install-recommends "${missing[@]}")
  # With old lists the first try may name versions the mirror no longer has:
  # refresh once, then try again (transient failures are retried inside).
  if ! OSPORT_APT_TRIES=1 apt_step "apt-get install" "${install[@]}" 2>/dev/null; then
    apt_update
    apt_step "apt-get install ${missing[*]}" "${install[@]}"
  fi
}

# add_foreign_arch ARCH -- multiarch (i386, arm64). Their :ARCH -dev packages
# must have exactly the amd64 versions (Multi-Arch: same), so the next install
# runs from one fresh `apt-get update`; apt then upgrades amd64 in step if the
# archive moved on. (This is dpkg's own configuration, in the form dpkg and
# apt expect; `dpkg --remove-architecture ARCH` undoes it once no :ARCH
# package is installed.)
add_foreign_arch() {
  if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
    log "dpkg --add-architecture $1"
    as_root dpkg --add-architecture "$1"
    OSPORT_APT_STALE=1
  fi
}

# --- Debian source packages without touching /etc/apt ---------------------------
# `apt-get source` needs deb-src entries. Instead of adding one to the
# machine's sources (a one-line entry without Signed-By beside deb822 entries
# that have one makes apt refuse *every* list -- seen on a fresh machine),
# apt is pointed, through its own -o options, at a private sources file,
# lists directory and cache under $OSPORT_CACHE/apt-src. The machine's
# configuration, lists and caches are never read for sources nor written.
APT_SRC_DIR="$OSPORT_CACHE/apt-src"

# apt_src_opts -- the -o options of the private source configuration.
apt_src_opts() {
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$APT_SRC_DIR/sources.list" \
    -o "Dir::Etc::SourceParts=$APT_SRC_DIR/sources.list.d" \
    -o "Dir::State::Lists=$APT_SRC_DIR/lists" \
    -o "Dir::Cache=$APT_SRC_DIR/cache" \
    -o "APT::Sandbox::User=root" \
    -o "Acquire::Languages=none" \
    -o "Acquire::Retries=3"
}

# debian_codename / debian_mirror -- this machine's Debian release, and the
# site apt already uses for its main component (from `apt-get indextargets`;
# deb.debian.org when none is configured).
debian_codename() { (. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}"); }
debian_mirror() {
  local site
  site=$(apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT)' 2>/dev/null |
    awk -v c="$(debian_codename)" '$2 == c && $3 == "main" {print $1; exit}')
  echo "${site:-http://deb.debian.org/debian}"
}

# apt_src_setup -- writes the private deb822 source for the machine's own
# Debian release and mirror (the site apt already uses for its main
# component, from `apt-get indextargets`), signed by the archive keyring.
apt_src_setup() {
  local codename site keyring
  codename=$(debian_codename)
  site=$(debian_mirror)
  mkdir -p "$APT_SRC_DIR/sources.list.d" "$APT_SRC_DIR/lists/partial" "$APT_SRC_DIR/cache/archives/partial"
  : >"$APT_SRC_DIR/sources.list"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  {
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n' "$site" "$codename"
    [ -f "$keyring" ] && printf 'Signed-By: %s\n' "$keyring"
  } >"$APT_SRC_DIR/sources.list.d/osport-src.sources.tmp"
  mv "$APT_SRC_DIR/sources.list.d/osport-src.sources.tmp" "$APT_SRC_DIR/sources.list.d/osport-src.sources"
}

# deb_source_dir BINPKG DEST -- unpacks the Debian source of the installed
# BINPKG (exact version, Debian patches applied) under DEST once; prints the
# source tree's path. The one helper every cell uses for Debian sources.
deb_source_dir() {
  local src ver tree opts
  src=$(dpkg-query -W -f='${source:Package}\n' "$1" | head -n1)
  ver=$(dpkg-query -W -f='${source:Version}\n' "$1" | head -n1)
  [ -n "$src" ] || die "deb_source_dir: $1 is not installed"
  mkdir -p "$2"
  tree=$(find "$2" -mindepth 1 -maxdepth 1 -type d -name "${src}-*" -print -quit)
  if [ -z "$tree" ]; then
    apt_install dpkg-dev
    apt_src_setup
    mapfile -t opts < <(apt_src_opts)
    log "apt-get update (private deb-src list in ${APT_SRC_DIR#"$HOME"/})"
    apt_step "apt-get update of the private deb-src list" apt-get "${opts[@]}" update -qq ||
      die "could not read the Debian source index (see apt's error above)"
    log "apt-get source $src=$ver"
    (cd "$2" && apt_step "apt-get source $src=$ver" apt-get "${opts[@]}" source -qq "$src=$ver") ||
      die "could not fetch the source of $src=$ver (see apt's error above)"
    tree=$(find "$2" -mindepth 1 -maxdepth 1 -type d -name "${src}-*" -print -quit)
  fi
  [ -n "$tree" ] || die "no source tree for $src=$ver under $2"
  echo "$tree"
}

# The packages every Linux build needs (native and, via :ARCH, cross).
# nlohmann-json3-dev: the osport tool's JSON (header-only, architecture all).
install_base() {
  apt_install build-essential cmake ninja-build pkg-config \
    libabsl-dev libmsgsl-dev libgtest-dev libgmock-dev libbenchmark-dev libboost-dev \
    nlohmann-json3-dev
}

# add_header_only_deps PREFIX -- copies the header-only dependencies (GSL,
# nlohmann-json) with their CMake configs into a cross-build prefix, unless
# they are there: their configs compute the include dir from their own
# location, so the copies are what a cross build finds (the host's
# /usr/include would drag glibc headers in). Also updates prefixes cached
# before a dependency was added.
add_header_only_deps() {
  local prefix="$1"
  apt_install libmsgsl-dev nlohmann-json3-dev
  mkdir -p "$prefix/include" "$prefix/share/cmake"
  if [ ! -f "$prefix/share/cmake/Microsoft.GSL/Microsoft.GSLConfig.cmake" ]; then
    cp -r /usr/include/gsl "$prefix/include/"
    cp -r /usr/share/cmake/Microsoft.GSL "$prefix/share/cmake/"
  fi
  if [ ! -f "$prefix/share/cmake/nlohmann_json/nlohmann_jsonConfig.cmake" ]; then
    log "adding nlohmann-json to $prefix"
    cp -r /usr/include/nlohmann "$prefix/include/"
    cp -r /usr/share/cmake/nlohmann_json "$prefix/share/cmake/"
  fi
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

# configure_build DIR [cmake args...] -- fresh build dir, warnings as
# errors, tests built, benchmarks off (an argument may turn them on); builds.
configure_build() {
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
}

# imported_symbols NM DIR ERE -- the undefined symbols matching ERE (whole
# names) of osport's libraries under DIR (libosport_*.a, not the tests'), one
# "library: symbol..." line per library that has any. A cell that forbids
# some imports fails when this prints anything; no library at all is an error.
imported_symbols() {
  local nm="$1" dir="$2" ere="$3" lib syms found=0
  while IFS= read -r lib; do
    found=1
    syms=$("$nm" -u --format=posix "$lib" | awk '{print $1}' | sort -u | grep -Ex "$ere" || true)
    [ -z "$syms" ] || echo "$(basename "$lib"): $(tr '\n' ' ' <<<"$syms")"
  done < <(find "$dir" -name 'libosport_*.a' -not -path '*/tests/*')
  [ "$found" = 1 ] || die "no libosport_*.a under $dir"
}

# configure_build_test DIR [cmake args...] -- the common tail of a cell:
# configure_build, then ctest. Extra ctest arguments can be given in the
# OSPORT_CTEST_ARGS array.
configure_build_test() {
  local dir="$1"
  configure_build "$@"
  log "test $dir"
  timed test run_ctest "$dir" "${OSPORT_CTEST_ARGS[@]}"
}
