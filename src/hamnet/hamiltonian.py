"""The symplectic structure shared by every system and model.

State convention: x = [q_1..q_n, p_1..p_n], so J = [[0, I], [-I, 0]] and
J ∇H = (∂H/∂p, -∂H/∂q).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor


def symplectic_gradient(grad_h: Tensor) -> Tensor:
    """Apply J to ∇H.  grad_h[..., 2n] -> dx/dt[..., 2n] = (∂H/∂p, -∂H/∂q)."""
    dh_dq, dh_dp = grad_h.chunk(2, dim=-1)
    return torch.cat([dh_dp, -dh_dq], dim=-1)


def hamiltonian_vector_field(
    hamiltonian: Callable[[Tensor], Tensor], x: Tensor, create_graph: bool = False
) -> Tensor:
    """J ∇H(x) by autograd.  x[..., 2n] -> [..., 2n]; H maps [..., 2n] -> [...].

    With `create_graph=True` the result stays differentiable (double backprop in training).
    """
    with torch.enable_grad():
        x_in = x if x.requires_grad else x.detach().requires_grad_(True)
        energy = hamiltonian(x_in)
        (grad_h,) = torch.autograd.grad(energy.sum(), x_in, create_graph=create_graph)
    return symplectic_gradient(grad_h)
