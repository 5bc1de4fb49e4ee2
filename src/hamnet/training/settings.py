"""Optimisation settings and the loss curves a training run records."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..checks import check_lr, check_steps
from ..errors import InvalidValueError
from .batches import BATCH_ORDERS
from .precision import check_precision


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (the paper's: Adam, lr 1e-3; steps/batch/decay per task)."""

    steps: int = 2000
    batch_size: int | None = None  # None: full batch
    lr: float = 1e-3
    weight_decay: float = 1e-4
    eval_every: int = 200
    checkpoint_every: int = 500
    batch_order: str = "random"  # or "sequential" (`BatchSampler`)
    precision: str = "fp32"  # or "bf16": bfloat16 matrix products (`hamnet.training.precision`)

    def validate(self) -> None:
        check_steps(self.steps, "steps")
        if self.batch_size is not None and self.batch_size <= 0:
            raise InvalidValueError(f"batch size must be positive, got {self.batch_size}")
        if self.batch_order not in BATCH_ORDERS:
            raise InvalidValueError(f"batch order must be one of {', '.join(BATCH_ORDERS)}, got {self.batch_order!r}")
        check_precision(self.precision)
        check_lr(self.lr, "learning rate")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise InvalidValueError(f"weight decay must be a non-negative finite number, got {self.weight_decay}")
        if self.eval_every <= 0 or self.checkpoint_every <= 0:
            raise InvalidValueError("eval_every and checkpoint_every must be positive")


@dataclass
class TrainHistory:
    """Loss curves: `train_loss[step]` every step, `test_loss` at `eval_steps`."""

    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """Its fields as plain lists and numbers, as `history.json` holds them."""
        return asdict(self)
