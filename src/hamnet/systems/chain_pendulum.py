"""A planar chain of N pendulum links in Cartesian coordinates, as in CHNN's benchmark
(Finzi, Wang & Wilson 2020, their `ChainPendulum`): point masses m_i at the bobs, tied to
the pivot and to each other by rods of lengths l_i (`DistanceConstraints`), gravity 9.81.

State x = [x_1, y_1, …, x_N, y_N, p_x1, p_y1, …]: every bob's position, then its momentum
m_i v_i. H = Σ |p_i|² / (2 m_i) + g Σ m_i y_i, and the field is J∇H projected onto the
constraint manifold (`ConstrainedBodies`).

Masses and lengths as their code draws them: m, l ~ U[0.6, 1.4] per link from NumPy's
seed 0, once for the system (their `FixedNumpySeed(0)`), not per trajectory; `unit=True`
gives unit masses and lengths, the angle chain's (`PendulumChain`): `from_angles` and
`to_angles` convert between the two descriptions of the same motion.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..render.shapes import Drawing
from .base import EnergyProtocol, TrajectoryRecipe
from .bodies import ConstrainedBodies
from .constraints import DistanceConstraints
from .pendulum_chain import chain_drawing, parse_links


def chnn_parameters(links: int) -> tuple[list[float], list[float]]:
    """(masses, lengths) per link, outermost last, as CHNN's `ChainPendulum` draws them:
    0.6 + 0.8 U(0, 1) from NumPy's legacy seed 0, masses then lengths, assigned from the
    last draw to the first link."""
    draws = np.random.RandomState(0).rand(2 * links)
    masses = [0.6 + 0.8 * float(u) for u in draws[:links]]
    lengths = [0.6 + 0.8 * float(u) for u in draws[links:]]
    return masses[::-1], lengths[::-1]


class ChainPendulum(ConstrainedBodies):
    """`chain-pendulum:N` (N links, default 2), Cartesian coordinates with constraints."""

    name = "chain-pendulum"
    links = 2
    d = 2
    description = "planar chain of N links in Cartesian coordinates with rod constraints (chain-pendulum:N), CHNN's masses"
    recipe = TrajectoryRecipe(n_trajectories=200, t_end=3.0, n_points=101, noise_std=0.0)
    energy_protocol = EnergyProtocol(n_states=15, t_end=3.0, n_points=100)

    def __init__(self, links: int | None = None, unit: bool = False) -> None:
        if links is not None:
            self.links = links
        self.unit = unit
        self.dim = 4 * self.links
        masses, lengths = ([1.0] * self.links, [1.0] * self.links) if unit else chnn_parameters(self.links)
        self.masses, self.lengths = tuple(masses), tuple(lengths)
        self.constraints = DistanceConstraints(self.links, 2, tuple(range(self.links)), (-1, *range(self.links - 1)),
                                               self.lengths, ((0.0, 0.0),) * self.links)

    @classmethod
    def from_parameter(cls, text: str) -> "ChainPendulum":
        """`chain-pendulum:N`: N links, 1 ≤ N ≤ 20."""
        return cls(parse_links(cls.name, text))

    @property
    def label(self) -> str:
        return f"{self.name}-{self.links}" + ("-unit" if self.unit else "")

    @property
    def cache_name(self) -> str:
        return self.label

    def potential(self, positions: Tensor) -> Tensor:
        """g Σ m_i y_i.  positions [..., 2N] -> [...]."""
        return self.gravity_potential(positions)

    def potential_gradient(self, positions: Tensor) -> Tensor:
        return self.gravity_gradient(positions)

    def from_angles(self, angles: Tensor, rates: Tensor) -> Tensor:
        """The Cartesian state of link angles from the downward vertical and their rates
        (`PendulumChain`'s q and q̇).  angles, rates [b, N] -> [b, 4N]."""
        lengths = angles.new_tensor(self.lengths)
        positions = torch.stack([(lengths * torch.sin(angles)).cumsum(-1), (-lengths * torch.cos(angles)).cumsum(-1)], -1)
        velocity = torch.stack([(lengths * torch.cos(angles) * rates).cumsum(-1),
                                (lengths * torch.sin(angles) * rates).cumsum(-1)], -1)
        flat_v = velocity.reshape(len(angles), -1)
        return torch.cat([positions.reshape(len(angles), -1), flat_v / self.inverse_mass(angles)], dim=-1)

    def to_angles(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The link angles and their rates of Cartesian states.  x[b, 4N] -> ([b, N], [b, N])."""
        positions, p = x.chunk(2, dim=-1)
        joints = positions.reshape(len(x), self.links, 2)
        velocity = (p * self.inverse_mass(x)).reshape(len(x), self.links, 2)
        link = joints - torch.cat([torch.zeros_like(joints[:, :1]), joints[:, :-1]], dim=1)
        link_v = velocity - torch.cat([torch.zeros_like(velocity[:, :1]), velocity[:, :-1]], dim=1)
        angles = torch.atan2(link[..., 0], -link[..., 1])
        rates = (link[..., 0] * link_v[..., 1] - link[..., 1] * link_v[..., 0]) / (link * link).sum(-1)
        return angles, rates

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """As CHNN samples: angles and rates N(0, 1), turned Cartesian, the positions moved
        by 0.2 N(0, 1) and the velocities set to 3 (0.5 v + 0.4 N(0, 1)), then projected back
        onto the constraints (`onto_manifold`).  -> [n, 4N] float64."""
        angles = torch.randn(n, self.links, generator=generator, dtype=torch.float64)
        rates = torch.randn(n, self.links, generator=generator, dtype=torch.float64)
        state = self.from_angles(angles, rates)
        positions, p = state.chunk(2, dim=-1)
        inverse_mass = self.inverse_mass(state)
        positions = positions + 0.2 * torch.randn(positions.shape, generator=generator, dtype=torch.float64)
        velocity = 3 * (0.5 * p * inverse_mass + 0.4 * torch.randn(p.shape, generator=generator, dtype=torch.float64))
        return self.onto_manifold(torch.cat([positions, velocity / inverse_mass], dim=-1))

    def body_positions(self, x: Tensor) -> Tensor:
        """The bobs in the plane.  x[..., 4N] -> [..., N, 2]."""
        return x[..., :2 * self.links].reshape(*x.shape[:-1], self.links, 2)

    def drawing(self, x: Tensor) -> Drawing:
        """The rods from the pivot, bob to bob.  x [M, 4N]."""
        return chain_drawing(self.body_positions(x), sum(self.lengths) + 0.15)
