#!/usr/bin/env bash
# Cell: the mutex protocol model (models/mutex.pml) checked with SPIN by
# ci/model-check: the fixed protocol must verify; the old one (--old) must
# still show its counterexamples, so the model keeps its teeth. No C++ build.
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
apt_install spin gcc libc6-dev
timed model "$OSPORT_ROOT/ci/model-check"
timed model-old "$OSPORT_ROOT/ci/model-check" --old
