#!/usr/bin/env python3
"""Issue 22's benchmark: this engine (`idphoto bench`) and the Python reference pipeline
(pipeline.py) on the same files, run alternately so that whatever else the machine does falls on
both alike. Prints, per file, each pipeline's stage p50s (the median over rounds of each round's
p50), the totals and their ratio; then the whole process cold (load the models and check one
photo, timed from outside: wall time and peak RSS of the process), and model load times.

  python compare.py --idphoto PATH [--rounds 3] [--runs 10] FILES...
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent / "pipeline.py"


def timed(cmd):
    """Wall seconds and peak RSS (MB) of one process, from its own rusage (os.wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    # idphoto check exits 1 for a refused photo: still a whole run.
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{cmd}: failed\n{proc.stderr.read().decode()}")
    return wall * 1000, usage.ru_maxrss / 1024


def engine_round(idphoto, runs, files):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([idphoto, "bench", "--runs", str(runs), "--json", out.name, *files],
                       check=True, stdout=subprocess.DEVNULL)
        return json.load(open(out.name))


def python_round(runs, files):
    out = subprocess.run([sys.executable, str(PIPELINE), "--runs", str(runs), "--json", *files],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def median_of(rounds, f, key):
    return statistics.median(r["files"][f][key] for r in rounds)


def table(f, engine, python):
    """Rows of (stage, engine p50, python p50) for one file, stages in each pipeline's order."""
    stages = lambda rounds: list(rounds[0]["files"][f]["stages"])  # noqa: E731
    names = stages(engine) + [s for s in stages(python) if s not in stages(engine)]
    rows = []
    for s in names:
        ms = [statistics.median(r["files"][f]["stages"][s] for r in rounds)
              if s in r0["files"][f]["stages"] else None
              for rounds, r0 in ((engine, engine[0]), (python, python[0]))]
        rows.append((s, *ms))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idphoto", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    engine, python, cold = [], [], {"engine": [], "python": []}
    for _ in range(a.rounds):
        engine.append(engine_round(a.idphoto, a.runs, a.files))
        python.append(python_round(a.runs, a.files))
        cold["engine"].append(timed([a.idphoto, "check", a.files[0]]))
        cold["python"].append(timed([sys.executable, str(PIPELINE), "--cold", a.files[0]]))

    fmt = lambda v: "" if v is None else f"{v:.1f}"  # noqa: E731
    print(f"{a.rounds} rounds of {a.runs} warm runs each, alternating; one thread each\n")
    for f in a.files:
        print(f"{f}\n| stage | engine p50 ms | Python p50 ms |\n|---|---|---|")
        for s, e, p in table(f, engine, python):
            print(f"| {s} | {fmt(e)} | {fmt(p)} |")
        e, p = median_of(engine, f, "total_p50"), median_of(python, f, "total_p50")
        print(f"| **total** | **{e:.1f}** | **{p:.1f}** |\nratio engine / Python: {e / p:.2f}\n")
    print("| whole process (cold: load models, check one photo) | engine | Python |\n|---|---|---|")
    ce = [statistics.median(x) for x in zip(*cold["engine"])]
    cp = [statistics.median(x) for x in zip(*cold["python"])]
    print(f"| wall ms | {ce[0]:.0f} | {cp[0]:.0f} |")
    print(f"| peak RSS MB | {ce[1]:.0f} | {cp[1]:.0f} |")
    print(f"| models loaded (warm process) ms | {statistics.median(r['load_ms'] for r in engine):.0f}"
          f" | {statistics.median(r['load_ms'] for r in python):.0f} |")
    print(f"ratio cold engine / Python: {ce[0] / cp[0]:.2f}")
    print(f"peak RSS of the warm runs: engine {max(r['peak_rss_mb'] for r in engine):.0f} MB, "
          f"Python {max(r['peak_rss_mb'] for r in python):.0f} MB")


if __name__ == "__main__":
    main()
