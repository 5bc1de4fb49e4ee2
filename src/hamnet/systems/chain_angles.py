"""CHNN's chain (`chain-pendulum:N`: their masses and lengths, their initial states) in link
angles and their canonical momenta, as CHNN's HNN and NODE saw it (Finzi, Wang & Wilson 2020
trained those in angle coordinates): `chain-angles:N`. The same motions as the Cartesian
chain, so models of either description are scored on the bodies' Cartesian positions and
velocities (`velocity_state`, the long-horizon protocol's `velocities`).

q_j the angle of link j from the downward vertical, M_jk = l_j l_k cos(q_j − q_k) Σ_{i ≥ max(j,k)} m_i,
V = −g Σ_j l_j cos q_j Σ_{i ≥ j} m_i, H = ½ pᵀ M(q)⁻¹ p + V.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..render.shapes import Drawing
from .base import System
from .bodies import GRAVITY
from .chain_pendulum import ChainPendulum
from .pendulum_chain import chain_drawing, parse_links


class ChainAngles(System):
    """`chain-angles:N` (N links, default 2): CHNN's chain in angle coordinates."""

    name = "chain-angles"
    links = 2
    constant_mass = False
    description = "CHNN's chain of N links (chain-pendulum:N) in link angles and their momenta"
    recipe = ChainPendulum.recipe
    energy_protocol = ChainPendulum.energy_protocol

    def __init__(self, links: int | None = None) -> None:
        if links is not None:
            self.links = links
        self.dim = 2 * self.links
        self.cartesian = ChainPendulum(self.links)
        self.masses, self.lengths = self.cartesian.masses, self.cartesian.lengths

    @classmethod
    def from_parameter(cls, text: str) -> "ChainAngles":
        """`chain-angles:N`: N links, 1 ≤ N ≤ 20."""
        return cls(parse_links(cls.name, text))

    @property
    def label(self) -> str:
        return f"{self.name}-{self.links}"

    @property
    def cache_name(self) -> str:
        return self.label

    def _mass_below(self, like: Tensor) -> Tensor:
        """Σ_{i ≥ j} m_i: the mass each link carries.  -> [N]."""
        return like.new_tensor(self.masses).flip(0).cumsum(0).flip(0)

    def _weights(self, like: Tensor) -> Tensor:
        """l_j l_k Σ_{i ≥ max(j, k)} m_i.  -> [N, N]."""
        below = self._mass_below(like)
        index = torch.arange(self.links, device=like.device)
        lengths = like.new_tensor(self.lengths)
        return below[torch.maximum(index[:, None], index[None, :])] * lengths[:, None] * lengths[None, :]

    def mass_matrix(self, q: Tensor) -> Tensor:
        """M(q).  q[..., N] -> [..., N, N]."""
        return self._weights(q) * torch.cos(q.unsqueeze(-1) - q.unsqueeze(-2))

    def mass_matrix_rate(self, q: Tensor, velocity: Tensor) -> Tensor:
        """dM/dt.  q, q̇ [..., N] -> [..., N, N]."""
        return (-self._weights(q) * torch.sin(q.unsqueeze(-1) - q.unsqueeze(-2))
                * (velocity.unsqueeze(-1) - velocity.unsqueeze(-2)))

    def potential(self, q: Tensor) -> Tensor:
        """V(q).  q[..., N] -> [...]."""
        return -GRAVITY * (self._mass_below(q) * q.new_tensor(self.lengths) * torch.cos(q)).sum(-1)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., :self.links], x[..., self.links:]
        velocity = torch.linalg.solve(self.mass_matrix(q), p.unsqueeze(-1)).squeeze(-1)
        return 0.5 * (p * velocity).sum(-1) + self.potential(q)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """The Cartesian chain's initial states (the same generator draws the same states),
        in angles and momenta.  -> [n, 2N] float64."""
        angles, rates = self.cartesian.to_angles(self.cartesian.sample_initial(n, generator))
        momenta = (self.mass_matrix(angles) @ rates.unsqueeze(-1)).squeeze(-1)
        return torch.cat([angles, momenta], dim=-1)

    def velocity_state(self, x: Tensor) -> Tensor:
        """The bobs' Cartesian positions and velocities, as the Cartesian chain's
        `velocity_state` gives them.  x[..., 2N] -> [..., 4N]."""
        flat = super().velocity_state(x.reshape(-1, self.dim))  # (q, q̇)
        cartesian = self.cartesian.from_angles(flat[:, :self.links], flat[:, self.links:])
        return self.cartesian.velocity_state(cartesian).reshape(*x.shape[:-1], 4 * self.links)

    def body_positions(self, x: Tensor) -> Tensor:
        """The bobs in the plane.  x[..., 2N] -> [..., N, 2]."""
        q, lengths = x[..., :self.links], x.new_tensor(self.lengths)
        return torch.stack([(lengths * torch.sin(q)).cumsum(-1), (-lengths * torch.cos(q)).cumsum(-1)], dim=-1)

    def drawing(self, x: Tensor) -> Drawing:
        """The rods from the pivot, bob to bob.  x [M, 2N]."""
        return chain_drawing(self.body_positions(x), sum(self.lengths) + 0.15)
