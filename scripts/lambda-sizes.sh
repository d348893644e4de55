#!/usr/bin/env bash
# Issue 22: which memory size for the photo processor. Lambda gives a function CPU in proportion
# to its memory (one vCPU at 1,769 MB), so this runs `idphoto bench` under a CPU quota of each
# size's share (a cgroup's CFS quota, the mechanism that caps a Lambda sandbox too) and prints
# the engine's time per photo, its model load, and the cost of 1,000 photos at the arm64 price.
# It measures this machine's cores, not Graviton's. Needs root and a cgroup cpu controller
# (v1 or v2); says so and stops without one.
# Arguments: photos (default: the 1.8 MP sample). SIZES (MB, default 1024 1536 1769 2048 3008)
# and RUNS (default 10) override.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$GP_ROOT"
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=("$GP_ROOT/shared/photo/tests/fixtures/pass_frontal_woman_02.jpg")
read -r -a sizes <<< "${SIZES:-1024 1536 1769 2048 3008}"
period=100000
if [[ -w /sys/fs/cgroup/cpu ]]; then
  root=/sys/fs/cgroup/cpu
  limit() { echo "$period" > "$1/cpu.cfs_period_us"; echo "$2" > "$1/cpu.cfs_quota_us"; }
elif [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  root=/sys/fs/cgroup
  echo +cpu > "$root/cgroup.subtree_control" 2>/dev/null || true
  limit() { echo "$2 $period" > "$1/cpu.max"; }
else
  echo "no writable cgroup cpu controller here: cannot hold the engine to a Lambda size's CPU" >&2
  exit 1
fi
say "building idphoto (release)"
cargo build --quiet --release -p photo --bin idphoto
out="$GP_ROOT/target/bench/sizes"
mkdir -p "$out"
# The groups go however the runs end (a group with no process left can be removed).
trap 'rmdir "$root"/graduate-photo-* 2>/dev/null || true' EXIT
for mb in "${sizes[@]}"; do
  group="$root/graduate-photo-$mb"
  mkdir -p "$group"
  limit "$group" $((mb * period / 1769))
  say "$mb MB: $(awk -v m="$mb" 'BEGIN { printf "%.2f", m / 1769 }') vCPU"
  bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$group" \
    "$GP_ROOT/target/release/idphoto" bench --runs "${RUNS:-10}" --json "$out/$mb.json" "${files[@]}" > /dev/null
done
python3 - "$out" "${sizes[@]}" <<'PY'
import json, sys
out, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
GB_SECOND = 0.0000133334   # arm64, USD, the first 6 billion GB-seconds a month
REQUEST = 0.20 / 1e6 / 5   # USD per photo: one invocation per batch of 5 (the queue's BatchSize)
print(f"{'memory':>7} {'vCPU':>5} {'load ms':>8} {'photo p50 ms':>13} {'GB-s/1000':>10} {'USD/1000':>9}")
for mb in sizes:
    r = json.load(open(f"{out}/{mb}.json"))
    for f, v in r["files"].items():
        ms = v["total_p50"]
        gbs = ms / 1000 * mb / 1024 * 1000
        usd = gbs * GB_SECOND + 1000 * REQUEST
        print(f"{mb:>7} {mb / 1769:>5.2f} {r['load_ms']:>8.0f} {ms:>13.1f} {gbs:>10.1f} {usd:>9.4f}  {f.rsplit('/', 1)[-1]}")
print("engine only (decode to JPEG, warm, one thread); the processor's"
      " S3 and DynamoDB calls come on top. Costs: arm64 duration at $0.0000133334 per GB-s and"
      " $0.20 per million requests, a request per batch of 5.")
PY
