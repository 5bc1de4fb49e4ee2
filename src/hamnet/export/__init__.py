"""The learned field as a file any runtime runs (`hamnet export`): x -> dx/dt traced with
no autograd op (`field.trace`), written in one of the `formats` (ONNX, torch.export's
.pt2, an AOTInductor package), then run by that format's own runtime on 10⁴ states and
held to hamnet's field within a tolerance derived from the arithmetic (`check`) before
it is put in place, with a JSON of what it is beside it.

    from hamnet.export import export_run
    result = export_run("runs/spring-hnn", "onnx", "field.onnx")
    result.check.max_abs_error        # e.g. 2e-7, against result.check.tolerance
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from .. import __version__
from ..atomic import atomic_path, check_writable_target, write_text
from ..errors import InvalidValueError
from ..experiments import RunConfig
from ..pipeline import build_data, load_model
from ..runs import load_config
from ..systems import System
from . import formats
from .check import CHECK_STATES, CheckResult, ExportCheckError, check_states, compare
from .field import Field, check_exportable, trace
from .formats.base import first_line

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class Export:
    """A written file, the JSON beside it (`<file>.json`), and how it compared with hamnet."""

    path: Path
    metadata_path: Path
    metadata: dict[str, str]
    check: CheckResult


def default_name(fmt: str) -> str:
    """The file name `hamnet export` writes in RUN/export/ by default."""
    return formats.get(fmt).default_name


def export_run(run_dir: str | Path, fmt: str, out: str | Path, dtype: str = "float32",
               states: int = CHECK_STATES, seed: int = 0) -> Export:
    """Write the field of the trained run in `run_dir` to `out` in format `fmt`, in `dtype`,
    checked on the run's test states and `states` random ones (seeded by `seed`).

    Raises `InvalidValueError` (a run of frames, a format not installed, a field that does
    not trace) or `ExportCheckError` (the file computes another field); nothing is written then.
    """
    if dtype not in DTYPES:
        raise InvalidValueError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    config = load_config(run_dir)
    system = config.system()
    check_exportable(system, config.model)
    target = formats.get(fmt)
    target.check_available()
    out = Path(out)
    check_writable_target(out.parent)
    model = load_model(config, run_dir)
    data = build_data(config)
    probe = check_states(data.x_train, data.x_test, states, seed)
    what = f"the {config.model!r} field of {run_dir}"
    with _quiet_exporters():
        try:
            program = trace(model, system.dim, DTYPES[dtype])
        except Exception as exc:  # torch.export fails in many kinds of ways; each is one line to the user
            raise InvalidValueError(f"{what} does not trace without autograd (torch.export): "
                                    f"{first_line(exc)}") from None
        metadata = _metadata(config, system, dtype)
        check = _write_checked(target, program, out, metadata, lambda runner: compare(model, runner, probe,
                                                                                      DTYPES[dtype]), what)
    metadata_path = out.with_name(out.name + ".json")
    write_text(metadata_path, json.dumps({**metadata, "format": fmt, "file": out.name, "check": check.to_dict()},
                                         indent=2) + "\n")
    return Export(out, metadata_path, metadata, check)


def _metadata(config: RunConfig, system: System, dtype: str) -> dict[str, str]:
    """What the file is, kept inside it where the format allows and in FILE.json beside it."""
    coords, momenta = system.state_names()
    return {"hamnet_version": __version__, "task": config.task, "model": config.model, "dtype": dtype,
            "input": f"x [batch, {system.dim}]: {', '.join((*coords, *momenta))}",
            "output": f"dx/dt [batch, {system.dim}], in the input's order"}


def _write_checked(target: formats.Format, program: torch.export.ExportedProgram, out: Path,
                   metadata: dict[str, str], check: Callable[[formats.Runner], CheckResult], what: str) -> CheckResult:
    """Write the file in a temporary folder, run it, and put it at `out` (atomically) only
    if `check` finds it within tolerance."""
    with tempfile.TemporaryDirectory(prefix="hamnet-export-") as folder:
        written = Path(folder) / f"field{target.suffix}"
        try:
            target.write(program, written, metadata)
        except Exception as exc:  # an exporter's failure (an operator it lacks), in one line
            raise InvalidValueError(f"{what} cannot be written as {target.name}: {first_line(exc)}") from None
        result = check(target.load(written))
        if not result.max_abs_error <= result.tolerance:
            raise ExportCheckError(f"the {target.name} file computes another field than hamnet's: largest "
                                   f"difference {result.max_abs_error:.3g} on {result.states} states, above the "
                                   f"tolerance {result.tolerance:.3g}; nothing written")
        with atomic_path(out) as temporary:
            shutil.copyfile(written, temporary)
    return result


@contextlib.contextmanager
def _quiet_exporters():  # noqa: ANN202
    """The exporters' notes to their developers (deprecations inside torch, the ONNX
    registry's missing torchvision) off the user's terminal; errors still raise."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


__all__ = ["CHECK_STATES", "DTYPES", "Export", "ExportCheckError", "Field", "default_name", "export_run", "formats"]
