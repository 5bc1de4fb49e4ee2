"""What every training objective offers: per-sample loss terms of a model on a batch."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from ..models import DynamicsModel


class Objective:
    """A training objective. `terms(model, *batch)` gives per-sample terms, each [N];
    `"loss"` is what training minimises (its mean), the others are its parts, reported
    beside it. Subclasses set `name` (the registry key) and implement `terms`."""

    name: ClassVar[str]
    #: Whether it trains a model of observations on pairs of them (else states and dx/dt).
    observations: ClassVar[bool] = False

    def terms(self, model: DynamicsModel, *batch: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def loss(self, model: DynamicsModel, *batch: Tensor) -> Tensor:
        """The scalar training objective on a batch: the mean of `terms(...)["loss"]`."""
        return self.terms(model, *batch)["loss"].mean()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
