"""The paper's MLP: input -> hidden -> ... -> output, tanh, orthogonal init, no last bias."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class MLP(nn.Module):
    """x[..., in_dim] -> [..., out_dim].  `hidden` lists the hidden widths (paper: (200, 200))."""

    def __init__(self, in_dim: int, out_dim: int, hidden: tuple[int, ...] = (200, 200),
                 activation: str = "tanh", generator: torch.Generator | None = None):
        super().__init__()
        widths = (in_dim, *hidden)
        self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.output_layer = nn.Linear(widths[-1], out_dim, bias=False)
        self.activation = {"tanh": torch.tanh, "relu": torch.relu}[activation]
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Orthogonal weights; biases U(±1/sqrt(fan_in)) as torch's default, from `generator`."""
        for layer in [*self.hidden_layers, self.output_layer]:
            nn.init.orthogonal_(layer.weight, generator=generator)
            if layer.bias is not None:
                bound = 1 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.hidden_layers:
            x = self.activation(layer(x))
        return self.output_layer(x)
