"""Registry of training objectives: `names()`, `get(name)`.

An objective is chosen by the experiment (its data: derivatives or observation pairs),
not by the model class; a new one is one file plus one registry line.
"""

from __future__ import annotations

from ..errors import UnknownNameError
from .autoencoder import AutoencoderObjective
from .base import Objective
from .derivative import DerivativeMSE

_REGISTRY: dict[str, type[Objective]] = {
    DerivativeMSE.name: DerivativeMSE,
    AutoencoderObjective.name: AutoencoderObjective,
}


def names() -> list[str]:
    """Names of all registered objectives."""
    return list(_REGISTRY)


def get(name: str) -> Objective:
    """The objective called `name`; raises `UnknownNameError` listing the known ones."""
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise UnknownNameError(f"unknown objective {name!r}; known objectives: {', '.join(names())}") from None


__all__ = ["AutoencoderObjective", "DerivativeMSE", "Objective", "get", "names"]
