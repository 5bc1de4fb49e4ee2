"""The paper's MLP: input -> hidden -> ... -> output, tanh, orthogonal init, no last bias;
optionally residual hidden layers (the D-HNN paper's: h = h + tanh(W h + b))."""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def affine(x: Tensor, layer: nn.Linear, inner: bool) -> Tensor:
    """W x + b in x's dtype. Under autocast (`hamnet.training.precision`) an `inner`
    layer's product alone runs in the lower precision (the bias is added, and its gradient
    summed over the batch, in x's dtype); other layers stay in x's dtype throughout.
    Without autocast (every rollout) it is the bare product, as nothing is cast."""
    if not torch.is_autocast_enabled(x.device.type):
        return F.linear(x, layer.weight, layer.bias)
    if inner and layer.bias is not None:
        return F.linear(x, layer.weight).to(x.dtype) + layer.bias
    with _exact_unless(inner, x):
        return F.linear(x, layer.weight, layer.bias).to(x.dtype)


def _product(a: Tensor, b: Tensor, inner: bool) -> Tensor:
    """a @ b in a's dtype; under autocast in the lower precision only if `inner` (`affine`)."""
    if not torch.is_autocast_enabled(a.device.type):
        return a @ b
    with _exact_unless(inner, a):
        return (a @ b).to(a.dtype)


def _exact_unless(inner: bool, x: Tensor) -> contextlib.AbstractContextManager:
    """Under autocast: switched off on x's device for a product that is not `inner`; else as it is."""
    return contextlib.nullcontext() if inner else torch.autocast(x.device.type, enabled=False)


class MLP(nn.Module):
    """x[..., in_dim] -> [..., out_dim].  `hidden` lists the hidden widths (paper: (200, 200)).

    With `residual`, every hidden layer after the first whose width equals its input's adds
    its activation to its input (h = h + σ(W h + b)) instead of replacing it.

    Under bf16 autocast (`hamnet.training.precision`) the products between hidden layers,
    forward and back, run in bfloat16 and are cast back; everything else stays in the
    input's dtype: the activations, their derivatives, biases and sums, and the products of
    the first and last layers, so neither the states, nor the output, nor the input
    gradient are ever rounded to 8 bits. Without autocast every cast is a no-op.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: tuple[int, ...] = (200, 200),
                 activation: str = "tanh", generator: torch.Generator | None = None,
                 residual: bool = False):
        super().__init__()
        widths = (in_dim, *hidden)
        self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.residual = tuple(residual and k > 0 and a == b for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])))
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
        return affine(self._hidden(x)[0], self.output_layer, inner=False)

    def value_and_input_gradient(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """For a scalar output (out_dim = 1): (f(x) [...], ∂f/∂x [..., in_dim]).

        Backpropagates through the layers in closed form, δ_{k-1} = (δ_k ⊙ σ'(a_k)) W_k
        (plus δ_k for a residual layer),
        with plain tensor ops: the result stays differentiable with respect to the parameters
        (one ordinary backward trains through it) and works under `torch.func.vmap`.
        """
        last, activations = self._hidden(x)
        value = affine(last, self.output_layer, inner=False).squeeze(-1)
        return value, self._input_gradient(last, activations)

    def input_gradient(self, x: Tensor) -> Tensor:
        """∂f/∂x [..., in_dim] for a scalar output, as `value_and_input_gradient` without
        the value (the fields of the energy-based models need only the gradient)."""
        return self._input_gradient(*self._hidden(x))

    def _hidden(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """The last hidden layer's output and σ(a_k) of every hidden layer (by `F.linear`,
        without nn.Module's call machinery, which a rollout would pay at every evaluation)."""
        activations = []
        for k, (layer, residual) in enumerate(zip(self.hidden_layers, self.residual)):
            h = self.activation(affine(x, layer, inner=k > 0))
            activations.append(h)
            x = x + h if residual else h
        return x, activations

    def _input_gradient(self, last: Tensor, activations: list[Tensor]) -> Tensor:
        """δ from the output down to the input (`value_and_input_gradient`)."""
        delta = self.output_layer.weight[0].expand_as(last)  # ∂f/∂x_k, from the last hidden layer down
        for k in range(len(self.hidden_layers) - 1, -1, -1):
            back = _product(self._through_activation(delta, activations[k]), self.hidden_layers[k].weight, k > 0)
            delta = delta + back if self.residual[k] else back
        return delta

    def value_gradient_hessian(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """For a scalar output (out_dim = 1): (f(x) [b], ∂f/∂x [b, n], ∂²f/∂x² [b, n, n]), x [b, n].

        In closed form: with a_k the pre-activations, A_k = ∂a_k/∂x (carried forward,
        [b, d_k, n]) and δ_k = ∂f/∂h_k (carried back), ∂²f/∂x² = Σ_k A_kᵀ diag(δ_k ⊙ σ''(a_k)) A_k.
        Plain batched products, differentiable with respect to the parameters; for a small
        n (a Lagrangian's 2n inputs) 4–7× faster than `torch.func` forward-over-reverse on
        tens of states (`benchmarks/bench_lnn.py`: 1.6× on 1000).
        """
        jacobian = torch.eye(x.shape[-1], dtype=x.dtype, device=x.device).expand(x.shape[0], -1, -1)  # ∂x_k/∂x
        activations, pre_jacobians = [], []
        for k, (layer, residual) in enumerate(zip(self.hidden_layers, self.residual)):
            pre_jacobian = _product(layer.weight, jacobian, inner=False)  # A_k [b, d_k, n]
            h = self.activation(affine(x, layer, inner=k > 0))
            activations.append(h)
            pre_jacobians.append(pre_jacobian)
            through = self._derivative(h).unsqueeze(-1) * pre_jacobian  # ∂h_k/∂x
            jacobian = jacobian + through if residual else through
            x = x + h if residual else h
        value = affine(x, self.output_layer, inner=False).squeeze(-1)
        delta = self.output_layer.weight[0].expand_as(x)
        hessian = x.new_zeros(x.shape[0], jacobian.shape[-1], jacobian.shape[-1])
        for k in range(len(self.hidden_layers) - 1, -1, -1):
            curvature = delta * self._second_derivative(activations[k])  # δ_k ⊙ σ''(a_k) [b, d_k]
            hessian = hessian + _product(pre_jacobians[k].transpose(1, 2),
                                         curvature.unsqueeze(-1) * pre_jacobians[k], inner=False)
            back = _product(self._through_activation(delta, activations[k]), self.hidden_layers[k].weight, k > 0)
            delta = delta + back if self.residual[k] else back
        return value, delta, hessian

    def _derivative(self, h: Tensor) -> Tensor:
        """σ'(a) from h = σ(a): tanh' = 1 − h²; relu' = 1[h > 0]."""
        if self.activation is torch.tanh:
            return 1 - h * h
        return (h > 0).to(h.dtype)

    def _second_derivative(self, h: Tensor) -> Tensor:
        """σ''(a) from h = σ(a): tanh'' = −2h(1 − h²); relu'' = 0 (almost everywhere)."""
        if self.activation is torch.tanh:
            return -2 * h * (1 - h * h)
        return torch.zeros_like(h)

    def _through_activation(self, grad: Tensor, h: Tensor) -> Tensor:
        """grad ⊙ σ'(a), from h = σ(a): one fused ATen kernel, tanh_backward (grad · (1 − h²))
        or threshold_backward (grad · 1[h > 0]); both differentiable and vmap-able."""
        if self.activation is torch.tanh:
            return torch.ops.aten.tanh_backward(grad, h)
        return torch.ops.aten.threshold_backward(grad, h, 0)
