"""Frames of systems: shapes in the plane (`shapes`) and their vectorised rendering
(`frames`). A system draws itself with `System.drawing(x) -> Drawing`."""

from .frames import pixel_centres, render_drawing, render_states
from .shapes import Block, Disc, Drawing, Rod, Shape

__all__ = ["Block", "Disc", "Drawing", "Rod", "Shape", "pixel_centres", "render_drawing", "render_states"]
