#!/usr/bin/env bash
# Issue 22: the photo engine on arm64, where Lambda runs the processor (Graviton). Cross-builds
# `idphoto` for aarch64 with cargo-lambda's zig, runs it under Debian's qemu-user on the
# repository's photos, and compares each report and output with the x86-64 build's: verdict,
# every check's status, the largest difference of a measured value, the largest difference of
# an output pixel. Correctness only: an emulator's timings say nothing of Graviton's.
# Installs the Rust target, qemu-user and Debian's arm64 C library (root or sudo) when missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"
"$GP_ROOT/scripts/setup.sh" > /dev/null
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu
if ! command -v qemu-aarch64 > /dev/null || [[ ! -e /usr/aarch64-linux-gnu/lib/libc.so.6 ]]; then
  say "installing qemu-user and libc6-arm64-cross from Debian"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends qemu-user libc6-arm64-cross > /dev/null
fi
say "building idphoto for aarch64 (cargo lambda, zig) and x86-64"
"$GP_VENV/bin/cargo-lambda" lambda build --quiet --release --arm64 -p photo --bin idphoto
cargo build --quiet --release -p photo --bin idphoto
arm="$GP_ROOT/target/lambda/idphoto/bootstrap"
file "$arm" | grep -q aarch64 || { echo "$arm is not an aarch64 binary" >&2; exit 1; }
out="$GP_ROOT/target/arm64-check"
rm -rf "$out" && mkdir -p "$out/x86" "$out/arm"
for photo in shared/photo/tests/fixtures/*.jpg; do
  name="$(basename "$photo" .jpg)"
  target/release/idphoto standardize "$photo" -o "$out/x86/$name.jpg" --report "$out/x86/$name.json" > /dev/null || true
  qemu-aarch64 -L /usr/aarch64-linux-gnu "$arm" standardize "$photo" -o "$out/arm/$name.jpg" \
    --report "$out/arm/$name.json" > /dev/null || true
done
py="$("$GP_ROOT/scripts/bench-setup.sh" | tail -n 1)"
"$py" - "$out" <<'PY'
import json, pathlib, sys
import numpy as np
from PIL import Image

out = pathlib.Path(sys.argv[1])
same = True
for x86 in sorted((out / "x86").glob("*.json")):
    arm = out / "arm" / x86.name
    if not arm.exists():
        print(f"{x86.stem}: no report from the arm64 build")
        same = False
        continue
    a, b = json.loads(x86.read_text()), json.loads(arm.read_text())
    status = lambda r: {c["check"]: c["status"] for c in r["checks"]}
    measured = lambda r: {c["check"]: c.get("measured") for c in r["checks"]}
    ma, mb = measured(a), measured(b)
    drift = max(
        (abs(ma[k] - mb[k]) / max(abs(ma[k]), 1e-6) for k in ma
         if isinstance(ma.get(k), (int, float)) and isinstance(mb.get(k), (int, float))),
        default=0.0,
    )
    pixels = "no output"
    if (out / "x86" / f"{x86.stem}.jpg").exists() and (out / "arm" / f"{x86.stem}.jpg").exists():
        pa = np.asarray(Image.open(out / "x86" / f"{x86.stem}.jpg")).astype(int)
        pb = np.asarray(Image.open(out / "arm" / f"{x86.stem}.jpg")).astype(int)
        pixels = f"output pixels differ by at most {np.abs(pa - pb).max()} levels"
    verdict = a["passed"] == b["passed"] and status(a) == status(b)
    same &= verdict
    print(f"{x86.stem}: {'same verdict and checks' if verdict else 'DIFFERENT verdict or checks'}; "
          f"measured values differ by at most {drift:.2e} (relative); {pixels}")
sys.exit(0 if same else 1)
PY
