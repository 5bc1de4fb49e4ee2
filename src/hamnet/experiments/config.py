"""A run's configuration: one flat record of everything that determines it (task, model,
objective, data recipe, evaluation protocol, training settings, network, seed), saved as
its `config.json` and read back field by field.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .. import models, objectives, systems
from ..checks import check_lr, check_seed, check_steps
from ..errors import HamnetError, InvalidValueError
from ..horizon import horizon_protocol
from ..models.keypoints import check_keypoint_latent
from ..models.latent import ENCODERS
from ..training import TrainSettings
from . import presets, variants


#: Run-config sections overridable field by field (`train.lr`), and whole fields (`hidden`).
SECTIONS = ("train", "recipe", "protocol", "objective_options")
FIELDS = ("hidden", "residual", "encoder", "latent")
OVERRIDABLE = f"{', '.join(f'{s}.FIELD' for s in SECTIONS)}, {', '.join(FIELDS)}"


@dataclass
class RunConfig:
    """Everything that determines a run: task, model, objective, seed, training settings,
    data recipe, evaluation protocol, network; and where it runs (`device`, `data_dir`)."""

    task: str
    model: str
    seed: int = 0
    preset: str = "full"
    train: TrainSettings = field(default_factory=TrainSettings)
    recipe: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    hidden: tuple[int, ...] = (200, 200)
    residual: bool = False  # residual hidden layers (`hamnet.models.mlp.MLP`)
    encoder: str = "mlp"  # pixel tasks: the autoencoder's encoder (`hamnet.models.latent.ENCODERS`)
    latent: int | None = None  # pixel tasks: the latent's size (None: the system's state size)
    objective: str | None = None  # a `hamnet.objectives` name (None in configs older than the field)
    objective_options: dict[str, Any] = field(default_factory=dict)  # its settings (rollout: unroll, integrator)
    device: str = "cpu"
    data_dir: str | None = None  # where data files are read from (None: the default lookup)
    system_options: dict[str, Any] = field(default_factory=dict)  # the task's (a file task: its path, names, H)
    #: The fraction of the training split held out as the test split (a validation split,
    #: for tuning: `hamnet.data.Dataset.holdout`); None: the task's own test split.
    validation: float | None = None

    @property
    def label(self) -> str:
        """The run's name in directories, tables and figures: its model, or `model+objective`
        when it trains with another objective than its task's (`hamnet.experiments.variants`)."""
        default = presets.default_objective(self.task, self.preset)
        return variants.name(self.model, self.objective or default, default)

    def system(self) -> systems.System:
        """The run's system (`hamnet.systems.get` of its task and options)."""
        return systems.get(self.task, self.system_options)

    @classmethod
    def for_task(cls, task: str, model: str, seed: int = 0, preset: str = "full",
                 steps: int | None = None, device: str = "cpu",
                 data_dir: str | Path | None = None, lr: float | None = None,
                 objective: str | None = None, objective_options: dict[str, Any] | None = None,
                 system_options: dict[str, Any] | None = None,
                 recipe: dict[str, Any] | None = None, protocol: dict[str, Any] | None = None,
                 precision: str | None = None) -> "RunConfig":
        """The config of `preset` for `task` (raises on unknown task, model or preset).

        `steps`, `lr` and `precision` override the preset's training settings; `objective`
        its objective (then with `objective_options`, else the objective's defaults), `objective_options`
        alone its objective's settings; `system_options` build the task's system (a file
        task: `hamnet.systems.measured.OPTIONS`), `recipe` and `protocol` override fields of
        its data recipe and evaluation protocol.
        """
        check_seed(seed, "seed")
        check_steps(steps)
        check_lr(lr)
        task = systems.canonical(task)
        experiment = presets.get(task, preset)
        given = {k: v for k, v in (("steps", steps), ("lr", lr), ("precision", precision)) if v is not None}
        train_settings = dataclasses.replace(experiment.train, **given)
        system = systems.get(task, system_options)
        if recipe and system.recipe is None:
            raise InvalidValueError(f"task {task!r} has no data recipe to change")
        if recipe:
            _check_fields("recipe", recipe, system.recipe)
        recipe = dataclasses.replace(system.recipe, **(experiment.recipe | (recipe or {}))) if system.recipe else None
        if protocol:
            _check_fields("protocol", protocol, system.energy_protocol)
        protocol = dataclasses.replace(system.energy_protocol, **(experiment.protocol | (protocol or {})))
        options = dict(objective_options or {})
        if not objective:  # the experiment's objective, its settings updated by the given ones
            options = experiment.objective_options | options
        config = cls(task=task, model=model, seed=seed, preset=preset, train=train_settings,
                     recipe=dataclasses.asdict(recipe) if recipe else {},
                     protocol=dataclasses.asdict(protocol), hidden=experiment.hidden,
                     residual=experiment.residual, encoder=experiment.encoder, latent=experiment.latent,
                     objective=objective or experiment.objective,
                     objective_options=options, device=device,
                     data_dir=str(data_dir) if data_dir else None, system_options=system.options())
        config.validate()
        own = experiment.per_model.get(config.label)
        if own:  # the preset's settings of this model, then the explicit ones again
            explicit = {f"train.{k}": v for k, v in given.items()}
            return config.with_defaults().overridden(own | explicit, where=f"preset {preset!r}, model {model!r}")
        return config.with_defaults()

    def validate(self) -> None:
        """Raise a `HamnetError` naming the first field that is unknown, of the wrong kind or
        out of range (a config read from disk may hold anything)."""
        if not isinstance(self.system_options, dict):
            raise InvalidValueError(f"system_options must be a mapping, got {self.system_options!r}")
        system = self.system()
        if self.model not in models.names():
            models.build(self.model, 2)  # raises UnknownNameError with the known names
        if not models.fits(self.model, system):
            raise InvalidValueError(f"the {self.model!r} model imposes constraints, and task {self.task!r} has "
                                    "none (constrained tasks: chain-pendulum:N, coupled-pendulum:N, magnet-pendulum)")
        check_seed(self.seed, "seed")
        if not isinstance(self.objective_options, dict):
            raise InvalidValueError(f"objective_options must be a mapping, got {self.objective_options!r}")
        if self.objective is not None:
            objective = objectives.get(self.objective, self.objective_options)  # raises naming the problem
            if objective.observations != (system.observation_dim is not None):
                data = "observations" if system.observation_dim is not None else "states"
                raise InvalidValueError(f"objective {self.objective!r} does not fit task {self.task!r}, whose "
                                        f"data are {data}")
            objective.check_model(self.model, models.is_separable(self.model))
        if not (self.hidden and all(type(h) is int and h > 0 for h in self.hidden)):
            raise InvalidValueError(f"hidden sizes must be positive integers, got {list(self.hidden)}")
        _check_fields("train", dataclasses.asdict(self.train), TrainSettings())
        self.train.validate()
        if self.train.precision != "fp32" and self.encoder == "keypoints":
            raise InvalidValueError(f"precision {self.train.precision}: the keypoints encoder (convolutions) "
                                    "trains in fp32 only")
        if system.recipe is not None:
            _check_fields("recipe", self.recipe, system.recipe)
            if self.recipe.get("turn"):  # the system says whether it turns (raises if not)
                try:
                    system.turned(torch.zeros(1, system.dim, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))
                except InvalidValueError as exc:
                    raise InvalidValueError(f"recipe.turn: task {self.task!r}: {exc}") from None
        _check_fields("protocol", self.protocol, system.energy_protocol)
        horizon_protocol(dataclasses.replace(system.energy_protocol, **self.protocol))  # raises naming a bad setting
        if self.protocol.get("reference_flow") and not system.has_energy:
            raise InvalidValueError(f"task {self.task!r}: scoring against the true flow needs a known energy "
                                    "(--hamiltonian)")
        if not isinstance(self.residual, bool):
            raise InvalidValueError(f"residual must be true or false, got {self.residual!r}")
        if self.encoder not in ENCODERS:
            raise InvalidValueError(f"encoder must be one of {', '.join(ENCODERS)}, got {self.encoder!r}")
        if self.encoder != "mlp" and system.observation_dim is None:
            raise InvalidValueError(f"encoder {self.encoder!r}: task {self.task!r} has no observations to encode "
                                    "(pixel tasks only)")
        if self.latent is not None:
            if not (type(self.latent) is int and self.latent > 0 and self.latent % 2 == 0):
                raise InvalidValueError(f"latent must be a positive even size (positions, then momenta), "
                                        f"got {self.latent!r}")
            if system.observation_dim is None:
                raise InvalidValueError(f"latent {self.latent}: task {self.task!r} has no observations to encode "
                                        "(pixel tasks only)")
        if self.encoder == "keypoints":
            check_keypoint_latent(system.observation_dim, self.latent or system.dim)
        for name in ("preset", "device"):
            if not isinstance(getattr(self, name), str):
                raise InvalidValueError(f"{name} must be a string, got {getattr(self, name)!r}")
        if self.validation is not None and not (isinstance(self.validation, float) and 0 < self.validation < 1):
            raise InvalidValueError(f"validation must be a fraction between 0 and 1, or null, got {self.validation!r}")
        if self.validation is not None and system.observation_dim is not None:
            raise InvalidValueError(f"task {self.task!r}: its observations cannot be split for validation")
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise InvalidValueError(f"data_dir must be a path or null, got {self.data_dir!r}")

    def overridden(self, overrides: dict[str, Any], where: str = "sweep") -> "RunConfig":
        """This config with `overrides` (`OVERRIDABLE` field names -> values: `train.lr`,
        `hidden`) set, checked and completed; raises `InvalidValueError` naming `where` and
        the first bad one."""
        raw = self.to_dict()
        for key, value in overrides.items():
            head, _, rest = key.partition(".")
            if head in SECTIONS and rest:
                if rest not in raw[head]:
                    raise InvalidValueError(f"{where}: {key!r} names no field of the run's {head} "
                                            f"(fields: {', '.join(raw[head]) or 'none'})")
                raw[head][rest] = value
            elif head in FIELDS and not rest:
                raw[head] = value
            else:
                raise InvalidValueError(f"{where}: cannot override {key!r}; overridable: {OVERRIDABLE}")
        try:
            changed = RunConfig.from_dict(raw)
            changed.validate()
            return changed.with_defaults()
        except (HamnetError, TypeError, ValueError) as exc:
            raise InvalidValueError(f"{where}: the point {json.dumps(overrides)} is no valid run: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON data, as `config.json` holds it (`from_dict` reads it back)."""
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "RunConfig":
        """The config saved by `to_dict` of this or an earlier version (not validated: see
        `validate`). A recipe field the saved recipe lacks takes the value it had before the
        field existed (the recipe's `EARLIER`), not today's default."""
        raw = dict(raw)
        raw["train"] = TrainSettings(**raw["train"])
        raw["hidden"] = tuple(raw["hidden"])
        config = cls(**raw)
        recipe = None
        if isinstance(config.recipe, dict) and config.recipe and config.task in systems.names():
            recipe = systems.get(config.task).recipe
        earlier = {k: v for k, v in getattr(recipe, "EARLIER", {}).items() if k not in config.recipe}
        return dataclasses.replace(config, recipe=earlier | config.recipe) if earlier else config

    def with_defaults(self) -> "RunConfig":
        """This config with every recipe, protocol and objective setting spelled out (the
        defaults for those not given): a config.json of an earlier version, which lacks
        fields added since, compares equal to today's config of the same run."""
        system = self.system()
        recipe = dataclasses.asdict(dataclasses.replace(system.recipe, **self.recipe)) if system.recipe else {}
        protocol = dataclasses.asdict(dataclasses.replace(system.energy_protocol, **self.protocol))
        # before objectives were named, the task's experiment implied it
        objective = self.objective or presets.default_objective(self.task, self.preset)
        options = objectives.get(objective, self.objective_options).settings()
        return dataclasses.replace(self, recipe=recipe, protocol=protocol, objective=objective,
                                   objective_options=options)


def _same_kind(value: Any, default: Any) -> bool:
    """Whether a config value is of the kind its field's default is (ints do for floats)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float) or default is None:
        return value is None or isinstance(value, (int, float))
    return isinstance(value, type(default))


def _check_fields(name: str, given: Any, defaults: Any) -> None:
    """`given` (a dict) names only fields of the dataclass instance `defaults`, each of the
    same kind as its default, and rebuilds it."""
    if not isinstance(given, dict):
        raise InvalidValueError(f"{name} must be a mapping, got {given!r}")
    fields = dataclasses.asdict(defaults)
    for key, value in given.items():
        if key not in fields:
            raise InvalidValueError(f"{name} has no field {key!r} (fields: {', '.join(fields)})")
        if not _same_kind(value, fields[key]):
            raise InvalidValueError(f"{name}.{key} must be like {fields[key]!r}, got {value!r}")
    dataclasses.replace(defaults, **given)
