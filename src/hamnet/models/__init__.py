"""Registry of dynamics models: `names()`, `build(kind, dim, ...)`."""

from __future__ import annotations

from typing import Any

import torch

from ..errors import InvalidValueError, UnknownNameError
from .base import DynamicsModel
from .baseline import Baseline
from .chnn import CHNN
from .clnn import CLNN
from .dhnn import DHNN
from .hnn import HNN
from .hnn_separable import SeparableHNN
from .kinematics import Kinematics
from .latent import LatentModel
from .lnn import LNN
from .second_order import SecondOrder

_REGISTRY: dict[str, type[DynamicsModel]] = {
    Baseline.kind: Baseline,
    HNN.kind: HNN,
    DHNN.kind: DHNN,
    SeparableHNN.kind: SeparableHNN,
    SecondOrder.kind: SecondOrder,
    LNN.kind: LNN,
    CHNN.kind: CHNN,
    CLNN.kind: CLNN,
}


def names() -> list[str]:
    """Names of all registered models, in the order tables and figures list them."""
    return list(_REGISTRY)


def check_names(kinds: list[str]) -> None:
    """Raise `UnknownNameError` for the first name that is not a registered model."""
    for kind in kinds:
        if kind not in _REGISTRY:
            raise UnknownNameError(f"unknown model {kind!r}; known models: {', '.join(names())}")


def title(kind: str) -> str:
    """A model's display name (the kind itself for a name not registered)."""
    return _REGISTRY[kind].title if kind in _REGISTRY else kind


def color(kind: str) -> str:
    """A model's colour in figures (grey for a name not registered)."""
    return _REGISTRY[kind].color if kind in _REGISTRY else DynamicsModel.color


def description(kind: str) -> str:
    """A model's one-line description ("" for a name not registered)."""
    return _REGISTRY[kind].description if kind in _REGISTRY else ""


def is_separable(kind: str) -> bool:
    """Whether a model of `kind` has a separable field (dq/dt from p alone, dp/dt from q alone)."""
    return bool(_REGISTRY[kind].separable) if kind in _REGISTRY else False


def has_hamiltonian(kind: str) -> bool:
    """Whether a model of `kind` learns an energy (`DynamicsModel.has_hamiltonian`)."""
    return hasattr(_REGISTRY[kind], "hamiltonian") if kind in _REGISTRY else False


def needs_kinematics(kind: str) -> bool:
    """Whether a model of `kind` works with velocities (`DynamicsModel.needs_kinematics`)."""
    return bool(_REGISTRY[kind].needs_kinematics) if kind in _REGISTRY else False


def needs_constraints(kind: str) -> bool:
    """Whether a model of `kind` imposes the system's constraints (`DynamicsModel.needs_constraints`)."""
    return bool(_REGISTRY[kind].needs_constraints) if kind in _REGISTRY else False


def fits(kind: str, system: Any) -> bool:
    """Whether a model of `kind` can learn `system` (a constrained model needs its constraints)."""
    return not needs_constraints(kind) or system.constraints is not None


def stackable(kind: str) -> bool:
    """Whether runs of `kind` may train as one stack (`DynamicsModel.stackable`)."""
    return bool(_REGISTRY[kind].stackable) if kind in _REGISTRY else True


def build(kind: str, dim: int, hidden: tuple[int, ...] = (200, 200),
          generator: torch.Generator | None = None, obs_dim: int | None = None,
          residual: bool = False, kinematics: Kinematics | None = None, encoder: str = "mlp",
          coord_dim: int | None = None, constraints: Any = None) -> DynamicsModel:
    """A freshly initialised model of `kind` for states of size `dim`, its MLPs of widths
    `hidden` (with `residual` hidden layers where widths allow: `MLP`); models that work
    with velocities take the system's `kinematics` (their default: unit masses).

    With `obs_dim`, the states are the latents of an autoencoder of observations of that
    size (`LatentModel`, its autoencoder's `encoder`: "mlp", "linear" or "keypoints"; latents of size `dim`
    read out to coordinates of size `coord_dim`), and `kind` names the latent dynamics model.
    """
    check_names([kind])
    cls = _REGISTRY[kind]
    extra = {"kinematics": kinematics or Kinematics(lambda q: torch.eye(dim // 2, dtype=q.dtype, device=q.device),
                                                     True, dim // 2)} if cls.needs_kinematics else {}
    if cls.needs_constraints:
        if constraints is None:
            raise InvalidValueError(f"the {kind!r} model imposes constraints, and this task has none "
                                    "(constrained tasks: chain-pendulum:N, coupled-pendulum:N, magnet-pendulum)")
        extra["constraints"] = constraints
    dynamics = cls(dim, tuple(hidden), generator=generator, residual=residual, **extra)
    return dynamics if obs_dim is None else LatentModel(dynamics, obs_dim, generator=generator, encoder=encoder,
                                                                 coord_dim=coord_dim)


__all__ = ["CHNN", "CLNN", "DHNN", "HNN", "LNN", "Baseline", "Kinematics", "SecondOrder", "SeparableHNN", "DynamicsModel", "LatentModel", "build", "check_names", "color", "description", "fits", "has_hamiltonian",
           "is_separable", "names", "needs_constraints", "needs_kinematics", "stackable", "title"]
