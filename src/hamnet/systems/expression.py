"""A system from a Hamiltonian written as text (`hamnet.expression`): its field J∇H by
autograd, its initial states drawn in a box (optionally on an energy shell). What `hamnet
simulate` integrates, and what a distilled formula becomes (`hamnet.distill`):

    hamnet.systems.get("hamiltonian", {"hamiltonian": "p**2/2 + q**4/4", "coords": ["q"], "momenta": ["p"]})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..expression import HamiltonianExpression
from .base import System

#: Rounds of rejection sampling for an energy shell before giving up.
SHELL_ROUNDS = 200


@dataclass(frozen=True)
class Sampler:
    """Initial states: every coordinate uniform in [low, high]; with `energy` = (E1, E2),
    only those whose H lies in [E1, E2] (rejection sampling within the box)."""

    low: float = -1.0
    high: float = 1.0
    energy: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise InvalidValueError(f"the box's low end must be below its high end, got {self.low}, {self.high}")
        if self.energy is not None and not self.energy[0] < self.energy[1]:
            raise InvalidValueError(f"the energy range must be E1 < E2, got {self.energy[0]}, {self.energy[1]}")


class ExpressionSystem(System):
    """The system of a `HamiltonianExpression`, sampled as `Sampler` says."""

    name = "hamiltonian"
    dim = 2
    description = "a Hamiltonian you write as an expression (hamnet simulate --hamiltonian)"

    def __init__(self, expression: HamiltonianExpression, sampler: Sampler = Sampler()) -> None:
        self.expression, self.sampler, self.dim = expression, sampler, expression.dim
        self.separable = expression.separable

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "ExpressionSystem":
        """From {"hamiltonian": text, "coords": [...], "momenta": [...], "box": [low, high],
        "energy": [E1, E2] or None} (box and energy optional)."""
        if not isinstance(options.get("hamiltonian"), str):
            raise InvalidValueError("the hamiltonian system needs the option 'hamiltonian': H as an expression")
        expression = HamiltonianExpression.parse(options["hamiltonian"], options.get("coords") or ["q"],
                                                 options.get("momenta") or ["p"])
        low, high = options.get("box") or (Sampler.low, Sampler.high)
        energy = options.get("energy")
        return cls(expression, Sampler(float(low), float(high), tuple(energy) if energy else None))

    def options(self) -> dict[str, Any]:
        return {"hamiltonian": self.expression.text, "coords": list(self.expression.coords),
                "momenta": list(self.expression.momenta), "box": [self.sampler.low, self.sampler.high],
                "energy": list(self.sampler.energy) if self.sampler.energy else None}

    def hamiltonian(self, x: Tensor) -> Tensor:
        return self.expression(x)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """-> [n, dim] float64 (`Sampler`)."""
        low, high = self.sampler.low, self.sampler.high

        def box(count: int) -> Tensor:
            return low + (high - low) * torch.rand(count, self.dim, generator=generator, dtype=torch.float64)

        if self.sampler.energy is None:
            return box(n)
        e1, e2 = self.sampler.energy
        found: list[Tensor] = []
        for _ in range(SHELL_ROUNDS):
            states = box(4 * n)
            energy = self.expression(states)
            found.append(states[(energy >= e1) & (energy <= e2)])
            if sum(len(f) for f in found) >= n:
                return torch.cat(found)[:n]
        raise InvalidValueError(f"only {sum(len(f) for f in found)} of {SHELL_ROUNDS * 4 * n} states drawn in the box "
                                f"[{low}, {high}] have an energy in [{e1}, {e2}]; widen --box or the energy range")
