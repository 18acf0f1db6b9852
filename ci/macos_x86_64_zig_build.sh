#!/usr/bin/env bash
# Cell: macOS x86_64, BUILT AND LINKED, NOT RUN (no macOS here). Zig 0.11's
# clang, libc++ and macOS SDK headers cross-compile the library, the tool and
# every test binary for x86_64-macos with warnings as errors, through the
# macOS code paths the feature checks choose (no futex: back-off sleeps; no
# /proc: the portable thread identity; _NSGetExecutablePath; SO_NOSIGPIPE;
# no posix_fallocate: zero writes). Abseil and GoogleTest are built for the
# target from Debian's sources once and cached (ci/zig.sh); the outputs are
# checked to be Mach-O x86_64.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source-path=SCRIPTDIR source=zig.sh
source "$(dirname "$0")/zig.sh"
zig_macos_cell x86_64-macos x86_64
