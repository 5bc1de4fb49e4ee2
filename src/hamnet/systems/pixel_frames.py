"""Frames of any system that draws itself: `pixel-spring`, `pixel-two-body`, ….

`frames_of(System)` makes the pixel task of a system with a `drawing` (`hamnet.render`):
trajectories of its true flow (the system's own sampler, float64, batched) rendered to
28×28 grey frames with values in [0, 0.5] like the pixel pendulum's, two consecutive
frames stacked into one observation; models learn in the latent space of an autoencoder
(`LatentModel`, the `autoencoder` objective) whose time unit is one frame. The system's
coordinates are kept for evaluation only (`hamnet.data.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..render.shapes import Drawing
from .base import EnergyProtocol, System

SIDE = 28  # frames are SIDE × SIDE, as the pixel pendulum's


@dataclass(frozen=True)
class FramesRecipe:
    """`n_trajectories` trajectories over [0, t_end], each seen in `n_frames` frames (both
    ends included, so a frame is t_end / (n_frames − 1) time units); the last
    `test_fraction` of them test. The first `n_reference` test trajectories are also drawn
    over `horizon` × t_end: the rollouts that energy, state error and the figures score.
    """

    n_trajectories: int
    t_end: float
    n_frames: int
    test_fraction: float = 0.2
    horizon: float = 5.0
    n_reference: int = 15
    #: Turn each trajectory's initial state by an angle drawn uniformly in [0, 2π) about the
    #: origin (systems symmetric under rotations of the plane, `System.turned`), so that
    #: short trajectories still cover every direction.
    turn: bool = False

    #: What a config saved before a field existed meant.
    EARLIER: ClassVar[dict[str, Any]] = {"turn": False}

    def __post_init__(self) -> None:
        n_test = int(self.n_trajectories * self.test_fraction)
        if self.n_frames < 3:
            raise InvalidValueError(f"recipe.n_frames must be at least 3 (one pair of stacked frames), "
                                    f"got {self.n_frames}")
        if not 0.0 < self.test_fraction < 1.0 or n_test < 1 or n_test == self.n_trajectories:
            raise InvalidValueError(f"{self.n_trajectories} trajectories with test_fraction {self.test_fraction} "
                                    "leave an empty train or test set")
        if not (self.t_end > 0 and self.horizon >= 1 and self.n_reference >= 1):
            raise InvalidValueError("recipe.t_end must be positive, horizon at least 1 and n_reference at least 1, "
                                    f"got {self.t_end}, {self.horizon}, {self.n_reference}")

    @property
    def frame_dt(self) -> float:
        """Time units between frames."""
        return self.t_end / (self.n_frames - 1)

    @property
    def reference_frames(self) -> int:
        """Frames of a reference trajectory: `horizon` × the training span, and its end."""
        return round(self.horizon * (self.n_frames - 1)) + 1


def frames_of(base: type[System], recipe: FramesRecipe, description: str = "") -> type[System]:
    """The pixel task of `base` (a system with a `drawing`): a `System` class named
    `pixel-<base.name>` with `base`'s coordinates, energy and flow."""

    class Frames(System):
        name = f"pixel-{base.name}"
        dim = base.dim
        separable = base.separable
        conservative = base.conservative
        observation_dim = 2 * SIDE * SIDE
        data_source = "frames"
        energy_protocol = EnergyProtocol(on_test_segment=True)

        def __init__(self) -> None:
            self.base = base()

        def hamiltonian(self, x: Tensor) -> Tensor:
            return self.base.hamiltonian(x)

        def vector_field(self, x: Tensor) -> Tensor:
            """The true field in the base system's time units (a frame is `recipe.frame_dt` of them)."""
            return self.base.vector_field(x)

        def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
            return self.base.sample_initial(n, generator)

        def body_positions(self, x: Tensor) -> Tensor | None:
            return self.base.body_positions(x)

        def drawing(self, x: Tensor) -> Drawing | None:
            return self.base.drawing(x)

        def turned(self, x: Tensor, angle: Tensor) -> Tensor:
            return self.base.turned(x, angle)

    Frames.recipe = recipe
    Frames.description = description or f"{base.name} seen through 28x28 frames (two stacked), latent model"
    Frames.__name__ = Frames.__qualname__ = f"FramesOf{base.__name__}"
    return Frames


__all__ = ["FramesRecipe", "SIDE", "frames_of"]
