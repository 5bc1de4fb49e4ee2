"""One tuning trial, a job for the backends: train a run on its validation data (the
training split cut in two, `RunConfig.validation`) and score it on the held-out part."""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import TrainingDivergedError
from ..experiments import RunConfig
from ..metrics import loss_estimates
from ..objectives import DerivativeMSE
from ..pipeline.build import build_data
from ..pipeline.load import load_model
from ..pipeline.train import train_runs


def validation_loss(config: RunConfig, run_dir: Path) -> float | None:
    """Train `config` (which names a validation fraction) into `run_dir`, resuming a run
    left there, and return its loss on the validation split: the dx/dt MSE (what the
    tables call test loss, whatever the objective). None: training diverged, or the loss
    is not finite. The task's test split is never read."""
    if config.validation is None:
        raise ValueError("a tuning trial needs a config with a validation fraction")
    try:
        train_runs([config], [run_dir], resume=True, overwrite=True, show_progress=False)
    except TrainingDivergedError:
        return None
    model = load_model(config, run_dir).double()
    loss = loss_estimates(model, DerivativeMSE(), build_data(config).test_tensors())["loss"].mean
    return loss if math.isfinite(loss) else None
