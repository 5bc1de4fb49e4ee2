"""Derivative regression (the paper's objective for state-space data): the MSE between the
model's dx/dt and the observed one."""

from __future__ import annotations

from torch import Tensor

from ..models import DynamicsModel
from .base import Objective


class DerivativeMSE(Objective):
    """Batch (x[N, dim], dxdt[N, dim]) -> per-sample mean over dimensions of
    (model.time_derivative(x) − dxdt)², [N]."""

    name = "derivative"

    def terms(self, model: DynamicsModel, x: Tensor, dxdt: Tensor) -> dict[str, Tensor]:
        return {"loss": (model.time_derivative(x) - dxdt).pow(2).mean(dim=-1)}
