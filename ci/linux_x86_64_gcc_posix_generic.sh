#!/usr/bin/env bash
# Cell: the POSIX layer on POSIX.1-2008 alone (OSPORT_POSIX_GENERIC=ON): every
# Linux extension forced off (futex, /proc identity, gettid, mremap,
# fallocate, MADV_POPULATE_WRITE, statx, OFD locks, pipe2, SOCK_CLOEXEC,
# openat2; posix_fallocate stays: it is POSIX) and the libraries compiled
# without _GNU_SOURCE; the
# whole suite (os, mutex, region, crash points, tool, demo). Then a check that
# the built libraries reference none of the extensions: what runs here is what
# a POSIX system without them gets.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
install_base
apt_install binutils
use_ccache
dir="$(cell_build_dir)"
configure_build_test "$dir" -DCMAKE_CXX_COMPILER=g++ -DOSPORT_POSIX_GENERIC=ON

# Symbols the libraries must not import, and strings they must not hold.
forbidden='(syscall|mremap|mremap64|fallocate|fallocate64|gettid|statx|pipe2|openat2|madvise)'
bad=0
syms=$(imported_symbols nm "$dir" "$forbidden")
if [ -n "$syms" ]; then
  log "error: references: $syms"
  bad=1
fi
for lib in "$dir/os/libosport_os.a" "$dir/region/libosport_region.a"; do
  [ -f "$lib" ] || die "missing $lib"
  # Strings of the code and data, not of the debug info (type names such as
  # __syscall_slong_t) or of source file names (os/posix/process.cc).
  stripped=$(mktemp)
  objcopy --strip-debug "$lib" "$stripped"
  if strings -a "$stripped" | grep -F '/proc/'; then
    log "error: $(basename "$lib") holds a /proc path"
    bad=1
  fi
  rm -f "$stripped"
done
if [ "$bad" -ne 0 ]; then
  die "the generic build uses a Linux extension (see above)"
fi
log "generic libraries reference none of: ${forbidden//|/, }; no /proc/ paths"
