#!/usr/bin/env bash
# Checks, before any long build, what the two commands need and cannot install themselves; one
# clear line per missing piece. `--console` adds what the browser tests need. Installs the Rust
# components (rustfmt, clippy) itself when rustup is there.
set -euo pipefail
source "$(dirname "$0")/env.sh"

problems=()
command -v cargo >/dev/null || problems+=("Rust (cargo) is required: https://rustup.rs")
command -v gcc >/dev/null || problems+=("gcc is required (Debian: apt-get install gcc)")
python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || problems+=("Python 3.11+ with venv and pip is required (Debian: apt-get install python3-venv)")
# The synthetic ID cards' font comes from Debian's apt (scripts/setup-font.sh).
if [[ ! -f "${GP_CARD_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}" && $(id -u) -ne 0 ]] \
  && ! sudo -n true 2>/dev/null; then
  problems+=("the font fonts-wqy-microhei is missing and installing it needs root or password-less sudo")
fi
if [[ "${1:-}" == --console ]]; then
  node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  ((node_major >= 20)) || problems+=("Node.js 20 or later is required for the console's tests")
  command -v npm >/dev/null || problems+=("npm is required for the console's tests")
  # Chromium and a CJK font come from Debian's apt: root or sudo, unless both are there.
  if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" && $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
    problems+=("Chromium is missing and installing it needs root or password-less sudo")
  fi
fi
if ((${#problems[@]})); then
  printf 'missing: %s\n' "${problems[@]}" >&2
  exit 1
fi

for component in rustfmt clippy; do
  tool="${component/rustfmt/fmt}"
  if ! cargo "$tool" --version >/dev/null 2>&1; then
    command -v rustup >/dev/null \
      || { echo "missing: cargo $tool, and no rustup to add the $component component" >&2; exit 1; }
    say "adding the Rust component $component"
    rustup component add "$component"
  fi
done
