"""Optimisation settings and the loss curves a training run records."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..checks import check_lr, check_steps
from ..errors import InvalidValueError
from .batches import BATCH_ORDERS
from .precision import check_precision


#: The optimisers and learning-rate schedules a run may train with.
OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (the paper's: Adam, lr 1e-3, constant; steps/batch/decay per task).

    `optimizer`: "adam" (L2 decay added to the gradient) or "adamw" (decoupled decay);
    `schedule`: "constant" or "cosine" (lr · (1 + cos(π step / steps)) / 2, CHNN's)."""

    steps: int = 2000
    batch_size: int | None = None  # None: full batch
    lr: float = 1e-3
    weight_decay: float = 1e-4
    eval_every: int = 200
    checkpoint_every: int = 500
    batch_order: str = "random"  # or "sequential" (`BatchSampler`)
    precision: str = "fp32"  # or "bf16": bfloat16 matrix products (`hamnet.training.precision`)
    optimizer: str = "adam"  # or "adamw"
    schedule: str = "constant"  # or "cosine"

    def validate(self) -> None:
        check_steps(self.steps, "steps")
        if self.batch_size is not None and self.batch_size <= 0:
            raise InvalidValueError(f"batch size must be positive, got {self.batch_size}")
        if self.batch_order not in BATCH_ORDERS:
            raise InvalidValueError(f"batch order must be one of {', '.join(BATCH_ORDERS)}, got {self.batch_order!r}")
        check_precision(self.precision)
        for name, value, known in (("optimizer", self.optimizer, OPTIMIZERS), ("schedule", self.schedule, SCHEDULES)):
            if value not in known:
                raise InvalidValueError(f"{name} must be one of {', '.join(known)}, got {value!r}")
        check_lr(self.lr, "learning rate")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise InvalidValueError(f"weight decay must be a non-negative finite number, got {self.weight_decay}")
        if self.eval_every <= 0 or self.checkpoint_every <= 0:
            raise InvalidValueError("eval_every and checkpoint_every must be positive")

    def learning_rate(self, step: int) -> float:
        """The learning rate of step `step` (0-based) under the schedule."""
        if self.schedule == "cosine":
            return self.lr * 0.5 * (1 + math.cos(math.pi * step / self.steps))
        return self.lr


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
