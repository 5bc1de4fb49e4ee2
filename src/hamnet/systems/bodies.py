"""Point masses in d dimensions tied by distance constraints, in Cartesian coordinates
(CHNN's systems: Finzi, Wang & Wilson 2020). A system of this kind gives its masses, its
`DistanceConstraints` and its potential; the rest is here: H, the constrained field, the
projection onto the constraints and the velocities CHNN scores.

State x = [positions (n·d), momenta (n·d)], body by body; p_i = m_i v_i.
H = Σ |p_i|² / (2 m_i) + V(positions), the field J∇H projected onto the constraint
manifold (`DistanceConstraints.project_field`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import System
from .constraints import DistanceConstraints

#: Gravity of CHNN's systems (their 9.81), along −y in the plane and −z in space.
GRAVITY = 9.81


class ConstrainedBodies(System):
    """Subclasses set `d`, `masses` (one per body) and `constraints` in `__init__`, and
    define `potential` (and may give its gradient in closed form)."""

    constant_mass = True
    d: int = 2
    masses: tuple[float, ...]
    constraints: DistanceConstraints

    def inverse_mass(self, like: Tensor) -> Tensor:
        """1/m of every coordinate's body.  -> [n·d] of `like`'s dtype."""
        return 1 / like.new_tensor(self.masses).repeat_interleave(self.d)

    def mass_matrix(self, q: Tensor) -> Tensor:
        """diag(m_1 … m_1, m_2 …): d entries per body.  q[..., n·d] -> [..., n·d, n·d]."""
        return torch.diag(1 / self.inverse_mass(q)).expand(*q.shape[:-1], -1, -1)

    def velocity_state(self, x: Tensor) -> Tensor:
        """Positions and velocities p / m.  x[..., 2n·d] -> [..., 2n·d]."""
        positions, p = x.chunk(2, dim=-1)
        return torch.cat([positions, p * self.inverse_mass(x)], dim=-1)

    def potential(self, positions: Tensor) -> Tensor:
        """V.  positions [..., n·d] -> [...]."""
        raise NotImplementedError

    def potential_gradient(self, positions: Tensor) -> Tensor:
        """∇V by autograd (systems may give it in closed form).  positions [b, n·d] -> [b, n·d]."""
        with torch.enable_grad():
            y = positions.detach().requires_grad_(True) if not positions.requires_grad else positions
            return torch.autograd.grad(self.potential(y).sum(), y, create_graph=positions.requires_grad)[0]

    def gravity_potential(self, positions: Tensor) -> Tensor:
        """g Σ m_i h_i, h the last coordinate (height).  positions [..., n·d] -> [...]."""
        heights = positions[..., self.d - 1::self.d]
        return GRAVITY * (heights * positions.new_tensor(self.masses)).sum(-1)

    def gravity_gradient(self, positions: Tensor) -> Tensor:
        """∇ of `gravity_potential`: g m_i on each height.  [b, n·d] -> [b, n·d]."""
        gradient = torch.zeros_like(positions)
        gradient[..., self.d - 1::self.d] = GRAVITY * positions.new_tensor(self.masses)
        return gradient

    def hamiltonian(self, x: Tensor) -> Tensor:
        positions, p = x.chunk(2, dim=-1)
        return 0.5 * (p * p * self.inverse_mass(x)).sum(-1) + self.potential(positions)

    def vector_field(self, x: Tensor) -> Tensor:
        """J∇H projected onto the constraints.  x[b, 2n·d] -> [b, 2n·d]."""
        positions, p = x.chunk(2, dim=-1)
        velocity = p * self.inverse_mass(x)
        free = torch.cat([velocity, -self.potential_gradient(positions)], dim=-1)
        return self.constraints.project_field(free, positions, velocity, self.inverse_mass(x))

    def onto_manifold(self, x: Tensor) -> Tensor:
        """The state projected onto the constraints (`DistanceConstraints.project_state`).  x [b, 2n·d]."""
        positions, p = x.chunk(2, dim=-1)
        inverse_mass = self.inverse_mass(x)
        positions, velocity = self.constraints.project_state(positions, p * inverse_mass, inverse_mass)
        return torch.cat([positions, velocity / inverse_mass], dim=-1)

    def constraint_violation(self, x: Tensor) -> Tensor:
        """`DistanceConstraints.violation` of each state.  x [b, 2n·d] -> [b]."""
        positions, p = x.chunk(2, dim=-1)
        return self.constraints.violation(positions, p * self.inverse_mass(x))

    def from_velocities(self, positions: Tensor, velocities: Tensor) -> Tensor:
        """The state of positions and velocities [b, n·d] each.  -> [b, 2n·d]."""
        return torch.cat([positions, velocities / self.inverse_mass(positions)], dim=-1)


def spherical_bobs(angles: Tensor, rates: Tensor, length: float = 1.0) -> tuple[Tensor, Tensor]:
    """Bobs on spheres of radius `length` about their pivots, as CHNN's spherical pendulums
    place them (their ZXZ frame turned −90° about y): the direction
    u(φ, θ) = (−cos θ, sin θ sin φ, sin θ cos φ), so φ = π, θ = π/2 hangs straight down.
    angles, rates [b, n, 2] (φ, θ and their rates) -> (offsets, velocities) [b, n·3] each."""
    phi, theta = angles.unbind(-1)
    phi_rate, theta_rate = rates.unbind(-1)
    direction = torch.stack([-torch.cos(theta), torch.sin(theta) * torch.sin(phi),
                             torch.sin(theta) * torch.cos(phi)], dim=-1)
    d_theta = torch.stack([torch.sin(theta), torch.cos(theta) * torch.sin(phi), torch.cos(theta) * torch.cos(phi)], -1)
    d_phi = torch.stack([torch.zeros_like(phi), torch.sin(theta) * torch.cos(phi), -torch.sin(theta) * torch.sin(phi)], -1)
    velocity = d_theta * theta_rate.unsqueeze(-1) + d_phi * phi_rate.unsqueeze(-1)
    return (length * direction).flatten(-2), (length * velocity).flatten(-2)


def ring(count: int, radius: float, height: float) -> list[tuple[float, float, float]]:
    """`count` points evenly around a horizontal circle of `radius` at `height`, from angle 0."""
    return [(radius * math.cos(2 * math.pi * k / count), radius * math.sin(2 * math.pi * k / count), height)
            for k in range(count)]
