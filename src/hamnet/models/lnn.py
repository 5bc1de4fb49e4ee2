"""Lagrangian Neural Network (Cranmer et al. 2020): an MLP learns L(q, q̇); the
Euler–Lagrange equations give q̈ = (∂²L/∂q̇²)⁻¹ (∂L/∂q − ∂²L/∂q̇∂q q̇), batched: the
MLP's Hessian in closed form over the whole batch, no per-sample loop."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import SingularLagrangianError
from .base import DynamicsModel
from .kinematics import Kinematics
from .mlp import MLP
from .solve import eliminate


class LNN(DynamicsModel):
    """x = [q, p] -> q̇ = M(q)⁻¹ p, q̈ from L_θ(q, q̇), ṗ = d/dt (M(q) q̇).

    A state where ∂²L_θ/∂q̇² is singular has no acceleration: `acceleration` raises
    `SingularLagrangianError` counting such states instead of returning NaN. Not trained
    as a stack of runs (that check branches on the data).
    """

    kind, title, color = "lnn", "LNN", "tab:brown"
    description = "Lagrangian neural network: q-ddot from a learned L (Cranmer et al. 2020)"
    needs_kinematics = True
    stackable = False

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200), generator: torch.Generator | None = None,
                 residual: bool = False, kinematics: Kinematics | None = None):
        super().__init__(dim, hidden, residual)
        self.kinematics = kinematics
        self.net = MLP(dim, 1, hidden, generator=generator, residual=residual)

    def lagrangian(self, q: Tensor, velocity: Tensor) -> Tensor:
        """L_θ = ½‖q̇‖² + MLP(q, q̇).  q, q̇ [..., n] -> [...].

        The fixed ½‖q̇‖² keeps ∂²L/∂q̇² near the identity while the MLP is small (at
        initialisation): a plain MLP's velocity Hessian starts random and near-singular,
        its accelerations huge (Cranmer et al. needed a tailored initialisation for this).
        """
        return 0.5 * velocity.pow(2).sum(-1) + self.net(torch.cat([q, velocity], dim=-1)).squeeze(-1)

    def acceleration(self, q: Tensor, velocity: Tensor) -> Tensor:
        """q̈ from the Euler–Lagrange equations.  q, q̇ [b, n] -> [b, n].

        The MLP's gradient and Hessian over z = (q, q̇) in closed form
        (`MLP.value_gradient_hessian`: 4–7× faster than one `torch.func` forward-over-reverse
        on 15–30 double-pendulum states, 1.6× on 1000); ½‖q̇‖² adds q̇ to ∂L/∂q̇ and 1 to ∂²L/∂q̇².
        """
        n = q.shape[-1]
        _, grad_net, hess_net = self.net.value_gradient_hessian(torch.cat([q, velocity], dim=-1))
        force = grad_net[:, :n] - (hess_net[:, n:, :n] @ velocity.unsqueeze(-1)).squeeze(-1)  # ∂L/∂q − ∂²L/∂q̇∂q q̇
        inertia = hess_net[:, n:, n:] + torch.eye(n, dtype=q.dtype, device=q.device)  # ∂²L/∂q̇²
        if torch.compiler.is_exporting():  # no check on the data in an exported graph: inf/NaN where singular
            return eliminate(inertia, force)
        result, info = torch.linalg.solve_ex(inertia, force)  # ∂²L/∂q̇² q̈ = force
        singular = (info != 0) | ~torch.isfinite(result).all(dim=-1)
        if bool(singular.any()):
            raise SingularLagrangianError(f"the LNN's ∂²L/∂q̇² is singular at {int(singular.sum())} of "
                                          f"{singular.numel()} states: it defines no acceleration there")
        return result

    def hamiltonian(self, x: Tensor) -> Tensor:
        """The energy its flow conserves, E_θ = q̇ · ∂L_θ/∂q̇ − L_θ.  x[..., dim] -> [...]."""
        q, p = x.to(self.dtype).chunk(2, dim=-1)
        velocity = self.kinematics.velocity(q, p)
        shape = q.shape[:-1]
        q, velocity = q.reshape(-1, q.shape[-1]), velocity.reshape(-1, q.shape[-1])
        value, grad_net = self.net.value_and_input_gradient(torch.cat([q, velocity], dim=-1))
        momentum = velocity + grad_net[:, q.shape[-1]:]  # ∂L/∂q̇
        energy = (velocity * momentum).sum(-1) - (0.5 * velocity.pow(2).sum(-1) + value)
        return energy.reshape(shape).to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        q, p = x.chunk(2, dim=-1)
        shape = q.shape
        q, p = q.reshape(-1, shape[-1]), p.reshape(-1, shape[-1])
        velocity = self.kinematics.velocity(q, p)
        rate = self.kinematics.momentum_rate(q, velocity, self.acceleration(q, velocity))
        return torch.cat([velocity, rate], dim=-1).reshape(*shape[:-1], 2 * shape[-1])
