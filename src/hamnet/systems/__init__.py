"""Registry of physical systems: `names()` and `get(name, options)`.

Adding a system is one new module with a `System` subclass plus one line in `_REGISTRY`;
a user's own system needs no line at all (`plugins`: `module:Class` or an entry point).
"""

from __future__ import annotations

from ..errors import UnknownNameError
from typing import Any

from .base import EnergyProtocol, System, TrajectoryRecipe
from .chain_angles import ChainAngles
from .chain_pendulum import ChainPendulum
from .coupled_pendulum import CoupledPendulum
from .damped_spring import DampedSpring
from .double_pendulum import DoublePendulum
from .expression import ExpressionSystem
from .magnet_pendulum import MagnetPendulum
from .measured import MeasuredSystem
from .nbody import ThreeBody, TwoBody
from .pendulum import Pendulum
from .pendulum_chain import PendulumChain
from .pixel_frames import FramesRecipe, frames_of
from .pixel_pendulum import PixelPendulum
from .plugins import canonical, entry_point_names, find_plugin
from .real_pendulum import RealPendulum
from .spring import Spring

#: Frames of systems that draw themselves (`pixel_frames`): the spring as a sliding block
#: (200 trajectories of 30 frames over the spring's 3 time units, about one period), two
#: bodies as discs of two grey levels (300 trajectories of 50 frames over 10 time units, 0.2
#: apart: an inner orbit turns 0.17 rad a frame; each orbit turned by a random angle: the
#: original sampler starts every one in the first quadrant, and over 10 time units, about
#: half an orbit, the fourth quadrant then held 4 % of the training frames instead of 25 %).
PixelSpring = frames_of(Spring, FramesRecipe(n_trajectories=200, t_end=3.0, n_frames=30),
                        "mass-spring as a sliding block in 28x28 frames (two stacked), latent model; H = q^2 + p^2")
PixelTwoBody = frames_of(TwoBody, FramesRecipe(n_trajectories=300, t_end=10.0, n_frames=50, turn=True),
                         "two-body gravity as two discs in 28x28 frames (two stacked), latent model")

_REGISTRY: dict[str, type[System]] = {
    Spring.name: Spring,
    Pendulum.name: Pendulum,
    RealPendulum.name: RealPendulum,
    TwoBody.name: TwoBody,
    ThreeBody.name: ThreeBody,
    PixelPendulum.name: PixelPendulum,
    DampedSpring.name: DampedSpring,
    DoublePendulum.name: DoublePendulum,
    PendulumChain.name: PendulumChain,
    ChainPendulum.name: ChainPendulum,
    ChainAngles.name: ChainAngles,
    CoupledPendulum.name: CoupledPendulum,
    MagnetPendulum.name: MagnetPendulum,
    PixelSpring.name: PixelSpring,
    PixelTwoBody.name: PixelTwoBody,
}
#: Systems built from a user's options alone (`get(name, options)`), not listed by `names`.
_FROM_OPTIONS: dict[str, type[System]] = {MeasuredSystem.name: MeasuredSystem, ExpressionSystem.name: ExpressionSystem}


def names() -> list[str]:
    """Names of the registered systems, in registry order, then those installed packages
    register (entry points)."""
    return list(_REGISTRY) + [name for name in entry_point_names() if name not in _REGISTRY]


def is_builtin(name: str) -> bool:
    """Whether `name` is one of hamnet's own systems (`pendulum-chain:5` too), not a user's
    file or plugin."""
    return name.partition(":")[0] in _REGISTRY


def get(name: str, options: dict[str, Any] | None = None) -> System:
    """The system called `name` (a registry name, `module:Class`, or an entry point), built
    from `options` (`System.from_options`; only some systems take any); raises
    `UnknownNameError` listing the known names."""
    base, colon, parameter = name.partition(":")
    if colon and hasattr(_REGISTRY.get(base), "from_parameter"):  # e.g. pendulum-chain:5
        return _REGISTRY[base].from_parameter(parameter)
    found = _REGISTRY.get(name) or _FROM_OPTIONS.get(name) or find_plugin(name)
    if found is None:
        raise UnknownNameError(f"unknown task {name!r}; known tasks: {', '.join(names())}, "
                               "or a system of your own as module:Class")
    return found.from_options(options or {})


__all__ = ["EnergyProtocol", "ExpressionSystem", "MeasuredSystem", "System", "TrajectoryRecipe", "canonical", "get", "is_builtin",
           "names"]
