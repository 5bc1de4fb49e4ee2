"""Shapes a frame is drawn from, each batched over states: discs, rods and blocks in the
plane, with the signed distance from a pixel's centre that antialiases their edges."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Disc:
    """A disc of `radius` (world units) at `centre` [..., 2], drawn at grey `level` in (0, 1]."""

    centre: Tensor
    radius: float
    level: float = 1.0

    def distance(self, points: Tensor) -> Tensor:
        """Signed distance (negative inside) of `points` [S, S, 2] from every disc.  -> [..., S, S]."""
        return (points - self.centre[..., None, None, :]).norm(dim=-1) - self.radius


@dataclass(frozen=True)
class Rod:
    """A rod from `start` to `end` [..., 2] with round ends, `half_width` world units thick
    on either side of its axis, drawn at grey `level`."""

    start: Tensor
    end: Tensor
    half_width: float
    level: float = 1.0

    def distance(self, points: Tensor) -> Tensor:
        a, b = self.start[..., None, None, :], self.end[..., None, None, :]
        axis = b - a
        along = ((points - a) * axis).sum(-1) / axis.pow(2).sum(-1).clamp_min(1e-12)
        nearest = a + along.clamp(0.0, 1.0)[..., None] * axis
        return (points - nearest).norm(dim=-1) - self.half_width


@dataclass(frozen=True)
class Block:
    """An axis-aligned rectangle of half sides `half_size` (x, y) at `centre` [..., 2]."""

    centre: Tensor
    half_size: tuple[float, float]
    level: float = 1.0

    def distance(self, points: Tensor) -> Tensor:
        half = torch.tensor(self.half_size, dtype=points.dtype)
        offset = (points - self.centre[..., None, None, :]).abs() - half
        outside = offset.clamp_min(0.0).norm(dim=-1)
        inside = offset.max(dim=-1).values.clamp_max(0.0)
        return outside + inside


Shape = Disc | Rod | Block


@dataclass(frozen=True)
class Drawing:
    """What a frame shows: `shapes` in the square window of `half_width` world units about
    `centre`, y pointing up."""

    shapes: list[Shape]
    half_width: float
    centre: tuple[float, float] = (0.0, 0.0)
