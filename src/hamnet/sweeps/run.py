"""Run a sweep's points as ordinary run directories on a backend (`sweeps.backends`), resumably."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from ..jobs import default_jobs
from ..pipeline.run_jobs import prepare_data, summary, train_and_evaluate, training_cost
from ..progress import log, progress_bar
from ..runs import exclusive
from .backends import job_pool
from .spec import Point, SweepSpec
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


def run_sweep(spec: SweepSpec, out_dir: Path, jobs: int | None = None, show_progress: bool | None = None,
              data_dir: str | Path | None = None, command: str = "hamnet sweep", backend: str = "local",
              address: str | None = None) -> list[dict[str, Any]]:
    """Train and evaluate every point of `spec` into `out_dir/runs/` and write
    `sweep.{json,csv,md}` and a figure per swept numeric field. Single-threaded jobs side
    by side, longest first, on the `backend` (`sweeps.backends`: the local pool, default one
    job per core; or Ray, on a new local instance of `jobs` CPUs or the cluster at
    `address`, default all its CPUs); a point finished earlier with the same
    settings is kept (its metrics too), an unfinished one resumes: a killed sweep rerun
    finishes the rest. Returns one record per point: task, model, seed, the varied
    fields, the metrics (`diverged` for a point whose training diverged)."""
    points = spec.points(data_dir=data_dir)
    if jobs is None and not (backend == "ray" and address is not None):
        jobs = default_jobs("cpu")
    with exclusive(out_dir):
        start = time.perf_counter()
        records: list[dict[str, Any] | None] = [None] * len(points)
        waiting: dict[str, list[int]] = {}
        for i, point in enumerate(points):
            waiting.setdefault(_data_key(point), []).append(i)
        counts = {"kept": 0, "trained": 0, "failed": 0}
        with job_pool(backend, jobs, address) as pool, progress_bar(len(points), "sweep", show_progress) as advance:
            for key, members in waiting.items():
                pool.add(("data", key), math.inf, prepare_data, points[members[0]].config)
            for (kind, key), future in pool.finished():
                if kind == "data":
                    n_train = future.result()
                    for i in waiting[key]:
                        pool.add(("point", i), training_cost(points[i].config, n_train), train_and_evaluate,
                                 [points[i].config], [point_dir(out_dir, points[i])], False, False)
                    continue
                point = points[key]
                ((_, metrics, kept),) = future.result()
                outcome = "failed" if "diverged" in metrics else "kept" if kept else "trained"
                counts[outcome] += 1
                records[key] = {"task": point.label, "model": point.model, "seed": point.seed,
                                **point.overrides, **metrics}
                log(f"{point_dir(out_dir, point).name}: {summary(metrics)}{'  (kept)' if kept else ''}")
                advance(1, f"{pool.running} running, {counts['failed']} failed")
        wall = time.perf_counter() - start
        finished = [r for r in records if r is not None]
        header = (f"Command: `{command}` · backend {backend} · {len(points)} points: {counts['trained']} trained, "
                  f"{counts['kept']} kept from an earlier run, {counts['failed']} failed · wall time {wall:.0f} s")
        write_sweep(finished, spec, out_dir, header)
        log(f"wrote {out_dir / 'sweep.md'}: {counts['trained']} trained, {counts['kept']} kept, "
            f"{counts['failed']} failed ({wall:.0f} s)")
    return finished
