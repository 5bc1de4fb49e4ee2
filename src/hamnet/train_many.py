"""Train several independent runs of one architecture at once (seeds of a task).

The runs' parameters are stacked ([R, ...] per tensor), the loss is `torch.func.vmap`-ed
over runs (batched matrix products instead of R small ones), and one backward and one
Adam step update every run. Runs stay independent: each keeps its own data, batch
generator and optimiser state, and the summed loss has per-run gradients. Adam and
weight decay act element by element, so the update is the one-by-one update up to float
rounding; on the CPU the path is deterministic for given seeds. No checkpoints: this path
serves `reproduce`; `train` (one run) is the resumable one.
"""

from __future__ import annotations

import copy
import time

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from .errors import InvalidValueError
from .models import DynamicsModel
from .progress import progress_bar
from .train import BatchSampler, TrainHistory, TrainSettings, adam, check_finite, flush_denormals


class _Objective(nn.Module):
    """A model's training loss as its forward (what `functional_call` calls)."""

    def __init__(self, model: DynamicsModel):
        super().__init__()
        self.model = model

    def forward(self, *batch: Tensor) -> Tensor:
        return self.model.loss(*batch)


def _stack(tensors: list[tuple[Tensor, ...]], like: Tensor) -> tuple[Tensor, ...]:
    """Per-run tuples of [N, ...] tensors -> one tuple of [R, N, ...] tensors (`like`'s device, dtype)."""
    shapes = {tuple(t.shape for t in run) for run in tensors}
    if len(shapes) != 1:
        raise InvalidValueError("runs trained together need data sets of the same shapes")
    return tuple(torch.stack([run[k] for run in tensors]).to(like) for k in range(len(tensors[0])))


def train_many(models: list[DynamicsModel], train_data: list[tuple[Tensor, ...]],
               test_data: list[tuple[Tensor, ...]], settings: TrainSettings, seeds: list[int],
               show_progress: bool | None = None) -> list[TrainHistory]:
    """Train `models` (same class and shapes) in place, run r on `train_data[r]` with batches
    drawn by a generator seeded `seeds[r]`. Returns one history per run, as `train` does
    (`seconds` is the wall time shared equally). Raises `TrainingDivergedError` naming the
    run and the first step whose loss is not finite.
    """
    settings.validate()
    runs = len(models)
    if not (runs == len(train_data) == len(test_data) == len(seeds)) or runs == 0:
        raise InvalidValueError("train_many needs one data set and one seed per model")
    objectives = [_Objective(model) for model in models]
    params, buffers = stack_module_state(objectives)
    template = copy.deepcopy(objectives[0]).to("meta")
    like = next(models[0].parameters())
    train_x, test_x = _stack(train_data, like), _stack(test_data, like)

    def loss_of_run(p: dict, b: dict, *batch: Tensor) -> Tensor:
        return functional_call(template, (p, b), batch)

    batched_loss = vmap(loss_of_run)
    optimizer = adam(list(params.values()), settings)
    n = train_x[0].shape[1]
    samplers = [BatchSampler(n, settings.batch_size, torch.Generator().manual_seed(seed), settings.batch_order)
                for seed in seeds]
    losses = torch.empty(settings.steps, runs, dtype=torch.float64)
    histories = [TrainHistory() for _ in range(runs)]
    clock = time.perf_counter()
    with flush_denormals(), progress_bar(settings.steps, f"train {models[0].kind} ×{runs}", show_progress) as advance:
        for step in range(settings.steps):
            indices = [sampler.next() for sampler in samplers]
            batch = train_x if indices[0] is None else tuple(
                torch.stack([t[r, index] for r, index in enumerate(indices)]) for t in train_x)
            run_losses = batched_loss(params, buffers, *batch)
            optimizer.zero_grad(set_to_none=True)
            run_losses.sum().backward()
            optimizer.step()
            losses[step] = run_losses.detach()
            done, status = step + 1, ""
            if done % settings.eval_every == 0 or done == settings.steps:
                check_finite(losses, step, [f"batch seed {seed}" for seed in seeds])
                with torch.no_grad():
                    test_losses = batched_loss(params, buffers, *test_x).tolist()
                for history, value in zip(histories, test_losses):
                    history.eval_steps.append(done)
                    history.test_loss.append(value)
                status = f"test {min(test_losses):.3e}…{max(test_losses):.3e}"
            advance(1, status)
    seconds = time.perf_counter() - clock
    with torch.no_grad():
        for r, objective in enumerate(objectives):
            objective.load_state_dict({k: v[r] for k, v in (params | buffers).items()})
    for r, history in enumerate(histories):
        history.train_loss = losses[:, r].tolist()
        history.seconds = seconds / runs
    return histories
