"""The real-pendulum data set: Schmidt & Lipson's measured series, read from a file.

The file is never downloaded or copied into the repository; it is looked up in
`--data-dir`, else `$HAMNET_DATA_DIR`, else `../shared/data/` beside the repository.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..errors import DataFileError
from ..systems import System
from ..systems.real_pendulum import SeriesRecipe
from .dataset import Dataset

FILE_NAME = "real_pend_h_1.txt"
#: Fewer data rows than this is not the measured series (it has 556).
MIN_ROWS = 10
#: Largest magnitude of a state or time derivative: the models train in float32.
MAX_MAGNITUDE = float(torch.finfo(torch.float32).max)


def _repo_root() -> Path | None:
    """The nearest directory above this file that holds `pyproject.toml` (None if installed)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def _search_dirs(data_dir: Path | None) -> list[Path]:
    """Folders to look in, in order: `data_dir`, else `$HAMNET_DATA_DIR`, else ../shared/data."""
    if data_dir is not None:
        return [Path(data_dir)]
    if os.environ.get("HAMNET_DATA_DIR"):
        return [Path(os.environ["HAMNET_DATA_DIR"])]
    root = _repo_root()
    candidates = ([root.parent / "shared" / "data"] if root else []) + [Path.cwd().parent / "shared" / "data"]
    return list(dict.fromkeys(c.resolve() for c in candidates))


def find_data_file(data_dir: Path | None = None) -> Path:
    """Path of `real_pend_h_1.txt`; raises `DataFileError` (one line) if it is nowhere."""
    if data_dir is not None and Path(data_dir).exists() and not Path(data_dir).is_dir():
        raise DataFileError(f"--data-dir {data_dir} is not a directory")
    dirs = _search_dirs(data_dir)
    for folder in dirs:
        if (folder / FILE_NAME).is_file():
            return folder / FILE_NAME
        if (folder / FILE_NAME).exists():
            raise DataFileError(f"real-pendulum data file {folder / FILE_NAME} is not a regular file")
    looked = ", ".join(str(d) for d in dirs)
    raise DataFileError(
        f"real-pendulum data file {FILE_NAME} (Schmidt & Lipson 2009) not found in {looked}; "
        f"pass --data-dir DIR or set HAMNET_DATA_DIR=DIR to the folder that holds it")


def parse_real_pendulum(path: Path) -> tuple[Tensor, Tensor, Tensor]:
    """Read the measured series.  -> (t[N] s, q[N] rad, p[N] rad/s), float64.

    Format: optional `%` header line, then rows `trial t o v` (whitespace-separated floats,
    any line ending). Raises `DataFileError` naming the file and 1-based line number for a
    wrong column count, a non-number, NaN/inf or a value beyond float32's range, or time
    that does not increase; also for an unreadable, non-UTF-8 or empty file, or one with
    fewer than `MIN_ROWS` rows.
    """
    t, q, p = _read_rows(Path(path))[0].unbind(-1)
    return t, q, p


def _read_rows(path: Path) -> tuple[Tensor, list[int]]:
    """`parse_real_pendulum`'s rows.  -> ([N, 3] (t, q, p) float64, the N rows' line numbers)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataFileError(f"cannot read real-pendulum data file {path}: not UTF-8 text "
                            f"({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise DataFileError(f"cannot read real-pendulum data file {path}: {err.strerror or err}") from None
    rows: list[tuple[float, float, float]] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith("%"):
            continue
        where = f"{path}, line {number}"
        if len(fields) != 4:
            raise DataFileError(f"{where}: expected 4 columns (trial t o v), found {len(fields)}")
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise DataFileError(f"{where}: not a number in {line.strip()!r}") from None
        if not all(math.isfinite(value) for value in values):
            raise DataFileError(f"{where}: non-finite value in {line.strip()!r}")
        if not all(abs(value) <= MAX_MAGNITUDE for value in values):
            raise DataFileError(f"{where}: value beyond float32's range (±{MAX_MAGNITUDE:.3g}) "
                                f"in {line.strip()!r}")
        _, t, o, v = values
        if rows and t <= rows[-1][0]:
            raise DataFileError(f"{where}: time {t} does not increase (previous row {rows[-1][0]})")
        rows.append((t, o, v))
        numbers.append(number)
    if not rows:
        raise DataFileError(f"real-pendulum data file {path} has no data rows")
    if len(rows) < MIN_ROWS:
        raise DataFileError(f"real-pendulum data file {path} has only {len(rows)} data rows "
                            f"(need at least {MIN_ROWS}; the measured series has 556)")
    return torch.tensor(rows, dtype=torch.float64), numbers


def real_pendulum_dataset(system: System, recipe: dict[str, Any] | None, seed: int,
                          data_dir: Path | None, use_cache: bool = True) -> Dataset:
    """The real-pendulum data set (a `hamnet.data.SOURCES` loader), as `recipe`
    (`SeriesRecipe` fields) says.

    x = (q, p) and dx/dt by forward differences over the actual time step (the series has
    gaps) at rows 0..N−2, or by central differences at rows 1..N−1; the first
    `train_fraction` train, the rest test. extras: `t_train`, `t_test` ([M] s): the energy
    evaluation rolls out from x_test[0] over `t_test`. `system`, `seed` and `use_cache` are
    unused (the data are fixed and small).
    """
    recipe = SeriesRecipe(**(recipe or {}))
    path = find_data_file(data_dir)
    rows, numbers = _read_rows(path)
    t, x = rows[:, 0].contiguous(), rows[:, 1:].contiguous()
    forward = (x[1:] - x[:-1]) / (t[1:] - t[:-1]).unsqueeze(-1)
    steep = (~(forward.abs() <= MAX_MAGNITUDE).all(-1)).nonzero()
    if steep.numel():
        i = int(steep[0])
        raise DataFileError(f"{path}, lines {numbers[i]}-{numbers[i + 1]}: the time derivative "
                            f"{forward[i].tolist()} is beyond float32's range (±{MAX_MAGNITUDE:.3g}): "
                            f"the values change too much over {float(t[i + 1] - t[i]):.3g} s")
    if recipe.derivative == "forward":
        x, t, dxdt = x[:-1], t[:-1], forward
    else:
        dxdt = torch.cat([(forward[:-1] + forward[1:]) / 2, forward[-1:]])
        x, t = x[1:], t[1:]
    cut = int(x.shape[0] * recipe.train_fraction)
    return Dataset(x_train=x[:cut], dxdt_train=dxdt[:cut], x_test=x[cut:], dxdt_test=dxdt[cut:],
                   extras={"t_train": t[:cut], "t_test": t[cut:]})
