"""A run directory: `config.json` + `model.safetensors` + `history.json` + `metrics.json`
(+ rollouts, figures), claimed by one run at a time.

A run is rebuilt from its directory alone (`hamnet.pipeline.load`).
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from ..atomic import atomic_path, write_text
from ..errors import HamnetError, RunDirectoryError
from ..experiments import RunConfig
from ..training import TrainHistory
from .files import (CONFIG, HISTORY, METRICS, WEIGHTS, RunState, clear_run, fingerprint, read_json, run_state,
                    what_differs)

#: Key of the run fingerprint in metrics.json and in the rollouts file's metadata.
FINGERPRINT_KEY = "fingerprint"


def save_stamped(tensors: dict[str, Tensor], path: Path, stamp: str) -> None:
    """Tensors computed from a run's weights, written atomically with its fingerprint `stamp`."""
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata={FINGERPRINT_KEY: stamp})


def load_stamped(path: Path, run_dir: str | Path) -> dict[str, Tensor] | None:
    """The tensors `save_stamped` wrote at `path` while they belong to the weights in `run_dir`,
    else None (missing, damaged, outdated or another run's: to be recomputed)."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            if (handle.metadata() or {}).get(FINGERPRINT_KEY) != fingerprint(run_dir):
                return None
        return load_file(str(path))
    except (SafetensorError, KeyError, OSError):
        return None


def load_config(run_dir: str | Path) -> RunConfig:
    """The `RunConfig` stored in `run_dir/config.json`, checked field by field."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        problem = "is not a directory" if run_dir.exists() else "does not exist"
        raise RunDirectoryError(f"run directory {run_dir} {problem}")
    raw = read_json(run_dir / CONFIG)
    if not isinstance(raw, dict):
        raise RunDirectoryError(f"{run_dir / CONFIG} is corrupt: not a JSON object")
    try:
        config = RunConfig.from_dict(raw)
    except (TypeError, KeyError, ValueError) as exc:
        raise RunDirectoryError(f"{run_dir / CONFIG} is corrupt: {exc}") from None
    try:
        config.validate()
    except (HamnetError, TypeError, ValueError) as exc:
        raise RunDirectoryError(f"{run_dir / CONFIG} is not usable: {exc}") from None
    return config.with_defaults()


def read_weights(run_dir: str | Path) -> dict[str, Tensor]:
    """The tensors of `run_dir`'s weights file (`RunDirectoryError` if missing or corrupt)."""
    weights = Path(run_dir) / WEIGHTS
    if not weights.exists():
        raise RunDirectoryError(f"{run_dir} is not a complete run: {WEIGHTS} is missing (not trained yet?)")
    try:
        return load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise RunDirectoryError(f"{weights} is corrupt: {str(exc).splitlines()[0]}") from None


def save_model(model: nn.Module, run_dir: Path) -> None:
    """Write `model`'s weights into `run_dir` (atomically)."""
    with atomic_path(run_dir / WEIGHTS) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))


def check_claim(config: RunConfig, run_dir: Path, resume: bool = False, overwrite: bool = False) -> RunState | None:
    """Whether `config` may use `run_dir`, without writing: the state of this same run to
    continue (`resume`), or None to start anew (no run there, or one to overwrite).

    A directory holding a run is continued with `resume` if it is the same run (same
    config, place fields aside); with `overwrite`, any other run is replaced, the same one
    too unless `resume`. Otherwise `RunDirectoryError` says what is there and what to pass.
    """
    state = run_state(run_dir) if run_dir.is_dir() else RunState.NEW
    if state is RunState.NEW:
        return None
    try:
        differs = what_differs(load_config(run_dir).to_dict(), config.to_dict())
    except RunDirectoryError:
        differs = ["config.json (missing or corrupt)"]
    if resume and not differs:
        return state
    if overwrite:
        return None
    holds = "another run" if differs else f"this run ({state.value})"
    detail = f"; differs in {', '.join(differs[:3])}" if differs else ""
    hint = "--overwrite to replace it" if differs else "--resume to continue it or --overwrite to replace it"
    raise RunDirectoryError(f"{run_dir} already holds {holds}{detail}; pass {hint}")


def open_run(config: RunConfig, run_dir: Path, resume: bool = False, overwrite: bool = False) -> RunState:
    """Claim `run_dir` (held by `exclusive`) for `config` as `check_claim` allows: a run to
    start anew gets the old run's files removed and `config.json` written."""
    state = check_claim(config, run_dir, resume, overwrite)
    if state is not None:
        return state
    clear_run(run_dir)
    write_text(run_dir / CONFIG, json.dumps(config.to_dict(), indent=2))
    return RunState.NEW


def load_history(run_dir: Path) -> TrainHistory:
    """The training history in `history.json` (`TrainHistory`: the train loss of every step,
    the test loss at its evaluation steps, the seconds it took); `RunDirectoryError` if corrupt."""
    try:
        return TrainHistory(**read_json(run_dir / HISTORY))
    except TypeError as exc:
        raise RunDirectoryError(f"{run_dir / HISTORY} is corrupt: {exc}") from None


def load_metrics(run_dir: str | Path) -> dict[str, float]:
    """The metrics `evaluate_run` wrote, if they belong to the weights beside them."""
    run_dir = Path(run_dir)
    stored = read_json(run_dir / METRICS)
    if not isinstance(stored, dict) or stored.pop(FINGERPRINT_KEY, None) != fingerprint(run_dir):
        raise RunDirectoryError(f"{run_dir / METRICS} does not belong to the weights beside it; "
                                f"run `hamnet evaluate {run_dir}` again")
    return stored
