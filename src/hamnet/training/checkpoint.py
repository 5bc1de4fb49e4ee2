"""A run's training checkpoint: one file per run, whether it trained alone or in a stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..atomic import atomic_path
from ..errors import RunDirectoryError
from .settings import TrainHistory


@dataclass
class Checkpoint:
    """Everything a run needs to continue exactly: the `step` reached, model and Adam
    state (`RunStack.run_state`'s format), the batch sampler, the losses of steps
    [0, step) and the history so far."""

    step: int
    model: dict[str, Tensor]
    optimizer: dict[str, Any]
    sampler: dict[str, Any]
    losses: Tensor
    history: TrainHistory

    def save(self, path: Path) -> None:
        state = {"step": self.step, "model": self.model, "optimizer": self.optimizer, "sampler": self.sampler,
                 "losses": self.losses, "history": self.history.to_dict()}
        with atomic_path(path) as tmp:
            torch.save(state, tmp)

    @classmethod
    def load(cls, path: Path) -> "Checkpoint":
        """The checkpoint in `path`; `RunDirectoryError` (one line) if it cannot be read."""
        try:
            state = torch.load(path, weights_only=False)
            return cls(int(state["step"]), state["model"], state["optimizer"], state["sampler"],
                       state["losses"], TrainHistory(**state["history"]))
        except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is the user's to fix
            raise RunDirectoryError(f"checkpoint {path} is corrupt ({type(exc).__name__}); "
                                    "delete it to start over") from None
