"""A sweep as a file: tasks × models × seeds × overrides of any run-config field, as a grid
(every combination) and/or a list of points; each point one ordinary run.

```toml
tasks = ["spring", "pendulum"]
models = ["baseline", "hnn"]          # registered models, MODEL+OBJECTIVE (hnn+rollout), or "all" (those that fit each task)
seeds = 3                             # a count (0..n-1) or a list
preset = "quick"                      # whose settings the runs start from (default full)

[set]                                 # fixed overrides of every point
"train.steps" = 300

[grid]                                # every combination of these
"train.lr" = [1e-3, 3e-3]
"recipe.n_trajectories" = [10, 25, 50]

[[points]]                            # and/or listed points (combined with the grid)
"hidden" = [100, 100]
```

Overridable fields: `train.*`, `recipe.*`, `protocol.*`, `objective_options.*` (the run
config's sections, field by field), `hidden`, `residual`. The objective is chosen by the
model's name (`MODEL+OBJECTIVE`).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import models as model_registry
from .. import systems
from ..checks import MAX_SEEDS
from ..errors import InvalidValueError, UnknownNameError
from ..experiments import RunConfig, presets, variants
from .files import check_keys, read_spec_file

@dataclass(frozen=True)
class Point:
    """One run of a sweep: task (`label`: its system's name in directories and tables),
    model name, seed, the overrides that make it, its config."""

    task: str
    label: str
    model: str
    seed: int
    overrides: dict[str, Any]
    config: RunConfig


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file (see the module docstring)."""

    tasks: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    preset: str = "full"
    fixed: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    listed: tuple[dict[str, Any], ...] = ()
    #: `models = "all"`: every registered model that fits each task (`hamnet.models.fits`).
    every_model: bool = False

    @property
    def axes(self) -> list[str]:
        """The overridden fields that vary between points, in the file's order."""
        listed = [key for point in self.listed for key in point]
        return list(dict.fromkeys([*self.grid, *listed]))

    def combinations(self) -> list[dict[str, Any]]:
        """Every point's varying overrides: the grid's product, times the listed points."""
        grid = [dict(zip(self.grid, values)) for values in itertools.product(*self.grid.values())]
        return [g | p for g in grid for p in (self.listed or ({},))]

    def points(self, data_dir: str | Path | None = None, device: str = "cpu") -> list[Point]:
        """Every run of the sweep, its config built and checked (raises naming the first bad one)."""
        out = []
        for task in self.tasks:
            label = None  # the task's system name, found once
            system = systems.get(task) if self.every_model else None
            for name in self.models:
                model, objective = variants.parse(name)
                if self.every_model and not model_registry.fits(model, system):
                    continue
                for overrides in self.combinations():
                    for seed in self.seeds:
                        base = RunConfig.for_task(task, model, seed, self.preset, device=device, data_dir=data_dir,
                                                  objective=objective)
                        config = base.overridden(self.fixed | overrides)
                        label = label or config.system().label
                        out.append(Point(task, label, config.label, seed, overrides, config))
        return out


def load_spec(path: str | Path, quick: bool = False) -> SweepSpec:
    """Read and check a sweep file (TOML), or a built-in sweep by name (`files.builtin_names`);
    with `quick`, its preset's quick form. Raises `InvalidValueError` naming the problem."""
    return parse_spec(*read_spec_file(path), quick=quick)


def parse_spec(raw: dict[str, Any], where: str = "sweep", quick: bool = False) -> SweepSpec:
    """A `SweepSpec` from the mapping a sweep file holds (`quick`: its preset's quick form)."""
    check_keys(raw, where)
    tasks = _names(raw, "tasks", where)
    models = tuple(model_registry.names()) if raw.get("models") == "all" else _names(raw, "models", where)
    try:
        variants.check(list(models))
    except UnknownNameError as exc:
        raise InvalidValueError(f"{where}: {exc}") from None
    seeds = _seeds(raw.get("seeds", 1), where)
    preset = raw.get("preset", "full")
    if not isinstance(preset, str):
        raise InvalidValueError(f"{where}: preset must be a name, got {preset!r}")
    presets.preset(preset)  # raises naming the known presets
    if quick:
        preset = presets.quick_form(preset)
    fixed = _table(raw, "set", where)
    grid = _table(raw, "grid", where)
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InvalidValueError(f"{where}: grid.{key} must be a non-empty list of values, got {values!r}")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise InvalidValueError(f"{where}: grid.{key} lists a value twice")
    listed = raw.get("points", [])
    if not isinstance(listed, list) or not all(isinstance(p, dict) and p for p in listed):
        raise InvalidValueError(f"{where}: points must be a list of tables of overrides ([[points]])")
    both = set(fixed) & (set(grid) | {k for p in listed for k in p})
    if both:
        raise InvalidValueError(f"{where}: {sorted(both)[0]!r} is both fixed (set) and varied (grid/points)")
    for value in [*fixed.values(), *(v for vs in grid.values() for v in vs), *(v for p in listed for v in p.values())]:
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidValueError(f"{where}: override values must be finite, got {value!r}")
    spec = SweepSpec(tasks, models, seeds, preset, fixed, {k: list(v) for k, v in grid.items()}, tuple(listed),
                     every_model=raw.get("models") == "all")
    if len(spec.combinations()) * len(tasks) * len(models) * len(seeds) > 100_000:
        raise InvalidValueError(f"{where}: more than 100000 points")
    return spec


def _names(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    names = raw.get(key)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise InvalidValueError(f"{where}: {key} must be a non-empty list of names, got {names!r}")
    if len(set(names)) != len(names):
        raise InvalidValueError(f"{where}: {key} names one twice")
    return tuple(names)


def _seeds(value: Any, where: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_SEEDS:
            raise InvalidValueError(f"{where}: seeds must be between 1 and {MAX_SEEDS}, got {value}")
        return tuple(range(value))
    if (isinstance(value, list) and value and len(set(value)) == len(value)
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)):
        return tuple(value)
    raise InvalidValueError(f"{where}: seeds must be a count or a list of distinct seeds ≥ 0, got {value!r}")


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    table = raw.get(key, {})
    if not isinstance(table, dict):
        raise InvalidValueError(f"{where}: {key} must be a table ([{key}]), got {table!r}")
    return table

