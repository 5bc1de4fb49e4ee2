"""One study of `hamnet tune`: a task × model, its base config, its Optuna study and the
trials in flight (what `study` runs and `report` summarises)."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from ..experiments import RunConfig
from . import space


@dataclass
class Study:
    """One task × model: its base config (the preset's, with the validation fraction), its
    Optuna study, the trials in flight (oldest first) and the losses of those finished but
    not yet told."""

    task: str
    label: str
    model: str
    base: RunConfig
    study: optuna.Study
    to_ask: int
    in_flight: collections.deque = field(default_factory=collections.deque)
    finished: dict[int, float | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.label}/{self.model}"

    def trial_dir(self, out_dir: Path, number: int) -> Path:
        return out_dir / "trials" / f"{self.label}-{self.model}" / f"trial{number:03d}"

    def config(self, params: dict[str, Any]) -> RunConfig:
        return self.base.overridden(space.overrides(params), where=f"tune {self.name}")
