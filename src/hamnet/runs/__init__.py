"""Run directories: what they hold (`files`), who writes them (`locks`), and reading and
claiming them (`directory`).

`files` and `locks` need no PyTorch, so the command line checks a run directory before
PyTorch loads; the names of `directory` are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .files import (CHECKPOINT, CONFIG, HISTORY, HORIZON, METRICS, ROLLOUTS, WEIGHTS, RunState, clear_run, fingerprint,
                    read_json, run_state, what_differs)
from .locks import exclusive

_DIRECTORY = ("FINGERPRINT_KEY", "check_claim", "load_config", "load_history", "load_metrics", "load_stamped",
              "open_run", "read_weights", "save_model", "save_stamped")

__all__ = ["CHECKPOINT", "CONFIG", "HISTORY", "HORIZON", "METRICS", "ROLLOUTS", "WEIGHTS", "RunState", "clear_run", "exclusive",
           "fingerprint", "read_json", "run_state", "what_differs", *_DIRECTORY]


def __getattr__(name: str) -> Any:
    if name in _DIRECTORY:
        return getattr(importlib.import_module(".directory", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
