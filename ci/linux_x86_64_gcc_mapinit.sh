#!/usr/bin/env bash
# Cell: quirk OSPORT_MAPINIT=ON (every page of a new region written before it
# is mapped) with a small OSPORT_REGIONSIZE_MAX, so the size limit is hit by
# real tests: 64 MiB is above anything the test suites allocate (a few MiB)
# and below the benchmarks' 128 MiB growth, which is why benchmarks stay off.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
use_ccache
configure_build_test "$(cell_build_dir)" -DCMAKE_CXX_COMPILER=g++ \
  -DOSPORT_MAPINIT=ON -DOSPORT_REGIONSIZE_MAX=$((64 << 20))
