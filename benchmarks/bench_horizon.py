"""What the long-horizon metrics cost: `hamnet evaluate RUN` against `hamnet evaluate RUN
--horizon none` (the same evaluation without them), as whole commands and in-process.

For each task an HNN is trained with the quick preset (the weights' smoothness sets the
rollouts' step counts), then the two commands alternate, `repeats` pairs, median wall time
of each (the data set is cached: both read it the same way). The reference is the
evaluation without the long-horizon metrics; the target is ≤ 20 % added.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import parse_args, print_footer, print_header, print_table
from hamnet.experiments import RunConfig
from hamnet.pipeline import evaluate_run, train_run

TARGET = 0.20


def command_seconds(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hamnet", "evaluate", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def call_seconds(run: Path, horizon: float | None) -> float:
    start = time.perf_counter()
    evaluate_run(run, horizon=horizon)
    return time.perf_counter() - start


def main() -> None:
    args = parse_args(__doc__)
    print_header("bench_horizon: hamnet evaluate with and without the long-horizon metrics", args.quick)
    tasks = ("spring", "two-body") if args.quick else ("spring", "pendulum", "two-body", "three-body")
    repeats = 2 if args.quick else 5
    rows, worst = [], 0.0
    with tempfile.TemporaryDirectory() as folder:
        for task in tasks:
            run = Path(folder) / task
            train_run(RunConfig.for_task(task, "hnn", preset="quick", steps=50 if args.quick else None), run,
                      show_progress=False)
            evaluate_run(run)  # builds the cached truths
            pairs = [(command_seconds(str(run)), command_seconds(str(run), "--horizon", "none"))
                     for _ in range(repeats)]
            inner = [(call_seconds(run, 10.0), call_seconds(run, None)) for _ in range(repeats)]
            with_cmd, without_cmd = (statistics.median(p[i] for p in pairs) for i in (0, 1))
            with_call, without_call = (statistics.median(p[i] for p in inner) for i in (0, 1))
            added = with_cmd / without_cmd - 1
            worst = max(worst, added)
            rows.append([task, without_cmd, with_cmd, f"{added:+.0%}", without_call, with_call,
                         f"{with_call / without_call - 1:+.0%}"])
    print_table(["task", "command s: without", "with", "added", "in-process s: without", "with", "added"], rows)
    print_footer(f"horizon_cost {worst:+.0%} worst task, whole command (target ≤ +{TARGET:.0%})")


if __name__ == "__main__":
    main()
