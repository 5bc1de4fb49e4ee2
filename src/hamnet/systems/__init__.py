"""Registry of physical systems: `names()` and `get(name)`.

Adding a system is one new module with a `System` subclass plus one line in `_REGISTRY`.
"""

from __future__ import annotations

from ..errors import UnknownNameError
from .base import EnergyProtocol, System, TrajectoryRecipe
from .damped_spring import DampedSpring
from .nbody import ThreeBody, TwoBody
from .pendulum import Pendulum
from .pixel_pendulum import PixelPendulum
from .real_pendulum import RealPendulum
from .spring import Spring

_REGISTRY: dict[str, type[System]] = {
    Spring.name: Spring,
    Pendulum.name: Pendulum,
    RealPendulum.name: RealPendulum,
    TwoBody.name: TwoBody,
    ThreeBody.name: ThreeBody,
    PixelPendulum.name: PixelPendulum,
    DampedSpring.name: DampedSpring,
}


def names() -> list[str]:
    """Names of all registered systems, in registry order."""
    return list(_REGISTRY)


def get(name: str) -> System:
    """The system called `name`; raises `UnknownNameError` listing the known names."""
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise UnknownNameError(f"unknown task {name!r}; known tasks: {', '.join(names())}") from None


__all__ = ["EnergyProtocol", "System", "TrajectoryRecipe", "get", "names"]
