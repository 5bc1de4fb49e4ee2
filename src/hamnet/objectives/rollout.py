"""Rollout training (SRNN / HNN-with-integrator style): unroll the learned field k steps
with an integrator from an observed state and match the observed trajectory.

It needs no derivative estimate: only samples of x(t) (windows of k + 1 consecutive
observations and their time steps, `Dataset.windows`), so it also fits data where dx/dt
was never measured. The gradient flows back through every integrator step.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..integrators import FIXED_STEP
from ..models import DynamicsModel
from .base import Objective, check_steps_setting

#: Integrators a rollout may train through (the adaptive dopri5 is for evaluation).
INTEGRATORS = tuple(FIXED_STEP)
MAX_UNROLL = 1000
#: How the predicted states are compared with the observed ones: the mean squared error or
#: the mean absolute error (L1: CHNN trains on it).
ERRORS = ("squared", "absolute")


class RolloutObjective(Objective):
    """Batch (window[N, k+1, dim], dt[N, k]): from window[:, 0], `unroll` = k steps of the
    model's field by `integrator`, step i over dt[:, i] in `substeps` equal parts; per
    sample the mean `error` ("squared" or "absolute") of the k predicted states against
    window[:, 1:], [N]."""

    name = "rollout"

    def __init__(self, unroll: int = 8, integrator: str = "rk4", substeps: int = 1, error: str = "squared"):
        check_steps_setting(unroll, "unroll", MAX_UNROLL)
        if integrator not in INTEGRATORS:
            raise InvalidValueError(f"the rollout objective's integrator must be one of {', '.join(INTEGRATORS)}, "
                                    f"got {integrator!r}")
        check_steps_setting(substeps, "substeps", MAX_UNROLL)
        if error not in ERRORS:
            raise InvalidValueError(f"the rollout objective's error must be one of {', '.join(ERRORS)}, got {error!r}")
        self.unroll, self.integrator, self.substeps, self.error = unroll, integrator, substeps, error
        self.method = FIXED_STEP[integrator]()
        self.stackable = self.method.vmappable

    def settings(self) -> dict[str, Any]:
        return {"unroll": self.unroll, "integrator": self.integrator, "substeps": self.substeps, "error": self.error}

    def evaluations_per_sample(self) -> float:
        return self.method.evaluations * self.unroll * self.substeps

    def check_model(self, kind: str, separable: bool) -> None:
        if self.method.separable and not separable:
            raise InvalidValueError(f"the rollout objective's integrator {self.integrator} needs a separable model "
                                    f"(H = T(p) + V(q)), and {kind} is not: use hnn-separable, or implicit-midpoint "
                                    "or rk4")

    def tensors(self, data: Any, split: str) -> tuple[Tensor, ...]:
        return data.windows(split, self.unroll)

    def terms(self, model: DynamicsModel, window: Tensor, dt: Tensor) -> dict[str, Tensor]:
        x, predicted = window[:, 0], []
        for i in range(self.unroll):
            h = (dt[:, i] / self.substeps).unsqueeze(-1)
            for _ in range(self.substeps):
                x = self.method.step(model.time_derivative, x, h)
            predicted.append(x)
        difference = window[:, 1:] - torch.stack(predicted, dim=1)
        return {"loss": (difference.abs() if self.error == "absolute" else difference.pow(2)).mean(dim=(1, 2))}
