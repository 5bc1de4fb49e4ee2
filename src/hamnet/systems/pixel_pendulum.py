"""Pixel pendulum: Gymnasium's Pendulum-v1 seen through rendered frames (paper §2).

Coordinates (θ, p): θ from the hanging position in rad, p = 0.25·θ̇ (θ̇ in rad/s), the
paper's choice. Gym's rod (m = 1, l = 1, I = 1/3, g = 10) gives θ̈ = −15 sin θ, so
H = 2p² + 3.75(1 − cos θ) generates the flow: dθ/dt = 4p, dp/dt = −3.75 sin θ.
Models never see these coordinates: they learn from stacked frames (`observation_dim`),
in a latent space whose time unit is one frame (0.05 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from ..errors import InvalidValueError
from .base import EnergyProtocol, System

#: Pillow filters a frame may be resized with (`PixelRecipe.resize`).
RESIZE_FILTERS = ("bilinear", "box")


@dataclass(frozen=True)
class PixelRecipe:
    """The paper's pixel data: `n_episodes` zero-torque episodes of `n_frames` frames, the
    last `test_fraction` of the episodes test (`hamnet.data.pixels`).

    Frames: the square of side `crop_width` world units whose top edge lies `crop_top`
    above the pivot (the rod is 1.0 long plus a 0.1 end cap), resized to 28×28 with
    Pillow's `resize` filter. The defaults are the original code's: its crop
    `[440:-220, 330:-330]` of a 1000-pixel render of the 4.4-unit world, and
    `scipy.misc.imresize`, which resized with Pillow's bilinear filter.
    """

    n_episodes: int = 200
    n_frames: int = 103
    test_fraction: float = 0.2
    crop_width: float = 1.496
    crop_top: float = 0.264
    resize: str = "bilinear"

    #: What a config saved before a field existed meant (hamnet's frames until 2026-12-01).
    EARLIER: ClassVar[dict[str, Any]] = {"crop_width": 1.4, "crop_top": 0.2, "resize": "box"}

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_FILTERS:
            raise InvalidValueError(f"recipe.resize must be one of {', '.join(RESIZE_FILTERS)}, got {self.resize!r}")
        if not (0.2 <= self.crop_width <= 4.4 and 0.0 <= self.crop_top < self.crop_width):
            raise InvalidValueError(f"recipe.crop_width must lie in [0.2, 4.4] world units and crop_top in "
                                    f"[0, crop_width), got {self.crop_width} and {self.crop_top}")


class PixelPendulum(System):
    name = "pixel-pendulum"
    dim = 2
    separable = True  # H = T(p) + V(q)
    observation_dim = 2 * 28 * 28  # two stacked 28×28 frames
    description = "Gym Pendulum-v1 frames (28×28, two stacked), latent HNN; H = 2p^2 + 3.75(1 - cos q)"
    data_source = "pixel-pendulum"
    recipe = PixelRecipe()
    energy_protocol = EnergyProtocol(on_test_segment=True, reversibility_steps=60)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return 2 * p**2 + 3.75 * (1 - torch.cos(q))

    def paper_energy(self, x: Tensor) -> Tensor:
        """The energy the paper's notebook scored with, `1.9(1 − cos q) + p²` (its
        `hamiltonian_fn`; about half of `hamiltonian`, so its MSEs are about a quarter).  [..., 2] -> [...]."""
        q, p = x[..., 0], x[..., 1]
        return 1.9 * (1 - torch.cos(q)) + p**2

    def vector_field(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return torch.stack([4 * p, -3.75 * torch.sin(q)], dim=-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """The episodes' initial states: θ ~ U(−π/6, π/6), θ̇ ~ U(−1, 1).  -> [n, 2] float64."""
        u = 2 * torch.rand(n, 2, generator=generator, dtype=torch.float64) - 1
        return u * torch.tensor([math.pi / 6, 0.25], dtype=torch.float64)
