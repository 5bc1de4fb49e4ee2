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

    def value_and_input_gradient(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """For a scalar output (out_dim = 1): (f(x) [...], ∂f/∂x [..., in_dim]).

        Backpropagates through the layers in closed form, δ_{k-1} = (δ_k W_k) ⊙ σ'(a_{k-1}),
        with plain tensor ops: the result stays differentiable with respect to the parameters
        (one ordinary backward trains through it) and works under `torch.func.vmap`.
        """
        activations = []
        for layer in self.hidden_layers:
            x = self.activation(layer(x))
            activations.append(x)
        value = self.output_layer(x).squeeze(-1)
        delta = self._through_activation(self.output_layer.weight[0].expand_as(activations[-1]), activations[-1])
        for k in range(len(self.hidden_layers) - 1, 0, -1):
            delta = self._through_activation(delta @ self.hidden_layers[k].weight, activations[k - 1])
        return value, delta @ self.hidden_layers[0].weight

    def _through_activation(self, grad: Tensor, h: Tensor) -> Tensor:
        """grad ⊙ σ'(a), from h = σ(a): one fused ATen kernel, tanh_backward (grad · (1 − h²))
        or threshold_backward (grad · 1[h > 0]); both differentiable and vmap-able."""
        if self.activation is torch.tanh:
            return torch.ops.aten.tanh_backward(grad, h)
        return torch.ops.aten.threshold_backward(grad, h, 0)
