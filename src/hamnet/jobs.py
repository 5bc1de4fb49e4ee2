"""Independent jobs on several CPU cores: a pool of single-threaded worker processes.

Small networks use a second thread poorly (a two-body HNN step: 1.5 ms on two threads, 2.0
ms on one; `benchmarks/bench_many.py`), so single-threaded runs side by side do more work
per second than one run on both cores (two-body: 1.43x; the spring's full batch uses two
threads better: 0.98x). Every job runs with one PyTorch thread, in a worker or (with one
job) in this process, so its numbers do not depend on how many jobs run at once or how
many cores the machine has.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import heapq
import itertools
import multiprocessing
import os
import platform
import signal
import threading
import time
from typing import Any, Callable, Iterator

import torch

from .progress import QUIET_ENV
from .training import flush_denormals


def usable_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (else what `platform` knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def default_jobs(device: str) -> int:
    """One job per usable core on the CPU; one on a GPU (its runs share the device)."""
    return 1 if device.startswith("cuda") else usable_cores()


def _start_worker(parent: int) -> None:
    """Worker set-up, before its first tensor op: subnormals flushed (the worker's threads
    inherit the setting only when they start after it), one thread, no progress bars.

    Ctrl-C is the parent's to handle (it stops the workers), and a worker whose parent
    died (`kill -9`) exits within a second instead of finishing its job unwatched.
    """
    torch.set_flush_denormal(True)
    torch.set_num_threads(1)
    os.environ[QUIET_ENV] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block with one PyTorch thread, then restore the thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class JobPool:
    """Runs picklable top-level functions as single-threaded jobs, highest priority first.

    `jobs` > 1: that many spawned worker processes; `jobs` == 1: each job runs in this
    process when its turn comes. Add jobs with `add`, also while iterating `finished()`.
    Use as a context manager; leaving it by an exception cancels the jobs not yet started.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.executor: cf.ProcessPoolExecutor | None = None
        if jobs > 1:
            self.executor = cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                   initializer=_start_worker, initargs=(os.getpid(),))
        self._ready: list[tuple[float, int, Callable[..., Any], tuple, Any]] = []
        self._running: dict[cf.Future, Any] = {}
        self._order = itertools.count()

    def add(self, tag: Any, priority: float, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(*args)`, known by `tag`; higher `priority` starts first (ties: added first)."""
        heapq.heappush(self._ready, (-priority, next(self._order), fn, args, tag))

    def finished(self) -> Iterator[tuple[Any, cf.Future]]:
        """(tag, done future) for every job as it finishes, at most `jobs` running at once."""
        while self._ready or self._running:
            while self._ready and len(self._running) < self.jobs:
                _, _, fn, args, tag = heapq.heappop(self._ready)
                self._running[self._start(fn, args)] = tag
            done, _ = cf.wait(self._running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                yield self._running.pop(future), future

    @property
    def running(self) -> int:
        """How many jobs are running now."""
        return len(self._running)

    def _start(self, fn: Callable[..., Any], args: tuple) -> cf.Future:
        if self.executor is not None:
            return self.executor.submit(fn, *args)
        future: cf.Future = cf.Future()
        try:
            with single_threaded(), flush_denormals():
                future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def __enter__(self) -> "JobPool":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self.executor is None:
            return
        if exc_type is not None:  # an error or Ctrl-C: stop the running jobs too
            for process in list(getattr(self.executor, "_processes", {}).values()):
                process.terminate()
        self.executor.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
