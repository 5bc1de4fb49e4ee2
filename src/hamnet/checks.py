"""Range checks of user settings, shared by the command line (before PyTorch loads) and
the library (`RunConfig`, `TrainSettings`), so that both say the same thing."""

from __future__ import annotations

import math

from .errors import InvalidValueError

#: Upper bounds that keep a mistyped number from allocating or looping for ever
#: (training keeps one float64 loss per step; reproduce builds one config per seed).
MAX_STEPS = 10**8
MAX_SEEDS = 10**4


def check_steps(steps: int | None, name: str = "--steps") -> None:
    if steps is not None and not 0 < steps <= MAX_STEPS:
        raise InvalidValueError(f"{name} must be between 1 and {MAX_STEPS}, got {steps}")


def check_lr(lr: float | None, name: str = "--lr") -> None:
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise InvalidValueError(f"{name} must be a positive finite number, got {lr}")


def check_seed(seed: int, name: str = "--seed") -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidValueError(f"{name} must be a non-negative integer, got {seed!r}")


def check_count(value: int | None, name: str, limit: int | None = None) -> None:
    """A positive count (`--seeds`, `--jobs`), at most `limit`."""
    if value is not None and (value <= 0 or (limit is not None and value > limit)):
        bound = f"between 1 and {limit}" if limit else "positive"
        raise InvalidValueError(f"{name} must be {bound}, got {value}")
