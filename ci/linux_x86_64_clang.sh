#!/usr/bin/env bash
# Cell: Linux x86_64, clang 14 against Debian's gcc-built Abseil and GoogleTest.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
apt_install clang
use_ccache
configure_build_test "$(cell_build_dir)" -DCMAKE_CXX_COMPILER=clang++
