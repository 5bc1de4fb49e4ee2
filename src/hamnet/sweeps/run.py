"""Run points (a sweep's, `reproduce`'s) as ordinary run directories on a backend (`hamnet.backends`), resumably."""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..backends import job_pool
from ..errors import DataFileError
from ..jobs import default_jobs
from ..pipeline.run_jobs import prepare_data, summary, train_and_evaluate, training_cost
from ..progress import log, progress_bar
from ..runs import exclusive
from .spec import Point, SweepSpec
from .plots import sweep_figures
from .summary import write_sweep


def _value_text(value: Any) -> str:
    """An override value as it appears in a directory name: 0.003, 200x200, true (floats by
    their shortest exact repr, so distinct values never share a name)."""
    if isinstance(value, list):
        return "x".join(_value_text(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in str(value))


def point_dir(out_dir: Path, point: Point) -> Path:
    """Where a point's run lives: `runs/<task>-<model>-<field=value>_...-seed<k>`."""
    varied = "_".join(f"{key}={_value_text(value)}" for key, value in point.overrides.items())
    return out_dir / "runs" / f"{point.label}-{point.model}{'-' + varied if varied else ''}-seed{point.seed}"


def _data_key(point: Point) -> str:
    """Points with equal keys share one data set (so it is generated once)."""
    config = point.config
    return json.dumps([config.task, config.system_options, config.recipe, config.seed, config.data_dir],
                      sort_keys=True)


@dataclass
class Outcome:
    """What `run_points` did: one record per point (task label, model, seed, the varied
    fields, the metrics; None for a point skipped because its data file is missing),
    counts of points trained, kept, failed and skipped, and why a task was skipped."""

    records: list[dict[str, Any] | None]
    counts: dict[str, int]
    skipped: dict[str, str] = field(default_factory=dict)


#: Jobs to queue when all points of a task are done: (task label, its points' records) -> [(fn, args)].
AfterTask = Callable[[str, list[dict[str, Any]]], list[tuple[Callable[..., Any], tuple]]]


def _groups(points: list[Point], together: int) -> list[list[int]]:
    """Points trained in one job: those that differ only in their seed, `together` at a time."""
    same: dict[str, list[int]] = {}
    for i, point in enumerate(points):
        key = json.dumps([point.label, point.model, point.overrides,
                          dataclasses.replace(point.config, seed=0).to_dict()], sort_keys=True, default=str)
        same.setdefault(key, []).append(i)
    return [members[k:k + together] for members in same.values() for k in range(0, len(members), together)]


class Estimate:
    """How far a batch of runs is: runs done of all, per task too, and the time left, from
    the seconds so far and the scheduler's cost of what is done and what remains
    (`training_cost`; a group not yet costed counts as the mean of those that are)."""

    def __init__(self, points: list[Point], n_groups: int) -> None:
        self.started = time.perf_counter()
        self.total, self.done = len(points), 0
        self.per_task = collections.Counter(point.label for point in points)
        self.done_per_task: collections.Counter = collections.Counter()
        self.costs: dict[int, float] = {}
        self.finished: set[int] = set()
        self.n_groups = n_groups

    def costed(self, group: int, cost: float) -> None:
        self.costs[group] = cost

    def finish(self, group: int, point: Point) -> str:
        """Count `point` (of `group`) done; -> "[done/all runs · task k/n · about T s left]"."""
        self.done += 1
        self.done_per_task[point.label] += 1
        self.finished.add(group)
        task = f"{point.label} {self.done_per_task[point.label]}/{self.per_task[point.label]}"
        return f"[{self.done}/{self.total} runs · {task}{self._left()}]"

    def _left(self) -> str:
        mean = sum(self.costs.values()) / len(self.costs) if self.costs else 1.0
        done = sum(self.costs.get(g, mean) for g in self.finished)
        remaining = sum(self.costs.get(g, mean) for g in range(self.n_groups) if g not in self.finished)
        if self.done == self.total or done <= 0:
            return ""
        return f" · about {(time.perf_counter() - self.started) * remaining / done:.0f} s left"


def run_points(points: list[Point], out_dir: Path, jobs: int | None, backend: str = "local",
               address: str | None = None, show_progress: bool | None = None, run_plots: bool = False,
               together: int = 1, after_task: AfterTask | None = None) -> Outcome:
    """Train and evaluate `points` into `out_dir/runs/` (`point_dir`): what `sweep` and
    `reproduce` run. Each data set first (once for the points that share it), then the
    points as single-threaded jobs, longest first, on the `backend` (`hamnet.backends`:
    the local pool of `jobs`, or Ray); points that differ only in their seed train
    `together` at a time in one job (a GPU's stack). A point finished earlier with the same
    settings is kept (its metrics too), an unfinished one resumes, so a killed run rerun
    finishes the rest. A task whose data file is missing is skipped with a line saying
    so; with `run_plots` every run draws its own figures; `after_task` queues a task's
    jobs (its figures) when its last point is done. The caller holds `out_dir`."""
    records: list[dict[str, Any] | None] = [None] * len(points)
    groups = _groups(points, together)
    waiting: dict[str, set[int]] = {}  # data key -> groups waiting for it
    needs = [{_data_key(points[i]) for i in group} for group in groups]
    for g, keys in enumerate(needs):
        for key in keys:
            waiting.setdefault(key, set()).add(g)
    left = collections.Counter(point.label for point in points)
    outcome = Outcome(records, {"trained": 0, "kept": 0, "failed": 0, "skipped": 0})
    estimate = Estimate(points, len(groups))
    with job_pool(backend, jobs, address) as pool, progress_bar(len(points), "runs", show_progress) as advance:
        for key, members in waiting.items():
            pool.add(("data", key), math.inf, prepare_data, points[groups[min(members)][0]].config)
        for (kind, key), future in pool.finished():
            if kind == "data":
                try:
                    n_train = future.result()
                except DataFileError as exc:
                    for g in sorted(waiting[key]):
                        label = points[groups[g][0]].label
                        if label not in outcome.skipped:
                            log(f"skipping {label}: {exc}")
                            outcome.skipped[label] = str(exc)
                        outcome.counts["skipped"] += len(groups[g])
                        advance(len(groups[g]))
                        needs[g] = {"skipped"}
                    continue
                for g in sorted(waiting[key]):
                    needs[g].discard(key)
                    if not needs[g]:
                        group = [points[i] for i in groups[g]]
                        estimate.costed(g, training_cost(group[0].config, n_train))
                        pool.add(("points", g), estimate.costs[g], train_and_evaluate,
                                 [p.config for p in group], [point_dir(out_dir, p) for p in group], False, run_plots)
                continue
            if kind == "points":
                for i, (_, metrics, kept) in zip(groups[key], future.result()):
                    point = points[i]
                    outcome.counts["failed" if "diverged" in metrics else "kept" if kept else "trained"] += 1
                    records[i] = {"task": point.label, "model": point.model, "seed": point.seed,
                                  **point.overrides, **metrics}
                    varied = "".join(f" {k}={json.dumps(v)}" for k, v in point.overrides.items())
                    log(f"{point.label} {point.model}{varied} seed {point.seed}: {summary(metrics)}"
                        f"{'  (kept from an earlier run)' if kept else ''}  {estimate.finish(key, point)}")
                    advance(1, f"{pool.running} running, {outcome.counts['failed']} failed")
                    left[point.label] -= 1
                    if left[point.label] == 0 and after_task is not None:
                        done = [r for p, r in zip(points, records) if p.label == point.label and r is not None]
                        for fn, args in after_task(point.label, done):
                            pool.add(("task", point.label), 0.0, fn, *args)
            else:
                future.result()
    return outcome


def run_sweep(spec: SweepSpec, out_dir: Path, jobs: int | None = None, show_progress: bool | None = None,
              data_dir: str | Path | None = None, command: str = "hamnet sweep", backend: str = "local",
              address: str | None = None) -> list[dict[str, Any]]:
    """Train and evaluate every point of `spec` into `out_dir/runs/` (`run_points`) and
    write `sweep.{json,csv,md}` and a figure per swept numeric field. Jobs run on the
    `backend`: the local pool (default one job per core) or Ray, on a new local instance
    of `jobs` CPUs or the cluster at `address` (default all its CPUs). Returns one record
    per point scored: task, model, seed, the varied fields, the metrics (`diverged` for a
    point whose training diverged)."""
    points = spec.points(data_dir=data_dir)
    if jobs is None and not (backend == "ray" and address is not None):
        jobs = default_jobs("cpu")
    with exclusive(out_dir):
        start = time.perf_counter()
        outcome = run_points(points, out_dir, jobs, backend, address, show_progress)
        wall = time.perf_counter() - start
        finished = [r for r in outcome.records if r is not None]
        counts = outcome.counts
        skipped = f", {counts['skipped']} skipped (no data)" if counts["skipped"] else ""
        header = (f"Command: `{command}` · backend {backend} · {len(points)} points: {counts['trained']} trained, "
                  f"{counts['kept']} kept from an earlier run, {counts['failed']} failed{skipped} · "
                  f"wall time {wall:.0f} s")
        sweep_figures(write_sweep(finished, spec, out_dir, header), spec, out_dir)
        log(f"wrote {out_dir / 'sweep.md'}: {counts['trained']} trained, {counts['kept']} kept, "
            f"{counts['failed']} failed{skipped} ({wall:.0f} s)")
    return finished
