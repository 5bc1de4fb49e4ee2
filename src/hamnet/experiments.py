"""Named experiments as data: per task and preset, the training settings and any changes
to the system's data recipe and evaluation protocol. `reproduce` runs these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import systems
from .errors import UnknownNameError
from .train import TrainSettings


#: The models the paper compares, which `reproduce` runs on a task unless told otherwise.
PAPER_MODELS = ("baseline", "hnn")


@dataclass(frozen=True)
class Experiment:
    """Training settings plus overrides of the system's `recipe` / `energy_protocol` fields,
    and the models `reproduce` compares on the task by default (registry names)."""

    train: TrainSettings
    recipe: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = PAPER_MODELS


# The paper's settings (reference/paper-results.md §3).
FULL: dict[str, Experiment] = {
    "spring": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-4)),
    "pendulum": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-4)),
    "real-pendulum": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-5)),
    "two-body": Experiment(TrainSettings(steps=10000, batch_size=200, weight_decay=0.0, eval_every=500,
                                         checkpoint_every=2000)),
    "three-body": Experiment(TrainSettings(steps=10000, batch_size=600, weight_decay=1e-4, eval_every=500,
                                           checkpoint_every=2000),
                             protocol={"plot_t_end": 10.0}),
    "pixel-pendulum": Experiment(TrainSettings(steps=10000, batch_size=200, weight_decay=1e-5, eval_every=500,
                                               checkpoint_every=2000)),
}

# Same code path, fewer steps and samples: the whole table in about a minute on 2 cores.
# Checkpoints every 200 steps, so that a killed quick run also resumes mid-training.
QUICK: dict[str, Experiment] = {
    "spring": Experiment(TrainSettings(steps=600, batch_size=None, weight_decay=1e-4, eval_every=100,
                                       checkpoint_every=200)),
    "pendulum": Experiment(TrainSettings(steps=600, batch_size=None, weight_decay=1e-4, eval_every=100,
                                         checkpoint_every=200)),
    "real-pendulum": Experiment(TrainSettings(steps=600, batch_size=None, weight_decay=1e-5, eval_every=100,
                                              checkpoint_every=200)),
    "two-body": Experiment(TrainSettings(steps=1500, batch_size=200, weight_decay=0.0, eval_every=250,
                                         checkpoint_every=250),
                           recipe={"n_trajectories": 200}),
    "three-body": Experiment(TrainSettings(steps=1000, batch_size=600, weight_decay=1e-4, eval_every=250,
                                           checkpoint_every=250),
                             recipe={"n_trajectories": 500}, protocol={"plot_t_end": 10.0}),
    "pixel-pendulum": Experiment(TrainSettings(steps=800, batch_size=200, weight_decay=1e-5, eval_every=200,
                                               checkpoint_every=200),
                                 recipe={"n_episodes": 30}),
}

PRESETS: dict[str, dict[str, Experiment]] = {"full": FULL, "quick": QUICK}

#: Seeds per task that `reproduce` runs by default.
DEFAULT_SEEDS: dict[str, int] = {"full": 3, "quick": 1}


def tasks() -> list[str]:
    """Tasks that have an experiment in every preset, in registry order."""
    return [name for name in systems.names() if all(name in table for table in PRESETS.values())]


def get(task: str, preset: str = "full") -> Experiment:
    """The experiment for `task` under `preset`."""
    if preset not in PRESETS:
        raise UnknownNameError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    systems.get(task)  # raises for an unknown task
    if task not in PRESETS[preset]:
        raise UnknownNameError(f"task {task!r} has no experiment in preset {preset!r}")
    return PRESETS[preset][task]

