#!/usr/bin/env bash
# Installs what the console's browser tests need: Debian's Chromium with a Chinese font (the
# page is in Chinese by default) and playwright-core from npm (no browser download).
# Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# The Chinese font is the synthetic ID cards' too.
"$GP_ROOT/scripts/setup-font.sh"
if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
  say "installing chromium from Debian"
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
fi

command -v npm >/dev/null || { echo "Node.js with npm is required for the console's tests" >&2; exit 1; }
stamp="$GP_ROOT/console/node_modules/.lock.sha256"
want="$(sha256sum "$GP_ROOT/console/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  say "installing the console's test tools (npm ci)"
  npm ci --prefix "$GP_ROOT/console" --no-audit --no-fund --silent
  echo "$want" > "$stamp"
fi
