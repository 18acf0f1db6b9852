#!/usr/bin/env bash
# Cell: quirk OSPORT_SPINLOCKS=OFF -- file-lock (fcntl byte-range) mutexes,
# and no heap / unnamed-anonymous regions; the whole suite.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
use_ccache
configure_build_test "$(cell_build_dir)" -DCMAKE_CXX_COMPILER=g++ \
  -DOSPORT_SPINLOCKS=OFF
