#!/usr/bin/env bash
# The evening rush on this machine: a stack of its own on a fresh moto, every HTTP function
# built optimised under `cargo lambda watch` with several instances each, and students and
# reviewers through the local gateway for a bounded time; prints throughput, latency per step,
# the store's share of each, errors by code, and checks the table at the end
# (tests/src/bin/load.rs); then the photo processor fed PHOTOS uploads (500) through the queue
# (tests/src/bin/photos.rs). Arguments: [seconds] [workers] [students] (60 16 400); PHOTOS=0
# skips the processor's part, FAULTS=0.05 fails that share of the functions' AWS calls.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"
"$GP_ROOT/scripts/prereqs.sh"
"$GP_ROOT/scripts/setup.sh"
# A moto of its own (the binary starts one and stops it), never a shared one's leftovers.
unset MOTO_ENDPOINT

export GP_WATCH_RELEASE=1 GP_WATCH_CONCURRENCY="${GP_WATCH_CONCURRENCY:-4}"
say "load: ${1:-60} s, ${2:-16} workers, ${3:-400} students (functions: release, ${GP_WATCH_CONCURRENCY} instances each)"
cargo run --quiet --release -p e2e --bin load -- "$@"

if [[ "${PHOTOS:-500}" -gt 0 ]]; then
  say "photos: ${PHOTOS:-500} uploads through the queue to the photo processor (release)"
  cargo run --quiet --release -p e2e --bin photos -- "${PHOTOS:-500}"
fi
