# Sourced by ci/matrix: the matrix's time budget (issue 14).
# shellcheck shell=bash disable=SC2034 # BUDGET_REASON is read by ci/matrix
#
# `.ci/run` (ci/test with no cell named) must end within 60 minutes even on a
# fresh machine, where every cell is cold: about 2.5 hours in all on 2 cores
# (apt installs, the cross dependency builds, an empty ccache). So with no
# cell named, ci/matrix starts a cell only if its expected time fits in what
# is left of the budget, OSPORT_CI_BUDGET_S (default 3300 s: 55 minutes,
# leaving room for a cell that runs over its estimate). A cell that does not
# fit is SKIPPED, with its expected time and the command that runs it; the
# summary table lists it and its last line counts it -- never dropped
# silently. Cells run in ci/matrix's order, so the native Linux cells come
# first. Named cells, `ci/test --all` and OSPORT_CI_BUDGET_S=0 have no
# budget. `ci/test --plan` prints the decisions and runs nothing.
#
# A cell's expected time, in this order:
#  1. the fastest of its last five passes on this machine, recorded in
#     $OSPORT_CACHE/ci-times/<cell> (the fastest, so that one pass slowed by
#     other load does not get the cell skipped the next time);
#  2. its cold time below (measured by ci/fresh from an empty root) when this
#     machine is fresh -- $OSPORT_CACHE did not exist when the matrix started
#     -- or when the budget skipped the cell before (<cell>.skipped there);
#  3. otherwise 0: a machine that has run osport's CI but has no record of
#     this cell runs it, and records it.
# So a fresh machine runs the cells that fit cold; each later run has more of
# them warm and recorded, and runs more, until every cell runs.

OSPORT_CI_BUDGET_S="${OSPORT_CI_BUDGET_S:-3300}"
[[ "$OSPORT_CI_BUDGET_S" =~ ^[0-9]+$ ]] ||
  die "OSPORT_CI_BUDGET_S='$OSPORT_CI_BUDGET_S' is not a whole number of seconds (0: no budget)"
CI_TIMES_DIR="$OSPORT_CACHE/ci-times"
# Fresh machine: decided once, before anything of this run is cached.
if [ -d "$OSPORT_CACHE" ]; then CI_FRESH_MACHINE=0; else CI_FRESH_MACHINE=1; fi

# cold_seconds CELL -- the cell's wall time from an empty root (ci/fresh,
# 2 cores; see README "CI matrix"), installs and dependency builds included.
cold_seconds() {
  case "$1" in
    linux_x86_64_gcc) echo 436 ;;
    linux_x86_64_clang) echo 445 ;;
    linux_x86_64_clang_asan_ubsan) echo 308 ;;
    linux_x86_64_clang_tsan) echo 634 ;;
    linux_x86_64_gcc_no_spinlocks) echo 213 ;;
    linux_x86_64_gcc_shared_only) echo 442 ;;
    linux_x86_64_gcc_zero_on_last_close) echo 182 ;;
    linux_x86_64_gcc_mapinit) echo 187 ;;
    linux_x86_64_gcc_posix_generic) echo 246 ;;
    linux_x86_64_model_check) echo 516 ;;
    linux_i686_gcc) echo 834 ;;
    linux_aarch64_gcc_qemu) echo 691 ;;
    windows_x86_64_mingw_wine) echo 1284 ;;
    linux_x86_64_zig_musl) echo 491 ;;
    macos_x86_64_zig_build) echo 1000 ;;
    macos_arm64_zig_build) echo 1150 ;;
    *) echo 600 ;; # a cell added without a measurement: a middling guess
  esac
}

# expected_seconds CELL -- prints "SECONDS WHY" (WHY: where the figure is from).
expected_seconds() {
  local rec="$CI_TIMES_DIR/$1" best
  if [ -s "$rec" ]; then
    best=$(sort -n "$rec" | head -n1)
    echo "$best fastest-recorded-pass"
  elif [ "$CI_FRESH_MACHINE" = 1 ] || [ -e "$rec.skipped" ]; then
    echo "$(cold_seconds "$1") cold-estimate"
  else
    echo "0 no-record"
  fi
}

# budget_admits CELL ELAPSED -- whether a cell expected to take its time fits
# in what is left of the budget after ELAPSED seconds; sets BUDGET_REASON to
# the explanation either way.
BUDGET_REASON=""
budget_admits() {
  local cell="$1" elapsed="$2" exp why left
  read -r exp why < <(expected_seconds "$cell")
  why="${why//-/ }"
  left=$((OSPORT_CI_BUDGET_S - elapsed))
  if [ "$OSPORT_CI_BUDGET_S" -le 0 ] || [ "$exp" -le "$left" ]; then
    BUDGET_REASON="expected ${exp}s ($why), ${left}s of the budget left"
    return 0
  fi
  BUDGET_REASON="expected ${exp}s ($why) > ${left}s left of the ${OSPORT_CI_BUDGET_S}s budget; run it with: ci/test $cell (or ci/test --all)"
  return 1
}

# budget_record CELL RESULT SECONDS -- after a cell ran or was skipped.
budget_record() {
  local rec="$CI_TIMES_DIR/$1"
  mkdir -p "$CI_TIMES_DIR"
  case "$2" in
    PASS)
      { [ -f "$rec" ] && tail -n 4 "$rec"; echo "$3"; } >"$rec.new"
      mv "$rec.new" "$rec"
      rm -f "$rec.skipped"
      ;;
    SKIPPED) : >"$rec.skipped" ;;
  esac
}
