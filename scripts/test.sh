#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, and the whole workspace's tests against one
# moto server for the run (each test makes resources of its own on it, so they run in parallel).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"
# Each step says when it starts (seconds into the run), so a CI log shows where the time goes.
step() { say "$* (at ${SECONDS}s)"; }
# CI builds a clean clone once: incremental compilation's caches would be written and never read,
# and a failing test needs file and line in its backtrace, not a debugger's full symbols (linking
# those into each of the ~55 test binaries is a good part of the build on 2 cores).
if [[ -n "${CI:-}" ]]; then
  export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only
fi
# A whole run on CI lints while it builds: clippy-driver compiles our crates for the tests, so
# the dependencies are not checked a second time in a separate `cargo clippy` (two minutes of
# the build). A developer's run keeps the separate step and its target dir's cache (these
# wrapper and RUSTFLAGS set below change every crate's fingerprint).
lint_in_build=""
[[ -z "${CI:-}" || $# -gt 0 ]] || lint_in_build=1

# Only a whole run needs the browser's prerequisites.
"$GP_ROOT/scripts/prereqs.sh" $([[ $# -eq 0 ]] && echo --console)
"$GP_ROOT/scripts/setup.sh"
"$GP_ROOT/scripts/setup-font.sh"
if [[ -n "$lint_in_build" ]]; then
  # After prereqs.sh, which adds the clippy component when it is missing. An empty wrapper
  # would build without a single lint, so its absence stops the run.
  driver="$(command -v clippy-driver)" || { echo "missing: clippy-driver (rustup component add clippy)" >&2; exit 1; }
  export RUSTC_WORKSPACE_WRAPPER="$driver" RUSTFLAGS="-D warnings"
fi

step "cargo fmt --check"
cargo fmt --all -- --check
if [[ -z "$lint_in_build" ]]; then
  step "cargo clippy -D warnings"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
fi

step "starting moto for this run"
coproc MOTO { exec "$GP_VENV/bin/python" scripts/moto_server.py --until-stdin-closes; }
read -r -t 60 port <&"${MOTO[0]}" || { echo "moto did not start" >&2; exit 1; }
export MOTO_ENDPOINT="http://127.0.0.1:$port"
trap 'kill "$MOTO_PID" ${console:-} 2>/dev/null || true' EXIT

log="$(mktemp)"
status=0
if [[ $# -gt 0 ]]; then
  step "cargo test (moto at $MOTO_ENDPOINT)"
  cargo test --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
else
  step "building the workspace's tests${lint_in_build:+, linted by clippy -D warnings}"
  # A build that fails has nothing to run: its errors are the whole report. Every target, so
  # the lints cover what `cargo clippy --all-targets` would (benches and examples too).
  cargo test --workspace --all-targets --no-run 2>&1 | tee "$log" || { status=$?; rm -f "$log"; exit "$status"; }
  # The console in Chromium, on a stack of its own on the same moto (see console/README.md),
  # runs beside the Rust tests: most of their time waits on moto and the local Lambdas, not on
  # the cores. Its output follows theirs, whole, so neither log interleaves.
  step "console tests in Chromium, beside the Rust tests"
  scripts/setup-console.sh
  console_log="$(mktemp)"
  (cd console && exec node --test --test-concurrency=1 tests/*.test.mjs) >"$console_log" 2>&1 &
  console=$!
  step "cargo test (moto at $MOTO_ENDPOINT)"
  cargo test --no-fail-fast --workspace 2>&1 | tee -a "$log" || status=$?
  wait "$console" || status=$?
  step "the console tests' output"
  tee -a "$log" <"$console_log"
  rm -f "$console_log"
fi
# One closing line for the whole run (cargo prints one per test binary, node one per run). A
# binary that aborted (a stack overflow, say) prints no result line, only cargo's list of
# failed targets at the end: counted from that list, so the line never reads clean then.
awk '/^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
     /^error: [0-9]+ targets? failed:/ { b = $2 }
     END { printf "tests: %d passed, %d failed", p, f
           if (b) printf "; %d test binaries failed (one that aborted has no result line)", b
           printf "\n" }' "$log"
rm -f "$log"
step "done"
exit "$status"
