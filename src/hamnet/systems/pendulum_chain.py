"""A planar chain of n pendulum links (unit masses and lengths, gravity g = 9.81), in
canonical coordinates: q_i the i-th link's angle from the downward vertical, p = M(q) q̇.

With bob i at x_i = Σ_{j≤i} sin q_j, y_i = −Σ_{j≤i} cos q_j:
T = ½ q̇ᵀ M(q) q̇ with M_jk = (n − max(j, k)) cos(q_j − q_k) (0-based: the bobs below
both links), V = −g Σ_j (n − j) cos q_j, so H = ½ pᵀ M(q)⁻¹ p + V(q), not separable;
the field is J∇H by autograd. Chaotic from n = 2 at moderate energies.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..render.shapes import Drawing, Rod
from .base import EnergyProtocol, System, TrajectoryRecipe

GRAVITY = 9.81
#: Longest chain a task may name (`pendulum-chain:N`).
MAX_LINKS = 20


def parse_links(task: str, text: str) -> int:
    """N of `task:N`: 1 ≤ N ≤ `MAX_LINKS` (`InvalidValueError` naming the task otherwise)."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_LINKS:
        raise InvalidValueError(f"{task}:N needs a number of links N from 1 to {MAX_LINKS}, got {text!r}")
    return int(text)


def chain_drawing(bobs: Tensor, half_width: float) -> Drawing:
    """A chain as rods from the pivot at the origin, bob to bob.  bobs [M, N, 2]."""
    joints = torch.cat([torch.zeros_like(bobs[..., :1, :]), bobs], dim=-2)
    rods = [Rod(joints[..., k, :], joints[..., k + 1, :], 0.06) for k in range(bobs.shape[-2])]
    return Drawing(rods, half_width=half_width)


class PendulumChain(System):
    """`pendulum-chain:N` (N links, default 3); `double-pendulum` is N = 2."""

    name = "pendulum-chain"
    links = 3
    constant_mass = False
    description = "planar chain of N unit pendulum links (pendulum-chain:N, default 3), g = 9.81"
    recipe = TrajectoryRecipe(n_trajectories=200, t_end=3.0, n_points=60, noise_std=0.0)
    energy_protocol = EnergyProtocol(n_states=15, t_end=10.0, n_points=200)
    #: Initial states: angles U(−a, a) with a = `angle` rad, and momenta that put H − V_min
    #: in [`energy_low`, `energy_high`] × g (g: lifting one bob by one link length).
    angle, energy_low, energy_high = 1.0, 0.5, 1.5

    def __init__(self, links: int | None = None) -> None:
        if links is not None:
            self.links = links
        self.dim = 2 * self.links

    @classmethod
    def from_parameter(cls, text: str) -> "PendulumChain":
        """`pendulum-chain:N`: N links, 1 ≤ N ≤ `MAX_LINKS`."""
        return cls(parse_links(cls.name, text))

    @property
    def label(self) -> str:
        """`pendulum-chain-N` (no colon: it names run directories)."""
        return self.name if type(self) is not PendulumChain else f"{self.name}-{self.links}"

    @property
    def cache_name(self) -> str:
        return self.label

    def mass_matrix(self, q: Tensor) -> Tensor:
        """M_jk = (n − max(j, k)) cos(q_j − q_k).  q[..., n] -> [..., n, n]."""
        return self._links_below(q) * torch.cos(q.unsqueeze(-1) - q.unsqueeze(-2))

    def mass_matrix_rate(self, q: Tensor, velocity: Tensor) -> Tensor:
        """dM_jk/dt = −(n − max(j, k)) sin(q_j − q_k)(q̇_j − q̇_k).  q, q̇ [..., n] -> [..., n, n]."""
        return (-self._links_below(q) * torch.sin(q.unsqueeze(-1) - q.unsqueeze(-2))
                * (velocity.unsqueeze(-1) - velocity.unsqueeze(-2)))

    def _links_below(self, q: Tensor) -> Tensor:
        """(n − max(j, k)): the links at or below both j and k.  -> [n, n] of q's dtype."""
        index = torch.arange(self.links, device=q.device)
        return (self.links - torch.maximum(index[:, None], index[None, :])).to(q.dtype)

    def potential(self, q: Tensor) -> Tensor:
        """V = −g Σ_j (n − j) cos q_j.  q[..., n] -> [...]."""
        weights = torch.arange(self.links, 0, -1, dtype=q.dtype, device=q.device)
        return -GRAVITY * (weights * torch.cos(q)).sum(-1)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., :self.links], x[..., self.links:]
        velocity = torch.linalg.solve(self.mass_matrix(q), p.unsqueeze(-1)).squeeze(-1)
        return 0.5 * (p * velocity).sum(-1) + self.potential(q)

    def body_positions(self, x: Tensor) -> Tensor:
        """The bobs in the plane.  x[..., dim] -> [..., n, 2]."""
        q = x[..., :self.links]
        return torch.stack([torch.sin(q).cumsum(-1), -torch.cos(q).cumsum(-1)], dim=-1)

    def drawing(self, x: Tensor) -> Drawing:
        """The links as rods from the pivot at the origin, bob to bob.  x [N, dim]."""
        return chain_drawing(self.body_positions(x), self.links + 0.15)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """Angles U(−a, a); momenta in a uniform direction, scaled so that H − V_min is
        U(low, high) × g (states whose potential already exceeds it are drawn again).
        -> [n, dim] float64."""
        rows: list[Tensor] = []
        lowest = -GRAVITY * self.links * (self.links + 1) / 2
        while sum(len(r) for r in rows) < n:
            q = (2 * torch.rand(2 * n, self.links, generator=generator, dtype=torch.float64) - 1) * self.angle
            target = lowest + GRAVITY * (self.energy_low + (self.energy_high - self.energy_low)
                                         * torch.rand(2 * n, generator=generator, dtype=torch.float64))
            kinetic = target - self.potential(q)
            direction = torch.randn(2 * n, self.links, generator=generator, dtype=torch.float64)
            direction = direction / direction.norm(dim=-1, keepdim=True)
            per_unit = self.hamiltonian(torch.cat([q, direction], dim=-1)) - self.potential(q)  # T of p = direction
            keep = kinetic > 0
            scale = torch.sqrt(kinetic[keep] / per_unit[keep])
            rows.append(torch.cat([q[keep], direction[keep] * scale.unsqueeze(-1)], dim=-1))
        return torch.cat(rows)[:n]

