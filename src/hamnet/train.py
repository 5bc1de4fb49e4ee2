"""The training loop: Adam on a model's loss, periodic evaluation, checkpoints, resume.

Readable top to bottom: sample a batch, step, record the loss; every `eval_every` steps
check for divergence, evaluate the test loss and write a checkpoint.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch
from torch import Tensor

from .atomic import atomic_path
from .checks import check_lr, check_steps
from .errors import InvalidValueError, RunDirectoryError, TrainingDivergedError
from .models import DynamicsModel
from .progress import progress_bar


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (the paper's: Adam, lr 1e-3; steps/batch/decay per task)."""

    steps: int = 2000
    batch_size: int | None = None  # None: full batch
    lr: float = 1e-3
    weight_decay: float = 1e-4
    eval_every: int = 200
    checkpoint_every: int = 500
    batch_order: str = "random"  # or "sequential" (`BatchSampler`)

    def validate(self) -> None:
        check_steps(self.steps, "steps")
        if self.batch_size is not None and self.batch_size <= 0:
            raise InvalidValueError(f"batch size must be positive, got {self.batch_size}")
        if self.batch_order not in BATCH_ORDERS:
            raise InvalidValueError(f"batch order must be one of {', '.join(BATCH_ORDERS)}, got {self.batch_order!r}")
        check_lr(self.lr, "learning rate")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise InvalidValueError(f"weight decay must be a non-negative finite number, got {self.weight_decay}")
        if self.eval_every <= 0 or self.checkpoint_every <= 0:
            raise InvalidValueError("eval_every and checkpoint_every must be positive")


@dataclass
class TrainHistory:
    """Loss curves: `train_loss[step]` every step, `test_loss` at `eval_steps`."""

    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


StepCallback = Callable[[int], None]

#: How minibatches walk through the training rows (`TrainSettings.batch_order`).
BATCH_ORDERS = ("random", "sequential")


class BatchSampler:
    """Minibatches of the N training rows. Full batch (None) when `batch_size` is None or ≥ N.

    `order="random"`: without replacement, epoch by epoch: one random permutation of the
    rows per pass, cut into consecutive batches (an incomplete last batch is skipped).
    `order="sequential"` (the D-HNN paper's slices): the k-th batch is rows
    [s, min(s + batch_size, N)) with s = k · batch_size mod N, so a slice that reaches the
    end is shorter and the next ones start elsewhere; no randomness.
    """

    def __init__(self, n: int, batch_size: int | None, generator: torch.Generator, order: str = "random"):
        self.n, self.batch_size, self.generator, self.shuffle = n, batch_size, generator, order == "random"
        self.order, self.position = torch.empty(0, dtype=torch.long), 0

    def next(self) -> Tensor | None:
        """Row indices of the next batch [≤ batch_size] (None: the full batch)."""
        if self.batch_size is None or self.batch_size >= self.n:
            return None
        if not self.shuffle:
            start = self.position * self.batch_size % self.n
            self.position += 1
            return torch.arange(start, min(start + self.batch_size, self.n))
        if self.position + self.batch_size > self.order.numel():
            self.order, self.position = torch.randperm(self.n, generator=self.generator), 0
        self.position += self.batch_size
        return self.order[self.position - self.batch_size: self.position]

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order, self.position = state["order"], int(state["position"])


def flushing_denormals() -> bool:
    """Whether this thread treats subnormal floats as zero (a float32 probe: 2e-38 · 0.25)."""
    return float(torch.tensor(2e-38, dtype=torch.float32) * 0.25) == 0.0


