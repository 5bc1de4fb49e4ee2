"""The learned field x -> dx/dt of a trained model as a graph with no autograd in it
(`torch.export`), the form every export format starts from.

The energy-based models already take ∇H through the MLP's closed-form input gradient
(`hamnet.models.mlp.MLP.input_gradient`: plain products and tanh'), and the LNN its Hessian
the same way, so tracing their `time_derivative` leaves only matrix products, element-wise
maps and, for models that solve per state, `hamnet.models.solve.eliminate`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..errors import InvalidValueError
from ..models import DynamicsModel
from ..systems import System


class Field(nn.Module):
    """dx/dt of `model`: x[batch, dim] -> [batch, dim], in the model's dtype."""

    def __init__(self, model: DynamicsModel):
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return self.model.time_derivative(x)


def check_exportable(system: System, kind: str) -> None:
    """`InvalidValueError` (one line) for a run whose field is not a function of the system's state."""
    if system.observation_dim is not None:
        raise InvalidValueError(f"task {system.name!r} is learned from frames: its {kind!r} field acts on the "
                                "autoencoder's latents, not on the system's (q, p); export takes state-space runs")


def trace(model: DynamicsModel, dim: int, dtype: torch.dtype) -> torch.export.ExportedProgram:
    """The field of `model` in `dtype`, traced for any batch size (`torch.export`, batch ≥ 1)."""
    field = Field(model.to(dtype)).eval()
    # 7: not 1 (a size-1 example fixes the batch at 1), nor a size that another dimension has
    # (a constraint count, a link count), which the tracer could take for the same one
    example = torch.zeros(7, dim, dtype=dtype)
    batch = torch.export.Dim("batch")
    with torch.no_grad():
        return torch.export.export(field, (example,), dynamic_shapes=({0: batch},), strict=False)
