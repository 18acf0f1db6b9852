#!/usr/bin/env bash
# Cell: quirk OSPORT_MUTEX_SHARED_ONLY=ON (HP-UX PA-RISC rule: even private
# regions get a real file and a shared mapping); the whole suite, beside a
# neighbour creating and removing regions (ci/neighbour), as in linux_x86_64_gcc.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
use_ccache
dir="$(cell_build_dir)"
OSPORT_TEST_WRAPPER=("$OSPORT_ROOT/ci/neighbour" "$dir/tools/osport/osport" --)
configure_build_test "$dir" -DCMAKE_CXX_COMPILER=g++ \
  -DOSPORT_MUTEX_SHARED_ONLY=ON
