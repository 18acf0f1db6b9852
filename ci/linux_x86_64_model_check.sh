#!/usr/bin/env bash
# Cell: the mutex protocol model (models/mutex.pml) and the region lifecycle
# model (models/lifecycle.pml) checked with SPIN by ci/model-check: the fixed
# protocols must verify; the old ones (--old) must still show their
# counterexamples, so the models keep their teeth. No C++ build.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
apt_install spin gcc libc6-dev
timed model "$OSPORT_ROOT/ci/model-check"
timed model-old "$OSPORT_ROOT/ci/model-check" --old
