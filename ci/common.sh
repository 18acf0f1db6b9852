# Sourced by every ci/ script: strict mode, paths, idempotent installs.
set -euo pipefail

OSPORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OSPORT_CACHE="${OSPORT_CACHE:-$HOME/.cache/osport}"
OSPORT_JOBS="${OSPORT_JOBS:-$(nproc 2>/dev/null || echo 2)}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# apt_install PKG... -- installs only what is missing; runs `apt-get update`
# only when something is missing and the package lists cannot provide it.
apt_install() {
  local missing=()
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing: ${missing[*]}"
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    $sudo apt-get update -qq
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The packages every native Linux build needs.
install_base() {
  apt_install build-essential cmake ninja-build pkg-config \
    libabsl-dev libmsgsl-dev libgtest-dev libgmock-dev libbenchmark-dev libboost-dev
}

# configure_build_test BUILD_DIR [cmake args...] -- the common tail of a cell.
configure_build_test() {
  local dir="$1"
  shift
  log "configure $dir"
  cmake -S "$OSPORT_ROOT" -B "$dir" -G Ninja -DOSPORT_WERROR=ON "$@"
  log "build $dir"
  cmake --build "$dir" -j "$OSPORT_JOBS"
  log "test $dir"
  (cd "$dir" && ctest --output-on-failure -j "$OSPORT_JOBS" --timeout 600)
}
