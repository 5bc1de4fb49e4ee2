"""A stack of runs trained by one loop: one run alone, or several of one architecture at once.

Alone, a run's loss is its objective on its own parameters. Stacked, the runs' parameters
are stacked ([R, ...] per tensor) and the objective is `torch.func.vmap`-ed over runs:
batched matrix products instead of R small ones, one backward and one Adam step for all.
Runs stay independent: each keeps its own data, batches and optimiser state, and the
summed loss has per-run gradients; Adam and weight decay act element by element, so the
update is each run's own up to float rounding. Either way a run's state (weights, Adam
moments) reads and writes in one format (`run_state`, `load_run_state`), so a checkpoint
written by a stack resumes alone and the other way round.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from ..errors import InvalidValueError
from ..models import DynamicsModel
from ..objectives import Objective

#: The models' parameters inside `_Loss` are named with this prefix.
_PREFIX = "model."


class _Loss(nn.Module):
    """A model's training objective as its forward (what `functional_call` calls)."""

    def __init__(self, model: DynamicsModel, objective: Objective):
        super().__init__()
        self.model, self.objective = model, objective

    def forward(self, *batch: Tensor) -> Tensor:
        return self.objective.loss(self.model, *batch)


class RunStack:
    """R ≥ 1 models of one class and shape, trained together.

    `losses(batch)` -> [R], the objective of each run on its part of `batch`: tensors
    [N, ...] for one run, [R, N, ...] (`stack_data`) for several.
    """

    def __init__(self, models: list[DynamicsModel], objective: Objective):
        if not models:
            raise InvalidValueError("a stack needs at least one run")
        self.models, self.objective = models, objective
        self.size = len(models)
        if self.size == 1:
            self.parameters = list(models[0].parameters())
            return
        losses = [_Loss(model, objective) for model in models]
        self.params, self.buffers = stack_module_state(losses)
        template = copy.deepcopy(losses[0]).to("meta")
        self._batched = vmap(lambda p, b, *batch: functional_call(template, (p, b), batch))
        self.parameters = list(self.params.values())

    def stack_data(self, data: list[tuple[Tensor, ...]]) -> tuple[Tensor, ...]:
        """Per-run tuples of [N, ...] tensors -> what `losses` takes, on the models' device
        and in their dtype: the tuple itself for one run, one [R, N, ...] tuple for several."""
        like = next(self.models[0].parameters())
        if self.size == 1:
            return tuple(t.to(device=like.device, dtype=like.dtype) for t in data[0])
        if len({tuple(t.shape for t in run) for run in data}) != 1:
            raise InvalidValueError("runs trained together need data sets of the same shapes")
        return tuple(torch.stack([run[k] for run in data]).to(like) for k in range(len(data[0])))

    def rows(self, data: tuple[Tensor, ...], indices: list[Tensor | None]) -> tuple[Tensor, ...]:
        """The batch of rows `indices[r]` of each run's data (None: all rows)."""
        if indices[0] is None:
            return data
        if self.size == 1:
            return tuple(t[indices[0]] for t in data)
        return tuple(torch.stack([t[r, index] for r, index in enumerate(indices)]) for t in data)

    def losses(self, batch: tuple[Tensor, ...]) -> Tensor:
        """Each run's objective on its batch.  -> [R]."""
        if self.size == 1:
            return self.objective.loss(self.models[0], *batch).unsqueeze(0)
        return self._batched(self.params, self.buffers, *batch)

    def run_state(self, r: int, optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Run r's (model state_dict, optimiser state_dict), as the run alone has them."""
        if self.size == 1:
            return self.models[0].state_dict(), optimizer.state_dict()
        model = {name.removeprefix(_PREFIX): value[r] for name, value in (self.params | self.buffers).items()}
        state = optimizer.state_dict()
        per_parameter = {i: {k: v if k == "step" else v[r] for k, v in moments.items()}
                         for i, moments in state["state"].items()}
        return model, {"state": per_parameter, "param_groups": state["param_groups"]}

    def load_run_states(self, states: list[tuple[dict[str, Tensor], dict[str, Any]]],
                        optimizer: torch.optim.Optimizer) -> None:
        """Set every run's (model, optimiser) state from `run_state`'s format."""
        if self.size == 1:
            self.models[0].load_state_dict(states[0][0])
            optimizer.load_state_dict(states[0][1])
            return
        with torch.no_grad():
            for name, value in (self.params | self.buffers).items():
                value.copy_(torch.stack([model[name.removeprefix(_PREFIX)] for model, _ in states]))
        first = states[0][1]
        stacked = {i: {k: v if k == "step" else torch.stack([s[1]["state"][i][k] for s in states])
                       for k, v in moments.items()} for i, moments in first["state"].items()}
        optimizer.load_state_dict({"state": stacked, "param_groups": first["param_groups"]})

    def write_back(self) -> None:
        """Copy the trained stacked parameters into the models (alone they are the models')."""
        if self.size == 1:
            return
        with torch.no_grad():
            for r, model in enumerate(self.models):
                model.load_state_dict({name.removeprefix(_PREFIX): value[r]
                                       for name, value in (self.params | self.buffers).items()})
