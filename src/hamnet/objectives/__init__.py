"""Registry of training objectives: `names()`, `get(name)`.

An objective is chosen by the experiment (its data: derivatives or observation pairs),
not by the model class; a new one is one file plus one registry line.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidValueError, UnknownNameError
from .autoencoder import AutoencoderObjective
from .base import Objective
from .derivative import DerivativeMSE
from .rollout import RolloutObjective

_REGISTRY: dict[str, type[Objective]] = {
    DerivativeMSE.name: DerivativeMSE,
    AutoencoderObjective.name: AutoencoderObjective,
    RolloutObjective.name: RolloutObjective,
}


def names() -> list[str]:
    """Names of all registered objectives."""
    return list(_REGISTRY)


def get(name: str, options: dict[str, Any] | None = None) -> Objective:
    """The objective called `name` with its settings `options` (keyword arguments); raises
    `UnknownNameError` listing the known ones, `InvalidValueError` for a bad setting."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown objective {name!r}; known objectives: {', '.join(names())}")
    try:
        return _REGISTRY[name](**(options or {}))
    except TypeError as exc:
        raise InvalidValueError(f"objective {name!r} takes no such setting: {exc}") from None


__all__ = ["AutoencoderObjective", "DerivativeMSE", "Objective", "RolloutObjective", "get", "names"]
