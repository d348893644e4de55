#!/usr/bin/env bash
# Issue 22's benchmark: the engine (release) and the Python reference pipeline on the same
# photos, alternately, one thread each; prints both per stage, the ratios, cold start, RSS.
# Arguments: photos (default: the repository's 1.8 MP sample outside the hold-out and a 12 MP
# one made from it).
# ROUNDS and RUNS (3, 10) set the rounds and the warm runs in each.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"
py="$("$GP_ROOT/scripts/bench-setup.sh" | tail -n 1)"
say "building idphoto (release)"
cargo build --quiet --release -p photo --bin idphoto
files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
  big="$GP_ROOT/target/bench/pass_frontal_woman_02_12mp.jpg"
  if [[ ! -f "$big" ]]; then
    mkdir -p "$(dirname "$big")"
    # A 12 MP upload of the same photo (3024 × 4032, a phone's 3:4 portrait), upscaled: the same face
    # and work, with every pixel a big upload brings.
    "$py" - "$GP_ROOT/shared/photo/tests/fixtures/pass_frontal_woman_02.jpg" "$big" <<'PY'
import sys
from PIL import Image
src = Image.open(sys.argv[1]).convert("RGB")
canvas = Image.new("RGB", (3024, 4032), (235, 235, 230))
face = src.resize((3024, 3024), Image.LANCZOS)
canvas.paste(face, (0, 504))
canvas.save(sys.argv[2], quality=92)
PY
  fi
  files=("$GP_ROOT/shared/photo/tests/fixtures/pass_frontal_woman_02.jpg" "$big")
fi
say "engine and Python pipeline, alternately: ${files[*]}"
OMP_NUM_THREADS=1 "$py" "$GP_ROOT/shared/photo/bench/compare.py" --idphoto "$GP_ROOT/target/release/idphoto" \
  --rounds "${ROUNDS:-3}" --runs "${RUNS:-10}" "${files[@]}"
