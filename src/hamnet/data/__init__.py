"""Data sets: generated from a system's true flow, or loaded from files.

`load_task_data` dispatches on `system.data_source` through `SOURCES`; a new kind of
data is one loader function plus one line there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..systems import System, TrajectoryRecipe
from ..systems.measured import FileRecipe, read_file
from ..systems.pixel_frames import FramesRecipe
from ..systems.pixel_pendulum import PixelRecipe
from .dataset import Dataset, split_blocks
from .frames import frames_dataset
from .measured import measured_dataset
from .pixels import PixelData, pixel_pendulum_dataset
from .real_pendulum import real_pendulum_dataset
from .trajectories import generate_trajectories, trajectory_dataset


def _from_trajectories(system: System, recipe: dict[str, Any], seed: int,
                       data_dir: Path | None, use_cache: bool) -> Dataset:
    return trajectory_dataset(system, TrajectoryRecipe(**recipe), seed, use_cache=use_cache)


def _from_pixels(system: System, recipe: dict[str, Any], seed: int,
                 data_dir: Path | None, use_cache: bool) -> PixelData:
    return pixel_pendulum_dataset(PixelRecipe(**recipe), seed, use_cache=use_cache)


def _from_frames(system: System, recipe: dict[str, Any], seed: int,
                 data_dir: Path | None, use_cache: bool) -> PixelData:
    return frames_dataset(system, FramesRecipe(**recipe), seed, use_cache=use_cache)


def _from_file(system: System, recipe: dict[str, Any], seed: int,
               data_dir: Path | None, use_cache: bool) -> Dataset:
    """A user's trajectory file (`hamnet.systems.measured`): read, derivatives, split by trajectories."""
    recipe = FileRecipe(**recipe)
    names = system.given_names or (None, None)
    data = read_file(system.path, *(tuple(n) if n else None for n in names))
    return measured_dataset(data, recipe.derivative, 1 - recipe.test_fraction, seed)


#: data_source name -> loader(system, recipe fields, seed, data_dir, use_cache) -> Dataset
SOURCES: dict[str, Callable[..., Dataset | PixelData]] = {
    "trajectories": _from_trajectories,
    "real-pendulum": real_pendulum_dataset,
    "pixel-pendulum": _from_pixels,
    "frames": _from_frames,
    "file": _from_file,
}


def load_task_data(system: System, recipe: dict[str, Any], seed: int,
                   data_dir: str | Path | None = None, use_cache: bool = True) -> Dataset | PixelData:
    """The data set of `system` for a run: generated (seeded) or read from `data_dir`."""
    loader = SOURCES[system.data_source]
    return loader(system, recipe, seed, Path(data_dir) if data_dir else None, use_cache)


__all__ = ["SOURCES", "Dataset", "PixelData", "generate_trajectories", "load_task_data", "split_blocks",
           "trajectory_dataset"]
