#!/usr/bin/env bash
# Cell: Linux x86_64, clang 14 with AddressSanitizer + UndefinedBehaviorSanitizer;
# any report fails the test (-fno-sanitize-recover, halt_on_error).
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
apt_install clang libclang-rt-dev
use_ccache
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
configure_build_test "$(cell_build_dir)" \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
