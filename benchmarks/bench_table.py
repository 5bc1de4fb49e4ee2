"""The whole full-preset table with one seed: wall time and peak resident memory.

Runs `hamnet.reproduce.reproduce` (every available task, baseline and HNN, paper settings,
seed 0) in this process with an empty data cache, so data generation and rendering count.
The reference is the target itself: 5 minutes wall and 3 GiB peak RSS on 2 cores.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from common import parse_args, peak_rss_mib, print_footer, print_header, print_table

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
        records = reproduce(None, "quick" if args.quick else "full", 1, Path(folder) / "out", show_progress=False)
        wall = time.perf_counter() - start
    train_seconds = sum(r["train_seconds"] for r in records)
    print_table(["runs", "wall s", "of which training s", "peak RSS MiB"],
                [[len(records), wall, train_seconds, peak_rss_mib()]])
    print(f"table_memory {peak_rss_mib() / TARGET_MIB:.2f} of the 3 GiB target")
    print_footer(f"table_wall {wall:.0f} s = {wall / TARGET_SECONDS:.2f} of the 5-minute target")


if __name__ == "__main__":
    main()
