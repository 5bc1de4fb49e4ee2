"""Registry of dynamics models: `names()`, `build(kind, dim, ...)`, `from_spec(spec)`."""

from __future__ import annotations

from typing import Any

import torch

from ..errors import UnknownNameError
from .base import DynamicsModel
from .baseline import Baseline
from .hnn import HNN

_REGISTRY: dict[str, type[DynamicsModel]] = {
    Baseline.kind: Baseline,
    HNN.kind: HNN,
}


def names() -> list[str]:
    """Names of all registered models."""
    return list(_REGISTRY)


def build(kind: str, dim: int, hidden: tuple[int, ...] = (200, 200),
          generator: torch.Generator | None = None) -> DynamicsModel:
    """A freshly initialised model of `kind` for states of size `dim`."""
    if kind not in _REGISTRY:
        raise UnknownNameError(f"unknown model {kind!r}; known models: {', '.join(names())}")
    return _REGISTRY[kind](dim, tuple(hidden), generator=generator)


def from_spec(spec: dict[str, Any]) -> DynamicsModel:
    """Rebuild (uninitialised weights) from `DynamicsModel.spec()`."""
    return build(spec["kind"], int(spec["dim"]), tuple(spec["hidden"]))


__all__ = ["HNN", "Baseline", "DynamicsModel", "build", "from_spec", "names"]
