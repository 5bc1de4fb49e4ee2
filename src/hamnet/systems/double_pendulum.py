"""The double pendulum: a `PendulumChain` of two links (chaotic at the sampled energies)."""

from __future__ import annotations

from .pendulum_chain import PendulumChain


class DoublePendulum(PendulumChain):
    name = "double-pendulum"
    links = 2
    description = "double pendulum, unit masses and links, g = 9.81 (chaotic)"

    def __init__(self) -> None:
        super().__init__()
