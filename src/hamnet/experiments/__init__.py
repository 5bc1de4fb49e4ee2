"""Experiments as data: presets (tables of settings per task) and the flat run config built
from them (`RunConfig`)."""

from .config import RunConfig
from .presets import (DISSIPATIVE_MODELS, PAPER_MODELS, PAPER_TASKS, PRESETS, Experiment, Preset, get, preset,
                      tasks)

__all__ = ["DISSIPATIVE_MODELS", "PAPER_MODELS", "PAPER_TASKS", "PRESETS", "Experiment", "Preset", "RunConfig",
           "get", "preset", "tasks"]
