"""What every training objective offers: per-sample loss terms of a model on a batch."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor

from ..errors import InvalidValueError
from ..models import DynamicsModel


def check_steps_setting(value: Any, what: str, maximum: int) -> None:
    """Raise `InvalidValueError` unless `value` (a setting named `what`) is an integer in
    [1, `maximum`] (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidValueError(f"{what} must be an integer between 1 and {maximum}, got {value!r}")


class Objective:
    """A training objective. `terms(model, *batch)` gives per-sample terms, each [N];
    `"loss"` is what training minimises (its mean), the others are its parts, reported
    beside it. `tensors(data, split)` picks what it trains on from a data set (first axis:
    samples). Subclasses set `name` (the registry key) and implement `terms`; one with
    settings takes them as keyword arguments and reports them in `settings()`."""

    name: ClassVar[str]
    #: Whether it trains a model of observations on pairs of them (else states).
    observations: ClassVar[bool] = False
    #: Whether runs can train with it as one `vmap`-ed stack (`hamnet.training.RunStack`);
    #: else they train one after the other.
    stackable: bool = True

    def evaluations_per_sample(self) -> float:
        """About how many evaluations of the model's field one training sample costs: what
        `reproduce` orders its jobs by (the longest first)."""
        return 1.0

    def tensors(self, data: Any, split: str) -> tuple[Tensor, ...]:
        """The `split` ("train" or "test") tensors of `data` this objective takes: the data
        set's own pairs, (x, dx/dt) or (x_t, x_{t+1})."""
        return data.train_tensors() if split == "train" else data.test_tensors()

    def settings(self) -> dict[str, Any]:
        """Its settings, as saved in a run's config (`objective_options`)."""
        return {}

    def check_model(self, kind: str, separable: bool) -> None:
        """Raise `InvalidValueError` if a model of `kind` cannot train with it."""

    def terms(self, model: DynamicsModel, *batch: Tensor) -> dict[str, Tensor]:
        """Per-sample terms of `model` on `batch` (the tensors of `tensors`, first axis N):
        name -> [N]; `"loss"` is the one training minimises."""
        raise NotImplementedError

    def loss(self, model: DynamicsModel, *batch: Tensor) -> Tensor:
        """The scalar training objective on a batch: the mean of `terms(...)["loss"]`."""
        return self.terms(model, *batch)["loss"].mean()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.settings().items())})"