@contextlib.contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat subnormal floats as zero while training on the CPU, then restore what was set.

    Weight decay and ReLU autoencoders leave many weights, activations and Adam moments
    below 1e-38; CPUs compute on such numbers 10-100× slower (the pixel model's steps slowed
    from 10 to 50 ms over its first 3000 steps). Flushing them changes results only below
    float32's normal range. PyTorch's worker threads copy this setting only when they are
    created, so it reaches them only if set before the first parallel op: the `hamnet`
    command does that at start-up; in a script, call `torch.set_flush_denormal(True)` first.
    """
    before = flushing_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


def adam(parameters: Iterable[Tensor], settings: "TrainSettings") -> torch.optim.Adam:
    """The paper's optimiser, with PyTorch's fused (single-kernel) update."""
    return torch.optim.Adam(parameters, lr=settings.lr, weight_decay=settings.weight_decay, fused=True)


def _save_checkpoint(path: Path, step: int, model: DynamicsModel, optimizer: torch.optim.Optimizer,
                     sampler: BatchSampler, losses: Tensor, history: TrainHistory) -> None:
    state = {"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "sampler": sampler.state_dict(), "losses": losses[:step].clone(),
             "history": history.to_dict()}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is the user's to fix
        raise RunDirectoryError(f"checkpoint {path} is corrupt ({type(exc).__name__}); delete it to start over") from None


def train(
    model: DynamicsModel,
    train_data: tuple[Tensor, ...],
    test_data: tuple[Tensor, ...],
    settings: TrainSettings,
    seed: int,
    checkpoint: Path | None = None,
    resume: bool = False,
    show_progress: bool | None = None,
    on_step: StepCallback | None = None,
) -> TrainHistory:
    """Train `model` in place by minimising `model.loss(*batch)`.

    train_data/test_data: tensors whose first axis indexes samples (e.g. (x, dxdt),
    [N, dim] each), moved to the model's device and dtype. Batches are drawn with a generator
    seeded by `seed`. With `checkpoint`, the state is saved every
    `settings.checkpoint_every` steps; `resume=True` continues from it and ends with the
    same weights as an uninterrupted run. `on_step(step)` is called after each step.
    Raises `TrainingDivergedError` naming the first step whose loss is not finite.
    """
    settings.validate()
    device = next(model.parameters()).device
    train_data = tuple(t.to(device=device, dtype=model.dtype) for t in train_data)
    test_data = tuple(t.to(device=device, dtype=model.dtype) for t in test_data)
    n = train_data[0].shape[0]
    optimizer = adam(model.parameters(), settings)
    sampler = BatchSampler(n, settings.batch_size, torch.Generator().manual_seed(seed), settings.batch_order)
    losses = torch.empty(settings.steps, dtype=torch.float64)
    history = TrainHistory()
    start_step = 0
    if resume and checkpoint is not None and checkpoint.exists():
        state = _load_checkpoint(checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        sampler.load_state_dict(state["sampler"])
        start_step = int(state["step"])
        losses[:start_step] = state["losses"]
        history = TrainHistory(**state["history"])

    clock = time.perf_counter()
    with flush_denormals(), progress_bar(settings.steps - start_step, f"train {model.kind}", show_progress) as advance:
        for step in range(start_step, settings.steps):
            index = sampler.next()
            batch = train_data if index is None else tuple(t[index] for t in train_data)
            loss = model.loss(*batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses[step] = loss.detach()
            done = step + 1
            status = ""
            if done % settings.eval_every == 0 or done == settings.steps:
                check_finite(losses, step)
                with torch.no_grad():
                    test_loss = float(model.loss(*test_data))
                history.eval_steps.append(done)
                history.test_loss.append(test_loss)
                status = f"loss {float(losses[step]):.3e}  test {test_loss:.3e}"
            advance(1, status)
            if checkpoint is not None and done % settings.checkpoint_every == 0 and done < settings.steps:
                history.seconds += time.perf_counter() - clock
                clock = time.perf_counter()
                _save_checkpoint(checkpoint, done, model, optimizer, sampler, losses, history)
            if on_step is not None:
                on_step(done)
    history.seconds += time.perf_counter() - clock
    history.train_loss = losses.tolist()
    return history


def check_finite(losses: Tensor, step: int, run_names: list[str] | None = None) -> None:
    """Raise naming the first non-finite loss among steps [0, step].

    losses: [steps] for one run, or [steps, R] for R runs named by `run_names`.
    """
    bad = (~torch.isfinite(losses[: step + 1])).nonzero()
    if bad.numel():
        where = tuple(int(v) for v in bad[0])
        run = f" in the run with {run_names[where[1]]}" if run_names else ""
        raise TrainingDivergedError(
            f"training diverged{run}: loss is {float(losses[where])} at step {where[0] + 1}; "
            "try a smaller learning rate")
