"""From a run's config to the things it trains: its data set, model and objective."""

from __future__ import annotations

from .. import models, objectives
from ..data import Dataset, PixelData, load_task_data
from ..errors import InvalidValueError
from ..experiments import RunConfig
from ..models import DynamicsModel, Kinematics
from ..objectives import Objective
from ..seeding import derive_seed, generator


def build_data(config: RunConfig, use_cache: bool = True) -> Dataset | PixelData:
    """The run's data set (deterministic for its seed; files looked up in `config.data_dir`);
    with `config.validation`, its training split cut into training and validation data."""
    data = load_task_data(config.system(), config.recipe, derive_seed(config.seed, "data"),
                          data_dir=config.data_dir, use_cache=use_cache)
    if config.validation is None:
        return data
    if not isinstance(data, Dataset):
        raise InvalidValueError(f"task {config.task!r}: its data cannot be split for validation (state data only)")
    return data.holdout(config.validation)


def build_model(config: RunConfig, seeded: bool = True) -> DynamicsModel:
    """A freshly initialised model of the run (seeded from the run seed unless `seeded=False`);
    one that works with velocities gets the system's mass matrix (`Kinematics`); one of
    observations has `config.latent` latents (default: the system's size)."""
    system = config.system()
    kinematics = None  # models in latent coordinates (pixels), or without velocities: none to give
    if models.needs_kinematics(config.model) and system.observation_dim is None:
        kinematics = Kinematics.of(system)
    size = config.latent or system.dim if system.observation_dim is not None else system.dim
    return models.build(config.model, size, config.hidden, obs_dim=system.observation_dim, coord_dim=system.dim,
                        generator=generator(config.seed, "init") if seeded else None, residual=config.residual,
                        kinematics=kinematics, encoder=config.encoder,
                        constraints=system.constraints)


def build_objective(config: RunConfig) -> Objective:
    """The run's training objective with its settings (configs of earlier versions: the one
    their task implied)."""
    config = config.with_defaults()
    return objectives.get(config.objective, config.objective_options)
