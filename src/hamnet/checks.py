"""Range checks of user settings, shared by the command line (before PyTorch loads) and
the library (`RunConfig`, `TrainSettings`), so that both say the same thing."""

from __future__ import annotations

import math

from .errors import InvalidValueError

#: Upper bounds that keep a mistyped number from allocating or looping for ever
#: (training keeps one float64 loss per step; reproduce builds one config per seed).
MAX_STEPS = 10**8
MAX_SEEDS = 10**4
#: The long-horizon metrics' rollouts, in training horizons: the default, and the most
#: `hamnet evaluate --horizon` accepts.
DEFAULT_HORIZON = 10.0
MAX_HORIZON = 10**4


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


def parse_horizon(text: str) -> float | None:
    """`--horizon`: a multiple of the training horizon ("10x" or "10"), or "none" (None)."""
    if text.strip().lower() == "none":
        return None
    try:
        factor = float(text.strip().lower().removesuffix("x"))
    except ValueError:
        raise InvalidValueError(f"--horizon must be a multiple of the training horizon such as 10x, "
                                f"or none, got {text!r}") from None
    if not (math.isfinite(factor) and 0 < factor <= MAX_HORIZON):
        raise InvalidValueError(f"--horizon must be between 0 and {MAX_HORIZON} training horizons (e.g. 10x), "
                                f"got {text!r}")
    return factor


def check_step_size(step: float | None, name: str = "--step") -> None:
    if step is not None and not (math.isfinite(step) and step > 0):
        raise InvalidValueError(f"{name} must be a positive finite time step, got {step}")
