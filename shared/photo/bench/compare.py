#!/usr/bin/env python3
"""Issue 22's benchmark: this engine (`idphoto bench`) and the Python reference pipeline
(pipeline.py) on the same files, run alternately so that whatever else the machine does falls on
both alike. Prints, per file, each pipeline's stage p50s (the median over rounds of each round's
p50), the totals and their ratio; then the whole process cold (load the models and check one
photo, timed from outside: wall time and peak RSS of the process), and model load times.

  python compare.py --idphoto PATH [--rounds 3] [--runs 10] FILES...
"""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent / "pipeline.py"


def timed(cmd, ok=(0,)):
    """Wall milliseconds and peak RSS (MB) of one process, from its own rusage (os.wait4)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in ok:
            err.seek(0)
            sys.exit(f"{cmd}: failed\n{err.read().decode()}")
    return wall * 1000, usage.ru_maxrss / 1024


def engine_round(idphoto, runs, files):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([idphoto, "bench", "--runs", str(runs), "--json", out.name, *files],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out.name) as f:
            return json.load(f)


def python_round(runs, files):
    run = subprocess.run([sys.executable, str(PIPELINE), "--runs", str(runs), "--json", *files],
                         capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"pipeline.py failed:\n{run.stderr}")
    return json.loads(run.stdout)


def median_of(rounds, f, key):
    return statistics.median(r["files"][f][key] for r in rounds)


def stages(rounds, f):
    """Each stage's median p50 over the rounds, in the pipeline's own order (the engine gives
    [name, ms] pairs, the Python pipeline an ordered object)."""
    pairs = lambda r: list(r["files"][f]["stages"].items()) if isinstance(  # noqa: E731
        r["files"][f]["stages"], dict) else r["files"][f]["stages"]
    names = [name for name, _ in pairs(rounds[0])]
    return [(n, statistics.median(dict(pairs(r))[n] for r in rounds)) for n in names]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idphoto", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    engine, python, cold = [], [], {"engine": [], "python": []}
    for n in range(a.rounds):
        # Which goes first alternates, so neither always runs on a machine the other warmed.
        pair = [lambda: engine.append(engine_round(a.idphoto, a.runs, a.files)),
                lambda: python.append(python_round(a.runs, a.files))]
        for run in pair if n % 2 == 0 else pair[::-1]:
            run()
        # `idphoto check` exits 1 for a refused photo: still a whole run.
        cold["engine"].append(timed([a.idphoto, "check", a.files[0]], ok=(0, 1)))
        cold["python"].append(timed([sys.executable, str(PIPELINE), "--cold", a.files[0]]))

    print(f"{a.rounds} rounds of {a.runs} warm runs each, alternating; a photo on one thread each")
    print("(the engine's stages include every check, the framing solver and the output's QA; the")
    print(" Python pipeline does the model work, matte and encoding only: see pipeline.py)\n")
    for f in a.files:
        if not all(r["files"][f].get("passed", True) for r in engine):
            print(f"{f}: the engine refused it (no matte or encoding): not a like-for-like run")
        rows = list(itertools.zip_longest(stages(engine, f), stages(python, f), fillvalue=("", None)))
        print(f"{f}\n| engine stage | p50 ms | Python stage | p50 ms |\n|---|---|---|---|")
        for (es, e), (ps, p) in rows:
            print(f"| {es} | {'' if e is None else f'{e:.1f}'} | {ps} | {'' if p is None else f'{p:.1f}'} |")
        e, p = median_of(engine, f, "total_p50"), median_of(python, f, "total_p50")
        print(f"| **total** | **{e:.1f}** | | **{p:.1f}** |\nratio engine / Python: {e / p:.2f}\n")
    print("| whole process (cold: load models, check one photo) | engine | Python |\n|---|---|---|")
    ce = [statistics.median(x) for x in zip(*cold["engine"])]
    cp = [statistics.median(x) for x in zip(*cold["python"])]
    print(f"| wall ms (models load on 2 threads in the engine) | {ce[0]:.0f} | {cp[0]:.0f} |")
    print(f"| peak RSS MB | {ce[1]:.0f} | {cp[1]:.0f} |")
    print(f"| models loaded (warm process) ms | {statistics.median(r['load_ms'] for r in engine):.0f}"
          f" | {statistics.median(r['load_ms'] for r in python):.0f} |")
    print(f"ratio cold engine / Python: {ce[0] / cp[0]:.2f}")
    print(f"peak RSS of the warm runs: engine {max(r['peak_rss_mb'] for r in engine):.0f} MB, "
          f"Python {max(r['peak_rss_mb'] for r in python):.0f} MB")


if __name__ == "__main__":
    main()
