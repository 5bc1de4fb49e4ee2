"""The training loop: Adam on each run's objective, periodic evaluation, checkpoints, resume.

One loop for one run or a stack of runs (`RunStack`; a single run is a stack of one).
Readable top to bottom: sample each run's batch, step, record the losses; every
`eval_every` steps check for divergence and evaluate the test losses; every
`checkpoint_every` steps write each run's checkpoint. Batches are drawn, and the losses
recorded, on the models' device: on a GPU a step does not wait for the host, which reads
the losses back at evaluations and checkpoints only, and the whole step (forward, double
backward, Adam) is replayed as one CUDA graph (`hamnet.training.graphs`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import Tensor

from ..errors import InvalidValueError, TrainingDivergedError
from ..models import DynamicsModel
from ..objectives import DerivativeMSE, Objective
from ..progress import progress_bar
from .batches import BatchSampler
from .checkpoint import Checkpoint
from .denormals import flush_denormals
from .graphs import Step, StepRunner, graph_for
from .precision import autocast, check_precision
from .settings import TrainHistory, TrainSettings
from .stack import RunStack

StepCallback = Callable[[int], None]


def optimizer_for(parameters: Iterable[Tensor], settings: TrainSettings,
                  capturable: bool = False) -> torch.optim.Optimizer:
    """`settings.optimizer` (the paper's Adam, or AdamW) with PyTorch's fused (single-kernel)
    update; `capturable`: its step count kept on the device, as a CUDA graph needs."""
    kind = torch.optim.AdamW if settings.optimizer == "adamw" else torch.optim.Adam
    return kind(parameters, lr=settings.lr, weight_decay=settings.weight_decay, fused=True, capturable=capturable)


def training_step(stack: RunStack, optimizer: torch.optim.Optimizer, train_x: tuple[Tensor, ...], precision: str,
                  device: str) -> Step:
    """One optimisation step of every run: `step(*indices)` trains run r on the rows
    `indices[r]` [B] of its data (no indices: the full batch) and returns the runs' losses
    [R], detached. It reads only its arguments and the models' state, so it can be replayed."""
    def step(*indices: Tensor) -> Tensor:
        batch = stack.rows(train_x, list(indices) if indices else [None] * stack.size)
        with autocast(precision, device):
            run_losses = stack.losses(batch)
        optimizer.zero_grad(set_to_none=True)
        run_losses.sum().backward()
        optimizer.step()
        return run_losses.detach()
    return step


def train(
    models: list[DynamicsModel],
    train_data: list[tuple[Tensor, ...]],
    test_data: list[tuple[Tensor, ...]],
    settings: TrainSettings,
    seeds: list[int],
    objective: Objective | None = None,
    checkpoints: list[Path] | None = None,
    resume: bool = False,
    show_progress: bool | None = None,
    on_step: StepCallback | None = None,
    graphs: bool = True,
) -> list[TrainHistory]:
    """Train `models` (one, or several of one class and shape, stacked) in place, run r
    minimising `objective` (default: derivative MSE) on `train_data[r]`.

    Data: per run, tensors whose first axis indexes samples (e.g. (x, dxdt), [N, dim]
    each), moved to the models' device and dtype. Run r's batches are drawn with a
    generator seeded `seeds[r]`. With `checkpoints` (a path per run), each run's state is
    saved every `settings.checkpoint_every` steps; `resume=True` continues from them and
    ends with the same weights as an uninterrupted run. `on_step(step)` is called after
    each step. Returns one history per run (a stack's wall time shared equally). Raises
    `TrainingDivergedError` naming the first step (and run) whose loss is not finite.
    The training steps run in `settings.precision` (`hamnet.training.precision`; refused
    where the models' device lacks it); the test losses in the models' own dtype. On a CUDA
    device, with `graphs`, the step is replayed as a CUDA graph where every batch has one
    shape (`hamnet.training.graphs`).
    """
    settings.validate()
    runs = len(models)
    if runs == 0 or not (runs == len(train_data) == len(test_data) == len(seeds)):
        raise InvalidValueError("training needs one data set and one seed per model")
    if checkpoints is not None and len(checkpoints) != runs:
        raise InvalidValueError("training needs one checkpoint path per model")
    objective = objective or DerivativeMSE()
    device = str(next(models[0].parameters()).device)
    check_precision(settings.precision, device)
    stack = RunStack(models, objective)
    train_x, test_x = stack.stack_data(train_data), stack.stack_data(test_data)
    n = train_data[0][0].shape[0]
    samplers = [BatchSampler(n, settings.batch_size, torch.Generator(device).manual_seed(seed), settings.batch_order)
                for seed in seeds]
    # A graph replays its learning rate: only a constant one.
    graph = graph_for(device, samplers[0].fixed_size) if graphs and settings.schedule == "constant" else None
    optimizer = optimizer_for(stack.parameters, settings, capturable=graph is not None)
    losses = torch.empty(settings.steps, runs, dtype=torch.float64, device=device)  # read back at evaluations only
    histories = [TrainHistory() for _ in range(runs)]
    start_step = _resume(stack, optimizer, samplers, losses, histories, checkpoints) if resume and checkpoints else 0
    names = [f"batch seed {seed}" for seed in seeds] if runs > 1 else None
    label = f"train {models[0].kind}" + (f" ×{runs}" if runs > 1 else "")

    run_step = StepRunner(training_step(stack, optimizer, train_x, settings.precision, device), graph)

    clock = time.perf_counter()
    with flush_denormals(), progress_bar(settings.steps - start_step, label, show_progress) as advance:
        for step in range(start_step, settings.steps):
            indices = [sampler.next() for sampler in samplers]
            if settings.schedule != "constant":
                for group in optimizer.param_groups:
                    group["lr"] = settings.learning_rate(step)
            losses[step] = run_step(*(indices if indices[0] is not None else ()))
            done, status = step + 1, ""
            if done % settings.eval_every == 0 or done == settings.steps:
                check_finite(losses, step, names)
                with torch.no_grad():
                    test_losses = stack.losses(test_x).tolist()
                for history, value in zip(histories, test_losses):
                    history.eval_steps.append(done)
                    history.test_loss.append(value)
                status = (f"loss {float(losses[step, 0]):.3e}  test {test_losses[0]:.3e}" if runs == 1
                          else f"test {min(test_losses):.3e}…{max(test_losses):.3e}")
            advance(1, status)
            if checkpoints is not None and done % settings.checkpoint_every == 0 and done < settings.steps:
                _add_seconds(histories, time.perf_counter() - clock)
                clock = time.perf_counter()
                _save(stack, optimizer, samplers, losses, histories, checkpoints, done)
            if on_step is not None:
                on_step(done)
    _add_seconds(histories, time.perf_counter() - clock)
    stack.write_back()
    losses = losses.cpu()
    for r, history in enumerate(histories):
        history.train_loss = losses[:, r].tolist()
    return histories


def train_one(model: DynamicsModel, train_data: tuple[Tensor, ...], test_data: tuple[Tensor, ...],
              settings: TrainSettings, seed: int, objective: Objective | None = None,
              checkpoint: Path | None = None, resume: bool = False, show_progress: bool | None = None,
              on_step: StepCallback | None = None, graphs: bool = True) -> TrainHistory:
    """`train` for a single run (a stack of one)."""
    return train([model], [train_data], [test_data], settings, [seed], objective,
                 [checkpoint] if checkpoint is not None else None, resume, show_progress, on_step, graphs)[0]


def _add_seconds(histories: list[TrainHistory], seconds: float) -> None:
    for history in histories:
        history.seconds += seconds / len(histories)


def _save(stack: RunStack, optimizer: torch.optim.Optimizer, samplers: list[BatchSampler], losses: Tensor,
          histories: list[TrainHistory], paths: list[Path], step: int) -> None:
    for r, path in enumerate(paths):
        model, optimizer_state = stack.run_state(r, optimizer)
        Checkpoint(step, model, optimizer_state, samplers[r].state_dict(), losses[:step, r].to("cpu", copy=True),
                   histories[r]).save(path)


def _resume(stack: RunStack, optimizer: torch.optim.Optimizer, samplers: list[BatchSampler], losses: Tensor,
            histories: list[TrainHistory], paths: list[Path]) -> int:
    """Load every run's checkpoint (all present, at one step) and return that step; 0 where
    none is present. Raises `InvalidValueError` if only some runs, or runs at different
    steps, have one (they cannot continue together)."""
    present = [path.exists() for path in paths]
    if not any(present):
        return 0
    if not all(present):
        raise InvalidValueError("runs resumed together need a checkpoint each; "
                                f"missing: {', '.join(str(p) for p, ok in zip(paths, present) if not ok)}")
    saved = [Checkpoint.load(path) for path in paths]
    if len({c.step for c in saved}) != 1:
        raise InvalidValueError(f"runs resumed together are at different steps: {[c.step for c in saved]}")
    stack.load_run_states([(c.model, c.optimizer) for c in saved], optimizer)
    step = saved[0].step
    for r, checkpoint in enumerate(saved):
        samplers[r].load_state_dict(checkpoint.sampler)
        losses[:step, r] = checkpoint.losses
        histories[r] = checkpoint.history
    return step


def check_finite(losses: Tensor, step: int, run_names: list[str] | None = None) -> None:
    """Raise naming the first non-finite loss among steps [0, step].

    losses: [steps, R] for R runs, named by `run_names` when several.
    """
    bad = (~torch.isfinite(losses[: step + 1])).nonzero()
    if bad.numel():
        where = tuple(int(v) for v in bad[0])
        run = f" in the run with {run_names[where[1]]}" if run_names else ""
        raise TrainingDivergedError(
            f"training diverged{run}: loss is {float(losses[where])} at step {where[0] + 1}; "
            "try a smaller learning rate")
