"""Point masses in 2-D under Newtonian gravity (the paper's two- and three-body tasks).

State layout for N bodies: x = [q_1x, q_1y, ..., q_Nx, q_Ny, p_1x, p_1y, ..., p_Nx, p_Ny],
all positions then all momenta. The paper's units: every mass 1, G = 1, so p = velocity.
"""

from __future__ import annotations

import functools
import math
from typing import ClassVar

import torch
from torch import Tensor

from ..render.shapes import Disc, Drawing
from .base import EnergyProtocol, System, TrajectoryRecipe


#: Grey levels of the bodies in frames: equal discs of equal brightness would make a state
#: and the state with two bodies swapped the same picture.
BODY_LEVELS = (1.0, 0.55, 0.775)


def _rotate(v: Tensor, angle: Tensor | float) -> Tensor:
    """Rotate 2-D vectors counter-clockwise.  v[..., 2], angle broadcastable to v[..., 0] (rad)."""
    angle = torch.as_tensor(angle, dtype=v.dtype, device=v.device)
    c, s = torch.cos(angle), torch.sin(angle)
    return torch.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], dim=-1)


@functools.lru_cache(maxsize=None)
def _pair_structure(n_bodies: int, dtype: torch.dtype, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Pairs i < j of `n_bodies`: (first [P], second [P], incidence C [P, N] with +1 at a
    pair's first body and −1 at its second). Built once per (N, dtype, device): the field
    is evaluated thousands of times per data set."""
    first, second = torch.triu_indices(n_bodies, n_bodies, offset=1, device=device)
    incidence = torch.zeros(first.numel(), n_bodies, dtype=dtype, device=device)
    pairs = torch.arange(first.numel(), device=device)
    incidence[pairs, first], incidence[pairs, second] = 1.0, -1.0
    return first, second, incidence


class NBody(System):
    """N point masses in the plane: H = Σ |p_i|² / (2 m_i) − Σ_{i<j} G m_i m_j / r_ij.

    Subclasses set `n_bodies`, `masses` (length `n_bodies`), `gravity`, `dim = 4 n_bodies`,
    and the recipe, protocol and sampler.
    """

    n_bodies: ClassVar[int]
    masses: ClassVar[tuple[float, ...]]
    gravity: ClassVar[float] = 1.0
    #: Half the side of the square of the plane that frames show (world units, about 0).
    view_half_width: ClassVar[float] = 2.0
    separable = True  # H = T(p) + V(q)

    def body_positions(self, x: Tensor) -> Tensor:
        """Body positions.  x[..., dim] -> [..., N, 2]."""
        return x[..., : 2 * self.n_bodies].unflatten(-1, (self.n_bodies, 2))

    def drawing(self, x: Tensor) -> Drawing:
        """The bodies as discs, each at its own grey level (so frames tell them apart).  x [N, dim]."""
        bodies = self.body_positions(x)
        discs = [Disc(bodies[..., k, :], 0.3, BODY_LEVELS[k % len(BODY_LEVELS)]) for k in range(self.n_bodies)]
        return Drawing(discs, half_width=self.view_half_width)

    def turned(self, x: Tensor, angle: Tensor) -> Tensor:
        """Every body's position and momentum turned by `angle` [n] (rad) about the origin
        (gravity is symmetric under rotations).  x [n, dim] -> [n, dim]."""
        turn = angle[:, None]
        return self._state(_rotate(self.body_positions(x), turn), _rotate(self.momenta(x), turn))

    def momenta(self, x: Tensor) -> Tensor:
        """Body momenta.  x[..., dim] -> [..., N, 2]."""
        return x[..., 2 * self.n_bodies :].unflatten(-1, (self.n_bodies, 2))

    def mass_matrix(self, q: Tensor) -> Tensor:
        """diag(m_1, m_1, m_2, m_2, ...): each body's mass on both of its coordinates.
        q[..., 2N] -> [..., 2N, 2N]."""
        diagonal = self._mass(q).repeat_interleave(2)
        return torch.diag(diagonal).expand(*q.shape[:-1], 2 * self.n_bodies, 2 * self.n_bodies)

    def _mass(self, x: Tensor) -> Tensor:
        return torch.tensor(self.masses, dtype=x.dtype, device=x.device)

    def _pairs(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Geometry of the pairs i < j (P of them), as 2-D tensors (fast for big batches).

        x[..., dim] -> (dx, dy [..., P] = q_j − q_i, r² [..., P], G m_i m_j [P]).
        """
        first, second, _ = _pair_structure(self.n_bodies, x.dtype, x.device)
        qx, qy = x[..., 0: 2 * self.n_bodies: 2], x[..., 1: 2 * self.n_bodies: 2]
        dx, dy = qx[..., second] - qx[..., first], qy[..., second] - qy[..., first]
        m = self._mass(x)
        return dx, dy, dx * dx + dy * dy, self.gravity * m[first] * m[second]

    def hamiltonian(self, x: Tensor) -> Tensor:
        """Total energy (kinetic + gravitational potential).  x[..., dim] -> [...]."""
        kinetic = ((self.momenta(x) ** 2).sum(-1) / (2 * self._mass(x))).sum(-1)
        _, _, r2, pair_mass = self._pairs(x)
        return kinetic - (pair_mass * r2.rsqrt()).sum(-1)

    def vector_field(self, x: Tensor) -> Tensor:
        """dq_i/dt = p_i / m_i,  dp_i/dt = Σ_j G m_i m_j (q_j − q_i) / r_ij³.  x[..., dim] -> [..., dim].

        Pair forces are summed onto bodies by the incidence matrix C [P, N] (+1 on a pair's
        first body, −1 on its second): Newton's third law by construction.
        """
        dx, dy, r2, pair_mass = self._pairs(x)
        weight = pair_mass / (r2 * r2.sqrt())  # G m_i m_j / r³  [..., P]
        incidence = _pair_structure(self.n_bodies, x.dtype, x.device)[2]
        force = torch.stack([(weight * dx) @ incidence, (weight * dy) @ incidence], dim=-1)  # [..., N, 2]
        velocity = self.momenta(x) / self._mass(x).unsqueeze(-1)
        return torch.cat([velocity.flatten(-2), force.flatten(-2)], dim=-1)

    def _state(self, q: Tensor, p: Tensor) -> Tensor:
        """Pack positions and momenta.  q, p [n, N, 2] -> [n, dim]."""
        return torch.cat([q.flatten(-2), p.flatten(-2)], dim=-1)


class TwoBody(NBody):
    """Two unit masses on near-circular orbits about their common centre of mass (at rest at 0)."""

    name = "two-body"
    dim = 8
    n_bodies = 2
    view_half_width = 2.5  # |q_1| ≤ 2.12 at the start, and near-circular orbits
    masses = (1.0, 1.0)
    description = "two-body gravity, m = 1, G = 1, near-circular orbits"
    recipe = TrajectoryRecipe(n_trajectories=1000, t_end=20.0, n_points=50, noise_std=0.0,
                              test_fraction=0.2, test_first=True, rtol=1e-9, atol=1e-9)
    energy_protocol = EnergyProtocol(n_states=15, t_end=25.0, n_points=500)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """The original `random_config`.  -> [n, 8] float64.

        Body 1 sits at q_1 with each coordinate ~ U(0.5, 1.5) (as the original code; so
        |q_1| lies in [0.71, 2.12], not "radius U(0.5, 1.5)"), body 2 at −q_1. Body 1 moves
        with the circular-orbit velocity v = (−q_1y, q_1x) / (2 |q_1|^1.5) times one factor
        (1 + 0.05 N(0, 1)) per orbit; body 2 with −v.
        """
        pos = 0.5 + torch.rand(n, 2, generator=generator, dtype=torch.float64)
        stretch = 1 + 0.05 * torch.randn(n, 1, generator=generator, dtype=torch.float64)
        radius = pos.norm(dim=-1, keepdim=True)
        vel = torch.stack([-pos[:, 1], pos[:, 0]], dim=-1) / (2 * radius**1.5) * stretch
        return self._state(torch.stack([pos, -pos], dim=1), torch.stack([vel, -vel], dim=1))


class ThreeBody(NBody):
    """Three unit masses starting near a rotating equilateral-triangle (Lagrange) orbit."""

    name = "three-body"
    dim = 12
    n_bodies = 3
    masses = (1.0, 1.0, 1.0)
    description = "three-body gravity, m = 1, G = 1, perturbed equilateral orbits"
    recipe = TrajectoryRecipe(n_trajectories=5000, t_end=5.0, n_points=20, noise_std=0.0,
                              test_fraction=0.2, test_first=True, rtol=1e-9, atol=1e-9)
    energy_protocol = EnergyProtocol(n_states=15, t_end=3.0, n_points=500)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """The original `random_config`.  -> [n, 12] float64.

        Body 1 at a direction drawn uniformly in [−1, 1]² and normalised, at radius
        r ~ U(0.9, 1.2); bodies 2, 3 at body 1 rotated by 120°, 240°. Body 1's velocity is
        its position rotated by 90° times sqrt(sin(π/3) / (2 cos²(π/6))) / r^1.5 (the
        circular speed), bodies 2, 3 likewise rotated; every velocity component is then
        scaled by its own (1 + 0.2 U(−1, 1)).
        """
        direction = 2 * torch.rand(n, 2, generator=generator, dtype=torch.float64) - 1
        radius = 0.9 + 0.3 * torch.rand(n, 1, generator=generator, dtype=torch.float64)
        jitter = 1 + 0.2 * (2 * torch.rand(n, 3, 2, generator=generator, dtype=torch.float64) - 1)
        q1 = direction / direction.norm(dim=-1, keepdim=True) * radius
        speed = math.sqrt(math.sin(math.pi / 3) / (2 * math.cos(math.pi / 6) ** 2)) / radius**1.5
        v1 = _rotate(q1, math.pi / 2) * speed
        turns = torch.tensor([0.0, 2 * math.pi / 3, 4 * math.pi / 3], dtype=torch.float64)
        q = _rotate(q1.unsqueeze(1), turns)  # [n, 3, 2]
        v = _rotate(v1.unsqueeze(1), turns) * jitter
        return self._state(q, v)
