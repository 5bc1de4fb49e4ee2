"""Registry of export formats (`hamnet export --format`): `names()`, `get(name)`."""

from __future__ import annotations

from ...errors import UnknownNameError
from .aoti import Aoti
from .base import Format, Runner
from .onnx import Onnx
from .pt2 import Pt2

_REGISTRY: dict[str, Format] = {f.name: f for f in (Onnx(), Pt2(), Aoti())}


def names() -> list[str]:
    """The formats, in the order the CLI lists them."""
    return list(_REGISTRY)


def get(name: str) -> Format:
    """The format called `name` (`UnknownNameError` naming the known ones otherwise)."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown export format {name!r}; known formats: {', '.join(names())}")
    return _REGISTRY[name]


__all__ = ["Format", "Runner", "get", "names"]
