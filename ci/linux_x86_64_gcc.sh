#!/usr/bin/env bash
# Cell: Linux x86_64, gcc 12, platform defaults, warnings as errors. The one
# cell that also builds the benchmarks (once bench/ exists) without running
# them, and runs the consumer tests (add_subdirectory, FetchContent,
# find_package against an installed osport). The suite runs with ctest -j
# beside a neighbour that keeps creating and removing SysV and POSIX regions
# (ci/neighbour): every leak check must count only its own test's objects.
# First it checks the matrix's own time budget (ci/budget_selftest).
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
"$OSPORT_ROOT/ci/budget_selftest"
install_base
use_ccache
bench=()
[ -d "$OSPORT_ROOT/bench" ] && bench=(-DOSPORT_BUILD_BENCH=ON)
dir="$(cell_build_dir)"
OSPORT_TEST_WRAPPER=("$OSPORT_ROOT/ci/neighbour" "$dir/tools/osport/osport" --)
configure_build_test "$dir" -DCMAKE_CXX_COMPILER=g++ -DOSPORT_TEST_CONSUMERS=ON "${bench[@]}"
