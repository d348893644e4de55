#!/usr/bin/env bash
# Installs what the project needs beyond Rust: a project-local Python venv with the pinned
# local-stack tools (moto, cfn-lint, aws-sam-cli, cargo-lambda with zig). Idempotent: does
# nothing when the venv already matches requirements.txt and constraints.txt.
set -euo pipefail
source "$(dirname "$0")/env.sh"

stamp="$GP_VENV/.requirements.sha256"
want="$(cat "$GP_ROOT/scripts/requirements.txt" "$GP_ROOT/scripts/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

command -v cargo >/dev/null || { echo "Rust (cargo) is required" >&2; exit 1; }
python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || { echo "Python 3.11+ with the venv module is required (Debian: python3-venv)" >&2; exit 1; }
say "installing the local-stack tools into $GP_VENV (first run: a few minutes)"
# An existing environment is upgraded in place, never deleted: GP_VENV may be the user's own.
python3 -m venv "$GP_VENV"
"$GP_VENV/bin/pip" install --quiet --disable-pip-version-check \
  -r "$GP_ROOT/scripts/requirements.txt" -c "$GP_ROOT/scripts/constraints.txt"
echo "$want" > "$stamp"
say "tools ready: $("$GP_VENV/bin/cfn-lint" --version), moto $("$GP_VENV/bin/python" -c 'import moto; print(moto.__version__)'), $("$GP_VENV/bin/cargo-lambda" lambda --version)"
