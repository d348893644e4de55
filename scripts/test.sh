#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, and the whole workspace's tests against one
# moto server for the run (each test makes resources of its own on it, so they run in parallel).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"

"$GP_ROOT/scripts/setup.sh"

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "starting moto for this run"
coproc MOTO { exec "$GP_VENV/bin/python" scripts/moto_server.py --until-stdin-closes; }
read -r port <&"${MOTO[0]}"
export MOTO_ENDPOINT="http://127.0.0.1:$port"
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT

say "cargo test (moto at $MOTO_ENDPOINT)"
cargo test --workspace --no-fail-fast "$@"
