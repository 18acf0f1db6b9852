#!/usr/bin/env bash
# Cell: quirk OSPORT_MUTEX_SHARED_ONLY=ON (HP-UX PA-RISC rule: even private
# regions get a real file and a shared mapping); the whole suite.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
use_ccache
configure_build_test "$(cell_build_dir)" -DCMAKE_CXX_COMPILER=g++ \
  -DOSPORT_MUTEX_SHARED_ONLY=ON
