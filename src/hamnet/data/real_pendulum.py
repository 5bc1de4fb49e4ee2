"""The real-pendulum data set: Schmidt & Lipson's measured series, read from a file.

The file is never downloaded or copied into the repository; it is looked up in
`--data-dir`, else `$HAMNET_DATA_DIR`, else `../shared/data/` beside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from torch import Tensor

from ..errors import DataFileError
from ..systems import System
from ..systems.real_pendulum import SeriesRecipe
from .dataset import Dataset
from .files import Trajectories, read_trajectories
from .measured import measured_dataset

FILE_NAME = "real_pend_h_1.txt"
#: Fewer data rows than this is not the measured series (it has 556).
MIN_ROWS = 10


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
    """Read the measured series (`hamnet.data.files`' `.txt` format).  -> (t[N] s, q[N] rad,
    p[N] rad/s), float64.

    Raises `DataFileError` naming the file and 1-based line number for a wrong column
    count, a non-number, NaN/inf or a value beyond float32's range, or time that does not
    increase; also for an unreadable, non-UTF-8 or empty file, one with several trials or
    with fewer than `MIN_ROWS` rows.
    """
    series = read_series(Path(path))
    return series.t[0], series.x[0][:, 0], series.x[0][:, 1]


def read_series(path: Path) -> Trajectories:
    """The file as one trajectory (`parse_real_pendulum`), through the one trajectory reader."""
    series = read_trajectories(path, kind=".txt")
    if len(series.x) != 1:
        raise DataFileError(f"real-pendulum data file {path} holds {len(series.x)} trials; the measured series is one")
    if series.t[0].numel() < MIN_ROWS:
        raise DataFileError(f"real-pendulum data file {path} has only {series.t[0].numel()} data rows "
                            f"(need at least {MIN_ROWS}; the measured series has 556)")
    return series


def real_pendulum_dataset(system: System, recipe: dict[str, Any] | None, seed: int,
                          data_dir: Path | None, use_cache: bool = True) -> Dataset:
    """The real-pendulum data set (a `hamnet.data.SOURCES` loader), as `recipe`
    (`SeriesRecipe` fields) says: x = (q, p), dx/dt estimated over the actual time steps
    (the series has gaps; `hamnet.data.measured`), the first `train_fraction` of the rows
    train, the rest test. extras: `t_train`, `t_test` ([M] s): the energy evaluation
    rolls out from x_test[0] over `t_test`. `system`, `seed` and `use_cache` are unused
    (the data are fixed and small).
    """
    recipe = SeriesRecipe(**(recipe or {}))
    return measured_dataset(read_series(find_data_file(data_dir)), recipe.derivative, recipe.train_fraction, seed)
