"""Frames of any system that draws itself (`System.drawing`), vectorised over the batch:
every pixel's coverage by every shape from signed distances, with no per-frame loop."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..errors import InvalidValueError
from .shapes import Drawing

#: Frames are rendered this many states at a time (memory: chunk × side² × shapes floats).
CHUNK = 2048


def pixel_centres(drawing: Drawing, side: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """World coordinates of the centres of a side × side frame's pixels, row 0 at the top.  -> [S, S, 2]."""
    h, (cx, cy) = drawing.half_width, drawing.centre
    offsets = (torch.arange(side, dtype=dtype) + 0.5) / side * (2 * h) - h
    y, x = torch.meshgrid(cy - offsets, cx + offsets, indexing="ij")
    return torch.stack([x, y], dim=-1)


def render_drawing(drawing: Drawing, side: int) -> Tensor:
    """Grey levels [..., S, S] in [0, 1]: each pixel the brightest shape covering its centre,
    edges antialiased over one pixel (coverage = clamp(1/2 − distance / pixel, 0, 1))."""
    points = pixel_centres(drawing, side)
    pixel = 2 * drawing.half_width / side
    levels = [shape.level * (0.5 - shape.distance(points) / pixel).clamp(0.0, 1.0) for shape in drawing.shapes]
    return torch.stack(levels).amax(dim=0)


def render_states(draw: Callable[[Tensor], Drawing | None], states: Tensor, side: int) -> Tensor:
    """Frames of `states` [N, dim] drawn by `draw` (a system's `drawing`).  -> [N, S, S]
    float32 in [0, 1]; computed in float64, `CHUNK` states at a time."""
    frames = []
    for start in range(0, states.shape[0], CHUNK):
        drawing = draw(states[start:start + CHUNK].to(torch.float64))
        if drawing is None:
            raise InvalidValueError("this system draws no frames (it defines no `drawing`)")
        frames.append(render_drawing(drawing, side).to(torch.float32))
    return torch.cat(frames) if frames else torch.empty(0, side, side)
