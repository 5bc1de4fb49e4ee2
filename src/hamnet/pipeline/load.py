"""A trained model rebuilt from its run directory alone."""

from __future__ import annotations

from pathlib import Path

from ..errors import HamnetError, RunDirectoryError
from ..experiments import RunConfig
from ..models import DynamicsModel
from ..runs import CONFIG, WEIGHTS, load_config, read_weights
from .build import build_model


def load(run_dir: str | Path) -> DynamicsModel:
    """The trained model of a run directory, rebuilt from the directory alone (`config.json`
    and `model.safetensors`; eval mode, CPU, float32: `.double()` for float64 rollouts).

    Its `time_derivative(x)` maps states x [b, dim] to dx/dt [b, dim]; a model with a learned
    energy also has `hamiltonian(x)` -> [b]. Raises `RunDirectoryError` if `run_dir` holds no
    complete run."""
    return load_model(load_config(run_dir), run_dir)


def load_model(config: RunConfig, run_dir: str | Path) -> DynamicsModel:
    """`config`'s model with the weights in `run_dir` (`RunDirectoryError` if they do not fit)."""
    state = read_weights(run_dir)
    try:
        model = build_model(config, seeded=False)
    except (HamnetError, TypeError, ValueError) as exc:
        raise RunDirectoryError(f"{Path(run_dir) / CONFIG} describes no model hamnet can build: {exc}") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        detail = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
        raise RunDirectoryError(f"{Path(run_dir) / WEIGHTS} does not fit the {config.model} model that {CONFIG} "
                                f"describes: {detail}") from None
    return model.eval()
