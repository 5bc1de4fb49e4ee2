"""Does a written file compute hamnet's field? Both run on the same states: the run's test
states and random states in the box its training states span; the largest difference must
stay within a tolerance derived from the arithmetic (`tolerance`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..errors import HamnetError
from ..models import DynamicsModel
from .formats import Runner

#: Random states the check draws by default (besides the run's test states).
CHECK_STATES = 10_000


class ExportCheckError(HamnetError):
    """A written file computes another field than hamnet's (beyond the tolerance)."""


@dataclass(frozen=True)
class CheckResult:
    """The largest |exported − hamnet| over `states` states, the tolerance it was held to,
    and the field's scale (its largest |dx/dt| there)."""

    states: int
    max_abs_error: float
    tolerance: float
    scale: float

    def to_dict(self) -> dict[str, float | int]:
        return {"states": self.states, "max_abs_error": self.max_abs_error, "tolerance": self.tolerance,
                "field_scale": self.scale}


def check_states(x_train: Tensor, x_test: Tensor, n: int, seed: int) -> Tensor:
    """The run's test states and `n` states uniform in the box of its training states,
    widened by 10 % on each side.  -> [len(x_test) + n, dim] float64."""
    low, high = x_train.min(0).values.double(), x_train.max(0).values.double()
    margin = 0.1 * (high - low)
    u = torch.rand(n, x_train.shape[-1], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return torch.cat([x_test.double(), low - margin + u * (high - low + 2 * margin)])


def tolerance(model: DynamicsModel, dtype: torch.dtype, scale: float) -> float:
    """How far two correct implementations of the field may differ in `dtype`.

    Each products' chain from input to output holds P = 2L + 1 matrix products of inner
    length at most K (L hidden layers forward, L + 1 back), and solves add their
    eliminations: n for a velocity model's mass matrix, 2C for a constrained model's two
    C × C systems. Summed in another order, a length-K product moves by about √K·u of its
    terms' magnitude (u the unit roundoff); the two implementations each do so, so
    |Δ| ≤ 2 (P + n) √K u · max(1, scale), scale the largest |dx/dt| on the states.
    For fp32 and the paper's 2×200 MLP: 2·5·14.1·6.0e-8 ≈ 8.4e-6 per unit of scale.
    """
    depth = len(model.hidden)
    width = max((*model.hidden, model.dim))
    unit = torch.finfo(dtype).eps / 2
    return 2 * (2 * depth + 1 + model.solve_size) * math.sqrt(width) * unit * max(1.0, scale)


def compare(model: DynamicsModel, runner: Runner, states: Tensor, dtype: torch.dtype) -> CheckResult:
    """Run hamnet's field (eager, in `dtype`) and the written file on `states` [N, dim]."""
    x = states.to(dtype)
    with torch.no_grad():
        expected = model.to(dtype).time_derivative(x).numpy()
    got = runner(x.numpy())
    if got.shape != expected.shape:
        raise ExportCheckError(f"the written file returns shape {got.shape} for states of shape {tuple(x.shape)}")
    scale = float(np.abs(expected).max())
    error = float(np.abs(got.astype(np.float64) - expected).max())
    return CheckResult(len(x), error if np.isfinite(error) else math.inf, tolerance(model, dtype, scale), scale)
