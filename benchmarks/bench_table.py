"""The whole full-preset table with one seed: wall time and peak resident memory.

Runs `hamnet.reproduce.reproduce` (every available task, baseline and HNN, paper settings,
seed 0, its default jobs: one single-threaded worker per core) with an empty data cache, so
data generation and rendering count. Memory: the main process's peak, the largest worker's
peak, and the peak of their sum (all processes' resident memory sampled every 0.2 s).
The reference is the target itself: 5 minutes wall and 3 GiB peak RSS on 2 cores.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from common import (TreeMemory, parse_args, peak_rss_children_mib, peak_rss_mib, print_footer, print_header,
                    print_table, step_profile)
from hamnet.jobs import default_jobs, single_threaded

TARGET_SECONDS = 300.0
TARGET_MIB = 3 * 1024.0


def main() -> None:
    args = parse_args(__doc__)
    print_header("bench_table: hamnet reproduce, full preset (quick preset with --quick), 1 seed, cold cache",
                 args.quick)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["HAMNET_CACHE_DIR"] = str(Path(folder) / "cache")
        from hamnet.reproduce import reproduce  # after the cache location is set

        start = time.perf_counter()
        with TreeMemory() as memory:
            records = reproduce(None, "quick" if args.quick else "full", 1, Path(folder) / "out", show_progress=False)
        wall = time.perf_counter() - start
        with single_threaded():  # as reproduce runs it; the data is in this run's cache
            profile = step_profile("pixel-pendulum", "hnn", steps=50, preset="quick" if args.quick else "full")
    train_seconds = sum(r["train_seconds"] for r in records)
    print_table(["runs", "jobs", "wall s", "training s (sum over runs)", "peak RSS MiB: main", "largest worker",
                 "all processes together"],
                [[len(records), default_jobs("cpu"), wall, train_seconds, peak_rss_mib(), peak_rss_children_mib(),
                  memory.peak_mib]])
    print("the longest runs' step (pixel pendulum HNN, one thread), top ops by self CPU time (torch.profiler, 50 steps)")
    print_table(["task", "op", "share", "calls/step"], profile)
    print(f"table_memory {memory.peak_mib / TARGET_MIB:.2f} of the 3 GiB target (all processes, sampled every 0.2 s)")
    print_footer(f"table_wall {wall:.0f} s = {wall / TARGET_SECONDS:.2f} of the 5-minute target")


if __name__ == "__main__":
    main()
