# Sourced by ci/matrix: the matrix's time budget (issue 14).
# shellcheck shell=bash disable=SC2034 # BUDGET_REASON, BUDGET_EXPECTED are read by ci/matrix
#
# `.ci/run` (ci/test with no cell named) must end within 60 minutes even on a
# fresh machine, where every cell is cold: about 1.5 hours in all on 2 idle
# cores, 2.5 under load (apt installs, the cross dependency builds, an empty
# ccache). So with no cell named, ci/matrix starts a cell only if its
# expected time fits in what is left of the budget, OSPORT_CI_BUDGET_S
# (default 3300 s: 55 minutes, leaving room for a cell that runs over its
# estimate). A cell that does not fit is SKIPPED, with its expected time and
# the command that runs it; the summary table lists it and its last line
# counts it -- never dropped silently. Named cells, `ci/test --all` and
# OSPORT_CI_BUDGET_S=0 have no budget. `ci/test --plan` prints the decisions
# and runs nothing.
#
# A cell's expected time: the fastest of its last five passes on this machine
# (recorded in $OSPORT_CACHE/ci-times/<cell>; the fastest, so that one pass
# slowed by other load does not get the cell skipped the next time); with no
# pass recorded, its cold time below, measured by ci/fresh from an empty root.
#
# Order: the cells the budget skipped in the last run (<cell>.skipped there)
# go first, then the rest, each group in ci/matrix's order. So no cell is
# skipped twice in a row unless its own expected time exceeds the whole
# budget: a fresh machine's first run covers the native Linux cells, the
# next run starts with the cells it skipped, and once every cell has a warm
# record they all fit (about 40 minutes on this machine).

OSPORT_CI_BUDGET_S="${OSPORT_CI_BUDGET_S:-3300}"
# Decimal without a leading zero (bash reads 0NN as octal), at most 7 digits.
SECONDS_RE='^(0|[1-9][0-9]{0,6})$'
[[ "$OSPORT_CI_BUDGET_S" =~ $SECONDS_RE ]] ||
  die "OSPORT_CI_BUDGET_S='$OSPORT_CI_BUDGET_S' is not a whole number of seconds (0: no budget; at most 9999999)"
CI_TIMES_DIR="$OSPORT_CACHE/ci-times"

# cold_seconds CELL -- the cell's wall time from an empty root (ci/fresh
# --all of 2026-11-30, 2 idle cores; README "CI matrix"), installs and
# dependency builds included.
cold_seconds() {
  case "$1" in
    linux_x86_64_gcc) echo 451 ;;
    linux_x86_64_clang) echo 207 ;;
    linux_x86_64_clang_asan_ubsan) echo 232 ;;
    linux_x86_64_clang_tsan) echo 290 ;;
    linux_x86_64_model_check) echo 297 ;;
    linux_x86_64_gcc_posix_generic) echo 193 ;;
    linux_x86_64_gcc_no_spinlocks) echo 209 ;;
    linux_x86_64_gcc_shared_only) echo 206 ;;
    linux_x86_64_gcc_zero_on_last_close) echo 219 ;;
    linux_x86_64_gcc_mapinit) echo 192 ;;
    # Under qemu-i386 (a kernel without IA32 emulation, ci/linux_i686_gcc.sh)
    # ci/fresh took 1590 s on 2026-12-02 beside the Windows cell (load 4-7),
    # and the aarch64 cell, also under qemu and beside another cell, took
    # 1207 s that day, 2.5x its idle 474 s: so about 650 idle, an estimate.
    # Natively, idle, 2026-11-30: 443.
    linux_i686_gcc) echo 650 ;;
    linux_aarch64_gcc_qemu) echo 474 ;;
    windows_x86_64_mingw_wine) echo 471 ;;
    linux_x86_64_zig_musl) echo 405 ;;
    macos_x86_64_zig_build) echo 347 ;;
    macos_arm64_zig_build) echo 400 ;;
    *) echo 600 ;; # a cell added without a measurement: a middling guess
  esac
}

# expected_seconds CELL -- prints "SECONDS WHY" (WHY: where the figure is
# from). Only lines of plain decimal seconds in a record count; anything else
# in it (a hand edit, a CRLF) is ignored.
expected_seconds() {
  local rec="$CI_TIMES_DIR/$1" best=""
  [ ! -f "$rec" ] || best=$(grep -E "$SECONDS_RE" "$rec" | sort -n | head -n1 || true)
  if [ -n "$best" ]; then
    echo "$best fastest-recorded-pass"
  else
    echo "$(cold_seconds "$1") cold-estimate"
  fi
}

# budget_order CELL... -- the cells in budget order, one a line: those the
# budget skipped last time first, then the others, each group in given order.
budget_order() {
  local c
  for c in "$@"; do [ ! -e "$CI_TIMES_DIR/$c.skipped" ] || echo "$c"; done
  for c in "$@"; do [ -e "$CI_TIMES_DIR/$c.skipped" ] || echo "$c"; done
}

# budget_admits CELL USED -- whether the cell's expected time fits in what is
# left of the budget after USED seconds; sets BUDGET_REASON and
# BUDGET_EXPECTED (seconds) either way.
BUDGET_REASON=""
BUDGET_EXPECTED=0
budget_admits() {
  local cell="$1" used="$2" exp why left
  read -r exp why < <(expected_seconds "$cell")
  BUDGET_EXPECTED=$exp
  why="${why//-/ }"
  if [ "$OSPORT_CI_BUDGET_S" -eq 0 ]; then
    BUDGET_REASON="expected ${exp}s ($why); no budget"
    return 0
  fi
  left=$((OSPORT_CI_BUDGET_S - used))
  if [ "$exp" -le "$left" ]; then
    BUDGET_REASON="expected ${exp}s ($why), ${left}s of the budget left"
    return 0
  fi
  BUDGET_REASON="expected ${exp}s ($why) > ${left}s left of the ${OSPORT_CI_BUDGET_S}s budget; run it with: ci/test $cell (or ci/test --all)"
  return 1
}

# budget_record CELL RESULT [SECONDS] -- after a cell ran (any result) or was
# skipped by the budget: a pass adds its time to the record (the last five
# kept); a run of any result clears the skip mark; a skip sets it.
budget_record() {
  local rec="$CI_TIMES_DIR/$1"
  mkdir -p "$CI_TIMES_DIR"
  case "$2" in
    SKIPPED)
      : >"$rec.skipped"
      return 0
      ;;
    PASS)
      { [ ! -f "$rec" ] || grep -E "$SECONDS_RE" "$rec" | tail -n 4 || true; echo "$3"; } >"$rec.new"
      mv "$rec.new" "$rec"
      ;;
  esac
  rm -f "$rec.skipped"
}
