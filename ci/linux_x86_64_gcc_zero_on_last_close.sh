#!/usr/bin/env bash
# Cell: quirk OSPORT_ZERO_ON_LAST_CLOSE=ON (Windows 95 rule, emulated on POSIX:
# the last detach zeroes anonymous memory, joiners see magic 0 and retry).
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
use_ccache
configure_build_test "$(cell_build_dir)" -DCMAKE_CXX_COMPILER=g++ \
  -DOSPORT_ZERO_ON_LAST_CLOSE=ON
