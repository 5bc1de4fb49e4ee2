"""Real pendulum (Schmidt & Lipson 2009 measurements) with the paper's hand-fit energy.

H = 2.4 (1 − cos q) + p²  (q: angle in rad, p: angular velocity in rad/s, as measured).
The measured motion is damped, so this H only approximately holds along the data.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import EnergyProtocol, System, sample_annulus


class RealPendulum(System):
    """Measured pendulum; its data come from a file (`hamnet.data.real_pendulum`), not a recipe.

    `energy_protocol`: the evaluation rolls out from the first test state over the test
    segment's own time stamps (`Dataset.extras["t_test"]`).
    """

    name = "real-pendulum"
    dim = 2
    description = "real pendulum (Schmidt & Lipson data), fitted H = 2.4(1 - cos q) + p^2"
    data_source = "real-pendulum"
    recipe = None
    energy_protocol = EnergyProtocol(n_states=1, on_test_segment=True)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return 2.4 * (1 - torch.cos(q)) + p**2

    def vector_field(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return torch.stack([2 * p, -2.4 * torch.sin(q)], dim=-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """States for plots only, covering the measured range (|q|, |p| ≲ 1.5).  -> [n, 2] float64."""
        return sample_annulus(n, 0.3, 1.5, generator)
