"""Real pendulum (Schmidt & Lipson 2009 measurements) with the paper's hand-fit energy.

H = 2.4 (1 − cos q) + p²  (q: angle in rad, p: angular velocity in rad/s, as measured).
The measured motion is damped, so this H only approximately holds along the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..errors import InvalidValueError
from .base import EnergyProtocol, System, sample_annulus



@dataclass(frozen=True)
class SeriesRecipe:
    """How a measured series becomes a training set.

    `derivative`: "forward" (the HNN paper's: (x_{i+1} − x_i)/(t_{i+1} − t_i) at rows
    0..N−2), "central" (the D-HNN paper's: the mean of the forward differences on either
    side of each row, the backward one at the last row; rows 1..N−1), or another of
    `hamnet.data.derivatives.METHODS`. On this series
    forward differences shift every derivative by −(ω²h/2)·x, an inward pull that reads as
    damping: the energy decay they imply is 16× the measured one (central: 1.0×; see
    docs/tasks.md). The first `train_fraction` of the rows train, the rest test.
    """

    derivative: str = "forward"
    train_fraction: float = 0.8

    def __post_init__(self) -> None:
        from ..data.derivatives import METHODS

        if self.derivative not in METHODS:
            raise InvalidValueError(f"recipe.derivative must be one of {', '.join(METHODS)}, "
                                    f"got {self.derivative!r}")
        if not 0.0 < self.train_fraction < 1.0:
            raise InvalidValueError(f"recipe.train_fraction must be between 0 and 1, got {self.train_fraction}")


class RealPendulum(System):
    """Measured pendulum; its data come from a file (`hamnet.data.real_pendulum`), not a recipe.

    `energy_protocol`: the evaluation rolls out from the first test state over the test
    segment's own time stamps (`Dataset.extras["t_test"]`).
    """

    name = "real-pendulum"
    dim = 2
    separable = True  # H = T(p) + V(q)
    description = "real pendulum (Schmidt & Lipson data), fitted H = 2.4(1 - cos q) + p^2"
    data_source = "real-pendulum"
    recipe = SeriesRecipe()
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
