"""Where a sweep's jobs run: the local job pool (`hamnet.jobs.JobPool`, what `reproduce`
uses) or a Ray cluster (`pip install 'hamnet[ray]'`). Both take jobs by priority and hand
back futures as they finish, so the sweep's loop is one for both."""

from __future__ import annotations

import concurrent.futures as cf
import heapq
import itertools
from typing import Any, Callable, Iterator

from .errors import InvalidValueError
from .jobs import JobPool, single_threaded
from .training import flush_denormals

BACKENDS = ("local", "ray")
#: How often Ray runs a job again whose worker died (a lost node, an out-of-memory kill).
RAY_RETRIES = 3


def _in_worker(fn: Callable[..., Any], *args: Any) -> Any:
    """A job on a Ray worker, single-threaded with subnormals flushed, as on the local pool."""
    with single_threaded(), flush_denormals():
        return fn(*args)


class RayPool:
    """`JobPool`'s interface on Ray: each job a Ray task of one CPU, retried when its worker
    dies, at most `jobs` in flight (default: the cluster's CPUs), highest priority first.

    `address` None starts a local Ray instance of `jobs` CPUs (stopped on exit), "auto" or
    an address joins a running cluster; an instance this process already started is used
    as it is. Results are written by the workers into the run directories, so `--out` must
    be a path every node sees (shared storage)."""

    def __init__(self, jobs: int | None, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise InvalidValueError("the ray backend needs Ray: pip install 'hamnet[ray]'") from None
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            try:
                ray.init(address=address, num_cpus=jobs if address is None else None, include_dashboard=False,
                         logging_level="ERROR", log_to_driver=False)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise InvalidValueError(f"cannot start or reach Ray at {address or 'a new local instance'}: "
                                        f"{exc}") from None
        self.jobs = jobs or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._task = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(_in_worker)
        self._ready: list[tuple[float, int, Callable[..., Any], tuple, Any]] = []
        self._running: dict[cf.Future, tuple[Any, Any]] = {}
        self._order = itertools.count()

    def add(self, tag: Any, priority: float, fn: Callable[..., Any], *args: Any) -> None:
        heapq.heappush(self._ready, (-priority, next(self._order), fn, args, tag))

    @property
    def running(self) -> int:
        return len(self._running)

    def finished(self) -> Iterator[tuple[Any, cf.Future]]:
        while self._ready or self._running:
            while self._ready and len(self._running) < self.jobs:
                _, _, fn, args, tag = heapq.heappop(self._ready)
                ref = self._task.remote(fn, *args)
                self._running[ref.future()] = (tag, ref)
            done, _ = cf.wait(self._running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                yield self._running.pop(future)[0], future

    def __enter__(self) -> "RayPool":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:
            for _, ref in self._running.values():
                self._ray.cancel(ref, force=True)
        if self._owned:
            self._ray.shutdown()


def job_pool(backend: str, jobs: int, address: str | None = None) -> JobPool | RayPool:
    """The pool of `backend` ("local" or "ray") with `jobs` workers (Ray: `address`, see `RayPool`)."""
    if backend == "local":
        if address is not None:
            raise InvalidValueError("--address is for --backend ray")
        return JobPool(jobs)
    if backend == "ray":
        return RayPool(jobs, address)
    raise InvalidValueError(f"unknown backend {backend!r}; known backends: {', '.join(BACKENDS)}")
