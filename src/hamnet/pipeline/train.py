"""Train a run, or runs that differ only in their seed together, into their run directories:
config → data → model → objective → the training loop → the run directory."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

from .. import models as model_registry
from ..atomic import write_text
from ..data import Dataset, PixelData
from ..errors import InvalidValueError, TrainingDivergedError
from ..experiments import RunConfig
from ..models import DynamicsModel
from ..runs import CHECKPOINT, HISTORY, RunState, check_claim, clear_run, exclusive, load_history, open_run, \
    save_model
from ..seeding import derive_seed
from ..training import Checkpoint, StepCallback, TrainHistory, train
from .build import build_data, build_model, build_objective
from .load import load


def _finish_run(model: DynamicsModel, data: Dataset | PixelData, history: TrainHistory,
                run_dir: Path) -> DynamicsModel:
    """Fit the model's readout, write weights and history, drop the checkpoint."""
    model = model.cpu().eval()
    model.fit_readout(*data.readout_tensors())
    save_model(model, run_dir)
    write_text(run_dir / HISTORY, json.dumps(history.to_dict()))
    (run_dir / CHECKPOINT).unlink(missing_ok=True)
    return model


def train_run(config: RunConfig, run_dir: str | Path, resume: bool = False,
              show_progress: bool | None = None, on_step: StepCallback | None = None,
              overwrite: bool = False) -> tuple[DynamicsModel, TrainHistory]:
    """Train the run described by `config` into `run_dir` (a stack of one: `train_runs`)."""
    return train_runs([config], [run_dir], resume, overwrite, show_progress, on_step)[0]


def train_runs(configs: list[RunConfig], run_dirs: list[str | Path], resume: bool = False,
               overwrite: bool = False, show_progress: bool | None = None,
               on_step: StepCallback | None = None) -> list[tuple[DynamicsModel, TrainHistory]]:
    """Train runs that differ only in their seed as one stack (`hamnet.training.train`; on
    a GPU the seeds of a task train at once; one after the other where the objective or the
    model cannot be stacked) into their directories: config, weights, history, and a checkpoint every
    `checkpoint_every` steps while training.

    Every directory is checked, and the data sets built, before any is touched. With
    `resume`, a finished run is returned as it is and unfinished ones continue from their
    checkpoints (together only from checkpoints at one step: otherwise they start over);
    `overwrite` replaces another run's files (`open_run`). A run that diverges before its
    first checkpoint leaves nothing behind.
    """
    if len({json.dumps(dataclasses.replace(c, seed=0).to_dict()) for c in configs}) != 1:
        raise InvalidValueError("runs trained together must differ only in their seed")
    for config, run_dir in zip(configs, run_dirs):
        check_claim(config, Path(run_dir), resume, overwrite)  # refuse before the data are built
    objective = build_objective(configs[0])
    stackable = objective.stackable and model_registry.stackable(configs[0].model)
    if len(configs) > 1 and not stackable:  # one after the other
        return [train_runs([c], [d], resume, overwrite, show_progress, on_step)[0] for c, d in zip(configs, run_dirs)]
    datasets = [build_data(c) for c in configs]
    # what each run trains and is tested on, cut (and refused, e.g. windows longer than the
    # data's trajectories) before any directory is touched
    tensors = [(objective.tensors(data, "train"), objective.tensors(data, "test")) for data in datasets]
    with contextlib.ExitStack() as stack:
        dirs = [stack.enter_context(exclusive(d)) for d in run_dirs]
        states = [open_run(c, d, resume, overwrite) for c, d in zip(configs, dirs)]
        todo = [i for i, state in enumerate(states) if state is not RunState.FINISHED]
        checkpoints = [dirs[i] / CHECKPOINT for i in todo]
        if not _resumable_together(checkpoints):
            for i in todo:
                open_run(configs[i], dirs[i], overwrite=True)  # start over
        models = [build_model(configs[i]).to(configs[i].device) for i in todo]
        for i, model in zip(todo, models):
            model.fit_latent_scale(datasets[i].readout_tensors()[0])
        try:
            histories = train(models, [tensors[i][0] for i in todo], [tensors[i][1] for i in todo], configs[0].train,
                              [derive_seed(configs[i].seed, "batches") for i in todo], objective,
                              checkpoints, resume=True, show_progress=show_progress,
                              on_step=on_step) if todo else []
        except TrainingDivergedError:
            for i in todo:
                if not (dirs[i] / CHECKPOINT).exists():
                    clear_run(dirs[i])
            raise
        trained = {i: (_finish_run(model, datasets[i], history, dirs[i]), history)
                   for i, model, history in zip(todo, models, histories)}
        return [trained[i] if i in trained else (load(dirs[i]), load_history(dirs[i]))
                for i in range(len(configs))]


def _resumable_together(checkpoints: list[Path]) -> bool:
    """Whether the runs can continue as one stack: no checkpoints, or one each at one step
    (one run always can: its checkpoint is read once, by the loop)."""
    if len(checkpoints) <= 1:
        return True
    present = [path.exists() for path in checkpoints]
    if not any(present):
        return True
    return all(present) and len({Checkpoint.load(path).step for path in checkpoints}) == 1
