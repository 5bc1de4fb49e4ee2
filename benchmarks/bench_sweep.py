"""Sweep machinery's cost per point: `hamnet sweep` of N points (one job, the local pool)
against the same N runs made by bare commands, `hamnet train` then `hamnet evaluate`, one
after the other (the work a point does: train, then score).

Same runs (spring HNN, quick preset, seeds 0..N-1), fresh output directories, data set
cached beforehand for both. Overhead = (sweep wall / N) / (bare wall / N) − 1; negative
means the sweep is cheaper per point (one process start instead of two per run).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import parse_args, print_footer, print_header, print_table


def hamnet(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "hamnet", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n = 3 if args.quick else 10
    print_header(f"bench_sweep: hamnet sweep of {n} points vs {n} bare train + evaluate commands", args.quick)
    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        spec = work / "sweep.toml"
        spec.write_text(f'tasks = ["spring"]\nmodels = ["hnn"]\nseeds = {n}\npreset = "quick"\n')
        hamnet("train", "--task", "spring", "--model", "hnn", "--preset", "quick", "--steps", "1",
               "--out", str(work / "warm"))  # the data set cached for both
        start = time.perf_counter()
        for seed in range(n):
            run = work / "bare" / f"seed{seed}"
            hamnet("train", "--task", "spring", "--model", "hnn", "--preset", "quick", "--seed", str(seed),
                   "--out", str(run))
            hamnet("evaluate", str(run))
        bare = time.perf_counter() - start
        start = time.perf_counter()
        hamnet("sweep", str(spec), "--out", str(work / "sweep"), "--jobs", "1")
        swept = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    overhead = swept / bare - 1
    print_table(["points", "bare train+evaluate s", "sweep s", "per point bare s", "per point sweep s", "overhead"],
                [[n, f"{bare:.1f}", f"{swept:.1f}", f"{bare / n:.2f}", f"{swept / n:.2f}", f"{overhead:+.1%}"]])
    print_footer(f"sweep_overhead {overhead:+.1%} per point (sweep vs bare train + evaluate commands)")


if __name__ == "__main__":
    main()
