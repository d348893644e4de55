#!/usr/bin/env bash
# The main job: standardises the sample photos with the photo engine (outputs, reports and a
# summary table), then starts the local stack (unless one is running), walks one student's
# case from roster to 学信网 publication on it, printing every step and the audit trail, then
# stops what it started.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"
"$GP_ROOT/scripts/prereqs.sh"
"$GP_ROOT/scripts/setup-font.sh"

say "standardising the sample photos (shared/photo/tests/fixtures)"
out="$GP_ROOT/target/demo/standardised"
rm -rf "$out"
cargo run --quiet -p photo --bin idphoto -- batch shared/photo/tests/fixtures -o "$out"

if ! scripts/localstack.sh status >/dev/null 2>&1; then
  trap 'scripts/localstack.sh stop' EXIT
  scripts/localstack.sh start
fi
source "$GP_LOCAL/stack.env"

say "one student's case, end to end"
cargo run --quiet -p e2e --bin demo
