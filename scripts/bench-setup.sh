#!/usr/bin/env bash
# Builds the virtualenv of the Python reference pipeline (shared/photo/bench/pipeline.py), apart
# from the local-stack venv of setup.sh so neither pins the other. Idempotent: does nothing when
# the venv already matches bench/requirements.txt. Prints the venv's python on its last line.
set -euo pipefail
source "$(dirname "$0")/env.sh"

venv="${GP_BENCH_VENV:-$GP_CACHE/bench-venv}"
req="$GP_ROOT/shared/photo/bench/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || { echo "Python 3.11+ with the venv module is required (Debian: python3-venv)" >&2; exit 1; }
  say "installing the bench pipeline's packages into $venv"
  # Upgraded in place, never deleted: GP_BENCH_VENV may be the user's own.
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$req"
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
