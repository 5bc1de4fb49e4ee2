"""Shared helpers for the benchmarks: timing, machine description, GEMM rate.

Every benchmark script runs the same work two ways (hamnet's path and an in-repo reference
written the way the original HNN code did it) and prints ratios; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch

from hamnet.jobs import cpu_model, usable_cores

torch.set_flush_denormal(True)  # as the hamnet command does at start-up, before torch starts worker threads

#: Width of the hidden layers of the paper's MLP (input -> 200 -> 200 -> output).
HIDDEN = 200


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds over repeats of one call."""

    best: float
    median: float


def measure(fn: Callable[[], Any], repeats: int = 1, warmup: int = 0) -> tuple[Any, Timing]:
    """Call `fn` `warmup` times untimed, then `repeats` times timed (`time.perf_counter`).

    Returns (the last call's result, its Timing).
    """
    for _ in range(warmup):
        fn()
    seconds = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return result, Timing(min(seconds), statistics.median(seconds))


def parse_args(description: str) -> argparse.Namespace:
    """The benchmarks' command line: `--quick` for reduced sizes (a smoke run)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="reduced sizes: a smoke run, not the figures")
    return parser.parse_args()


def machine() -> str:
    """One line describing where the figures were taken."""
    return (f"{cpu_model()}, {os.cpu_count()} cores ({usable_cores()} usable), torch {torch.__version__} "
            f"with {torch.get_num_threads()} threads, numpy {np.__version__}, "
            f"Python {platform.python_version()}")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_children_mib() -> float:
    """Peak resident memory of the largest finished child process (e.g. a job worker), MiB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _tree_rss_mib(root: int) -> float:
    """Resident memory now of process `root` and all its descendants, MiB (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21])  # pages
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree) * os.sysconf("SC_PAGE_SIZE") / 2**20


class TreeMemory:
    """Samples the resident memory of this process and its workers every `interval` s on a
    background thread; `peak_mib` is the largest sum seen (a context manager)."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak_mib = interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, _tree_rss_mib(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


def print_header(title: str, quick: bool) -> None:
    """Title, machine and its current load (figures taken on a busy machine are not comparable)."""
    print(f"{title}{'  [--quick: reduced sizes, smoke figures only]' if quick else ''}")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table; floats printed with 4 significant digits."""
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths)))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))


def print_footer(headline: str) -> None:
    """Peak memory, then the headline figure as the very last line."""
    print(f"peak RSS {peak_rss_mib():.0f} MiB")
    print(headline)


def gemm_rate(n: int, width: int = HIDDEN, repeats: int = 7, inner: int = 20) -> float:
    """Measured fp32 FLOP/s of the GEMMs a [n, width] x [width, width] linear layer runs.

    Times the forward x @ W^T, the input gradient g @ W and the weight gradient g^T @ x
    (2 n width^2 FLOP each), best of `repeats` samples of `inner` calls each.
    """
    generator = torch.Generator().manual_seed(0)
    x, g = (torch.randn(n, width, generator=generator) for _ in range(2))
    w = torch.randn(width, width, generator=generator)

    def gemms() -> None:
        for _ in range(inner):
            torch.mm(x, w.t())
            torch.mm(g, w)
            torch.mm(g.t(), x)

    _, timing = measure(gemms, repeats=repeats, warmup=1)
    return 3 * inner * 2 * n * width**2 / timing.best


def step_profile(task: str, model: str = "hnn", steps: int = 100, preset: str = "full") -> list[list]:
    """Where hamnet's training step spends its time: the top ATen ops by self CPU time over
    `steps` steps of `train` at the `preset`'s settings and data (torch.profiler), as
    shares of the profiled total.  -> rows [task, op, share, calls per step]."""
    import dataclasses

    from hamnet import experiments
    from hamnet.experiments import RunConfig
    from hamnet.pipeline import build_data, build_model
    from hamnet.training import train_one

    config = RunConfig.for_task(task, model, seed=0, preset=preset)
    data, net = build_data(config), build_model(config)
    settings = dataclasses.replace(experiments.get(task, preset).train, steps=steps, eval_every=steps)
    train_one(net, data.train_tensors(), data.test_tensors(), settings, seed=0, show_progress=False)  # warm-up
    with torch.profiler.profile() as profiler:
        train_one(net, data.train_tensors(), data.test_tensors(), settings, seed=0, show_progress=False)
    events = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return [[task, e.key, f"{e.self_cpu_time_total / total:.0%}", e.count // steps] for e in events[:6]]


def counted(fn: Callable[..., Any]) -> tuple[Callable[..., Any], list[int]]:
    """`fn` wrapped to count its calls (in the returned one-element list)."""
    calls = [0]

    def wrapped(*args: Any) -> Any:
        calls[0] += 1
        return fn(*args)

    return wrapped, calls
