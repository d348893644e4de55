#!/usr/bin/env bash
# Installs the font the synthetic ID cards are drawn with (Debian's fonts-wqy-microhei, also
# the console's Chinese font): the journey, the demo and the card reader's tests draw cards
# with it, since no real ID card may be used. Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"

font="${GP_CARD_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}"
[[ -f "$font" ]] && exit 0
say "installing fonts-wqy-microhei from Debian (the synthetic ID cards' font)"
if [[ $(id -u) -eq 0 ]]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null
else
  sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >/dev/null
fi
