"""Named experiments as data: per task and preset, the training settings, the network,
and any changes to the system's data recipe and evaluation protocol. A preset is such a
table plus what `reproduce` does with it by default (tasks, seeds, whose numbers to show
beside ours). `reproduce` runs these tables.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .. import systems
from ..errors import HamnetError, UnknownNameError
from ..training import TrainSettings
from .tuned import read_tuned


#: The models the paper compares, which `reproduce` runs on a task unless told otherwise.
PAPER_MODELS = ("baseline", "hnn")


@dataclass(frozen=True)
class Experiment:
    """Training settings plus overrides of the system's `recipe` / `energy_protocol` fields,
    the training objective its data call for (`hamnet.objectives`, with its settings), the models' hidden
    widths (`residual`: residual hidden layers), and the models `reproduce` compares on
    the task by default (registry names)."""

    train: TrainSettings
    recipe: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = PAPER_MODELS
    hidden: tuple[int, ...] = (200, 200)
    residual: bool = False
    encoder: str = "mlp"  # pixel tasks: the autoencoder's encoder (`hamnet.models.latent.ENCODERS`)
    latent: int | None = None  # pixel tasks: the latent's size (None: the system's state size)
    objective: str = "derivative"
    objective_options: dict[str, Any] = field(default_factory=dict)
    #: Overrides of single models' runs (model -> `RunConfig.overridden` names -> values),
    #: such as a tuned preset's settings (`hamnet.experiments.tuned`).
    per_model: dict[str, dict[str, Any]] = field(default_factory=dict)


#: Models compared on dissipative tasks: the paper's two and the dissipative HNN.
DISSIPATIVE_MODELS = (*PAPER_MODELS, "dhnn")
#: Models compared on constrained tasks: the paper's two and the constrained HNN and LNN.
CONSTRAINED_MODELS = (*PAPER_MODELS, "chnn", "clnn")


#: Training of the pixel tasks made of other systems (`systems.pixel_frames`).
PIXEL_FRAMES_TRAIN = TrainSettings(steps=10000, batch_size=200, weight_decay=0.0, eval_every=500,
                                   checkpoint_every=2000)

#: The two-body frames' latent step: the flow over one frame (rk4), not the paper's Euler
#: step, whose error at 0.17 rad a frame is a spurious decay no HNN can fit; the dynamics
#: term scaled per latent, so that the accelerations (the change of dw) count; and the field
#: unrolled over 2 frames (fitted on pairs the forces came out 2–4 % too strong; docs/tasks.md).
PIXEL_TWO_BODY_OBJECTIVE = {"step": "rk4", "scaled": True, "unroll": 2}

# The paper's settings (reference/paper-results.md §3).
FULL: dict[str, Experiment] = {
    "spring": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-4)),
    "pendulum": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-4)),
    "real-pendulum": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-5)),
    "two-body": Experiment(TrainSettings(steps=10000, batch_size=200, weight_decay=0.0, eval_every=500,
                                         checkpoint_every=2000)),
    "three-body": Experiment(TrainSettings(steps=10000, batch_size=600, weight_decay=1e-4, eval_every=500,
                                           checkpoint_every=2000),
                             protocol={"plot_t_end": 10.0}),
    "pixel-pendulum": Experiment(TrainSettings(steps=10000, batch_size=200, weight_decay=1e-5, eval_every=500,
                                               checkpoint_every=2000), objective="autoencoder"),
    # Not in the paper: the spring's recipe and settings with friction (`systems.damped_spring`).
    "damped-spring": Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-4),
                                models=DISSIPATIVE_MODELS),
    # Not in the paper: frames of other systems (`systems.pixel_frames`): the pixel pendulum's
    # settings without weight decay (with Adam's L2 decay the latent HNN of pixel-spring died:
    # docs/tasks.md); for two bodies the keypoint encoder (a canonical latent: positions and
    # their motion) and 4 latents (about a resting centre of mass, body 2 mirrors body 1).
    "pixel-spring": Experiment(PIXEL_FRAMES_TRAIN, objective="autoencoder"),
    "pixel-two-body": Experiment(PIXEL_FRAMES_TRAIN, objective="autoencoder", encoder="keypoints", latent=4,
                                 objective_options=PIXEL_TWO_BODY_OBJECTIVE),
    # Not in the paper: chaotic chains (`systems.pendulum_chain`; `pendulum-chain:N` for any N).
    "double-pendulum": Experiment(TrainSettings(steps=5000, batch_size=500, weight_decay=0.0, eval_every=500,
                                                checkpoint_every=1000)),
    "pendulum-chain": Experiment(TrainSettings(steps=5000, batch_size=500, weight_decay=0.0, eval_every=500,
                                               checkpoint_every=1000)),
    # Not in the paper: CHNN's chains in Cartesian coordinates (`systems.chain_pendulum`).
    "chain-pendulum": Experiment(TrainSettings(steps=5000, batch_size=500, weight_decay=0.0, eval_every=500,
                                               checkpoint_every=1000), models=CONSTRAINED_MODELS),
    "chain-angles": Experiment(TrainSettings(steps=5000, batch_size=500, weight_decay=0.0, eval_every=500,
                                             checkpoint_every=1000)),
    # Not in the paper: CHNN's spherical pendulums (`systems.coupled_pendulum`, `systems.magnet_pendulum`).
    "coupled-pendulum": Experiment(TrainSettings(steps=5000, batch_size=500, weight_decay=0.0, eval_every=500,
                                                 checkpoint_every=1000), models=CONSTRAINED_MODELS),
    "magnet-pendulum": Experiment(TrainSettings(steps=5000, batch_size=500, weight_decay=0.0, eval_every=500,
                                                checkpoint_every=1000), models=CONSTRAINED_MODELS),
}

# Same code path, fewer steps and samples: a smoke run of the whole table, under 90 s on 2
# cores of a first-generation AMD EPYC (AVX2 only; README). Its evaluation rolls out from 5
# states instead of 15, its long-horizon metrics too. Checkpoints every 100 steps, so a killed quick run resumes mid-training.
QUICK_PROTOCOL = {"n_states": 5, "horizon_states": 5}
QUICK: dict[str, Experiment] = {
    "spring": Experiment(TrainSettings(steps=300, batch_size=None, weight_decay=1e-4, eval_every=100,
                                       checkpoint_every=100), protocol=QUICK_PROTOCOL),
    "pendulum": Experiment(TrainSettings(steps=300, batch_size=None, weight_decay=1e-4, eval_every=100,
                                         checkpoint_every=100), protocol=QUICK_PROTOCOL),
    "real-pendulum": Experiment(TrainSettings(steps=300, batch_size=None, weight_decay=1e-5, eval_every=100,
                                              checkpoint_every=100)),
    "two-body": Experiment(TrainSettings(steps=600, batch_size=200, weight_decay=0.0, eval_every=200,
                                         checkpoint_every=200),
                           recipe={"n_trajectories": 200}, protocol=QUICK_PROTOCOL),
    "three-body": Experiment(TrainSettings(steps=400, batch_size=600, weight_decay=1e-4, eval_every=200,
                                           checkpoint_every=200),
                             recipe={"n_trajectories": 500}, protocol={**QUICK_PROTOCOL, "plot_t_end": 10.0}),
    "pixel-pendulum": Experiment(TrainSettings(steps=300, batch_size=200, weight_decay=1e-5, eval_every=100,
                                               checkpoint_every=100),
                                 recipe={"n_episodes": 12}, objective="autoencoder"),
    "damped-spring": Experiment(TrainSettings(steps=600, batch_size=None, weight_decay=1e-4, eval_every=100,
                                              checkpoint_every=200),
                                models=DISSIPATIVE_MODELS),
    "pixel-spring": Experiment(dataclasses.replace(PIXEL_FRAMES_TRAIN, steps=800, eval_every=200, checkpoint_every=200),
                               recipe={"n_trajectories": 40}, objective="autoencoder"),
    "pixel-two-body": Experiment(dataclasses.replace(PIXEL_FRAMES_TRAIN, steps=800, eval_every=200, checkpoint_every=200),
                                 recipe={"n_trajectories": 40}, objective="autoencoder", encoder="keypoints",
                                 latent=4, objective_options=PIXEL_TWO_BODY_OBJECTIVE),
    "double-pendulum": Experiment(TrainSettings(steps=800, batch_size=500, weight_decay=0.0, eval_every=200,
                                                checkpoint_every=200), recipe={"n_trajectories": 50}),
    "pendulum-chain": Experiment(TrainSettings(steps=800, batch_size=500, weight_decay=0.0, eval_every=200,
                                               checkpoint_every=200), recipe={"n_trajectories": 50}),
    "chain-pendulum": Experiment(TrainSettings(steps=800, batch_size=500, weight_decay=0.0, eval_every=200,
                                               checkpoint_every=200), recipe={"n_trajectories": 50},
                                 models=CONSTRAINED_MODELS),
    "chain-angles": Experiment(TrainSettings(steps=800, batch_size=500, weight_decay=0.0, eval_every=200,
                                             checkpoint_every=200), recipe={"n_trajectories": 50}),
    "coupled-pendulum": Experiment(TrainSettings(steps=800, batch_size=500, weight_decay=0.0, eval_every=200,
                                                 checkpoint_every=200), recipe={"n_trajectories": 50},
                                   protocol=QUICK_PROTOCOL, models=CONSTRAINED_MODELS),
    "magnet-pendulum": Experiment(TrainSettings(steps=800, batch_size=500, weight_decay=0.0, eval_every=200,
                                                checkpoint_every=200), recipe={"n_trajectories": 50},
                                  protocol=QUICK_PROTOCOL, models=CONSTRAINED_MODELS),
}

# The D-HNN paper's real-pendulum protocol (Sosanya & Greydanus 2022: their notebook
# `analyze_realpend.ipynb` with the repository's top-level train.py; departures in
# docs/tasks.md): central differences at rows 1..555, the first 444 train, 256-wide tanh
# MLPs with a residual middle layer, Adam lr 5e-3 without weight decay, 5000 steps of
# 128-row slices taken in order.
DHNN_PAPER: dict[str, Experiment] = {
    "real-pendulum": Experiment(TrainSettings(steps=5000, batch_size=128, lr=5e-3, weight_decay=0.0,
                                              batch_order="sequential", eval_every=500, checkpoint_every=1000),
                                recipe={"derivative": "central", "train_fraction": 0.8},
                                models=DISSIPATIVE_MODELS, hidden=(256, 256), residual=True),
}

# Dissipative models compared with the paper's training settings: the damped spring, and
# the real pendulum with central differences (forward ones, the paper's, imply 16× the
# measured energy loss: a model that fits them learns friction that is not there).
DISSIPATIVE: dict[str, Experiment] = {
    "real-pendulum": dataclasses.replace(FULL["real-pendulum"], recipe={"derivative": "central"},
                                         models=DISSIPATIVE_MODELS),
    "damped-spring": FULL["damped-spring"],
}

# The HNN's successors compared on the same data and protocol (docs/successors.md): the
# paper's two, D-HNN, the second-order and Lagrangian networks, and the HNN trained through
# unrolled rollouts (`hnn+rollout`: rk4, 8 steps), on two integrable and two chaotic tasks.
# Each task's settings, with mini-batches of 200 samples for every model: a full batch of
# 8-step windows costs the rollout objective ~30 field evaluations per sample and step.
SUCCESSOR_MODELS = ("baseline", "hnn", "dhnn", "second-order", "lnn", "hnn+rollout")
SUCCESSOR_TASKS = ("spring", "pendulum", "double-pendulum", "pendulum-chain:3")


def _suite(table: dict[str, Experiment], batch_size: int) -> dict[str, Experiment]:
    """The successor suite's experiments from a preset's table."""
    return {task: dataclasses.replace(table[task], models=SUCCESSOR_MODELS,
                                      train=dataclasses.replace(table[task].train, batch_size=batch_size))
            for task in ("spring", "pendulum", "double-pendulum", "pendulum-chain")}


SUCCESSORS = _suite(FULL, batch_size=200)
SUCCESSORS_QUICK = _suite(QUICK, batch_size=100)

# CHNN's protocol (Finzi, Wang & Wilson 2020; their pl_trainer.py, datasets.py and
# chain_pendulum.py; docs/successors.md says what was chosen where they are unclear): 800
# training trajectories of 3 s at dt 0.03, of each one random chunk of 5 points; the L1 of
# rk4 rollouts over the chunk; AdamW, lr 3e-3 on a cosine schedule, decay 1e-4, batches of
# 200, their 2000 epochs (8000 steps); 3×256 MLPs. Scored as they score: 100 starts at
# random chunks of fresh trajectories, 3 s of dopri5, e(t) of positions and velocities,
# the geometric mean over states of each one's geometric mean over time; the floor from a
# 1e-4·N(0, 1) nudge of every component, projected back onto the constraints.
CHNN_TRAIN = TrainSettings(steps=8000, batch_size=200, lr=3e-3, weight_decay=1e-4, optimizer="adamw",
                           schedule="cosine", eval_every=500, checkpoint_every=1000)


def chnn_experiment(dt: float) -> Experiment:
    """CHNN's protocol for a system of their time step `dt` (trajectories of 100 steps)."""
    recipe = {"n_trajectories": 1000, "test_fraction": 0.2, "t_end": round(99 * dt, 10), "n_points": 100,
              "chunk_points": 5}
    protocol = {"horizon_states": 100,
                "horizon": {"factor": 1.0, "n_points": 100, "componentwise": True, "advance_step": round(5 * dt, 10),
                            "advance_steps": 20, "velocities": True, "state_mean": "geometric"}}
    return Experiment(CHNN_TRAIN, recipe=recipe, protocol=protocol, models=CONSTRAINED_MODELS,
                      hidden=(256, 256, 256), objective="rollout",
                      objective_options={"unroll": 4, "integrator": "rk4", "error": "absolute"})


def _chnn_quick(experiment: Experiment) -> Experiment:
    """The smoke test of a CHNN-protocol experiment: 300 steps, 200 training chunks, 20 test starts."""
    return dataclasses.replace(
        experiment, train=dataclasses.replace(CHNN_TRAIN, steps=300, eval_every=100, checkpoint_every=100),
        recipe=experiment.recipe | {"n_trajectories": 250}, protocol=experiment.protocol | {"horizon_states": 20})


# Their time steps: 0.03 for the chains, 0.05 for the spherical pendulums. Their HNN and
# NODE learned the chains in angle coordinates: `chain-angles:N`, scored on the same
# Cartesian positions and velocities.
CHNN_PAPER = {"chain-pendulum": dataclasses.replace(chnn_experiment(0.03), models=("chnn", "clnn")),
              "chain-angles": dataclasses.replace(chnn_experiment(0.03), models=PAPER_MODELS),
              "coupled-pendulum": chnn_experiment(0.05), "magnet-pendulum": chnn_experiment(0.05)}
CHNN_PAPER_QUICK = {task: _chnn_quick(experiment) for task, experiment in CHNN_PAPER.items()}
CHNN_TASKS = ("chain-pendulum:2", "chain-angles:2", "chain-pendulum:3", "chain-angles:3", "chain-pendulum:5",
              "chain-angles:5", "coupled-pendulum:3", "magnet-pendulum")

#: The six tasks of the paper's table, in its order.
PAPER_TASKS = ("spring", "pendulum", "real-pendulum", "two-body", "three-body", "pixel-pendulum")


@dataclass(frozen=True)
class Preset:
    """A table of experiments and what `reproduce` runs of it by default: `tasks`, `seeds`
    per task and model, and `reference`, the key of `hamnet.paper.REFERENCES` whose
    published numbers the records carry (`paper_<metric>`) and results.md sets beside ours
    (None: no published numbers apply), unless the preset is a `smoke_test` (fewer steps:
    not meant to match them)."""

    experiments: dict[str, Experiment]
    seeds: int
    tasks: tuple[str, ...]
    reference: str | None
    smoke_test: bool = False
    #: The experiment of a task that is not hamnet's own (a user's file or system), or
    #: None: such tasks have none under this preset.
    user: Experiment | None = None
    #: The preset that is its smoke test (`reproduce --quick`: fewer steps, same code path), or None.
    quick: str | None = None


#: A user's own data or system (`hamnet train --data FILE`, `--task module:Class`): the
#: settings of the paper's small tasks, with the real pendulum's lighter weight decay
#: (measured data); full batches. The dissipative preset compares D-HNN too.
USER_FULL = Experiment(TrainSettings(steps=2000, batch_size=None, weight_decay=1e-5))
USER_QUICK = Experiment(TrainSettings(steps=600, batch_size=None, weight_decay=1e-5, eval_every=100,
                                      checkpoint_every=200))

PRESETS: dict[str, Preset] = {
    "full": Preset(FULL, seeds=3, tasks=PAPER_TASKS, reference="hnn-paper", user=USER_FULL, quick="quick"),
    "quick": Preset(QUICK, seeds=1, tasks=PAPER_TASKS, reference="hnn-paper", smoke_test=True, user=USER_QUICK),
    "dhnn-paper": Preset(DHNN_PAPER, seeds=5, tasks=("real-pendulum",), reference="dhnn-paper"),
    "dissipative": Preset(DISSIPATIVE, seeds=3, tasks=tuple(DISSIPATIVE), reference=None,
                          user=dataclasses.replace(USER_FULL, models=DISSIPATIVE_MODELS)),
    "successors": Preset(SUCCESSORS, seeds=3, tasks=SUCCESSOR_TASKS, reference=None, quick="successors-quick"),
    "successors-quick": Preset(SUCCESSORS_QUICK, seeds=1, tasks=SUCCESSOR_TASKS, reference=None, smoke_test=True),
    "chnn-paper": Preset(CHNN_PAPER, seeds=3, tasks=CHNN_TASKS, reference="chnn-paper", quick="chnn-paper-quick"),
    "chnn-paper-quick": Preset(CHNN_PAPER_QUICK, seeds=1, tasks=CHNN_TASKS, reference="chnn-paper", smoke_test=True),
}

#: Presets that are comparison suites (`reproduce --suite NAME`): tasks × models × objectives.
SUITES = ("successors",)


def preset(name: str) -> Preset:
    """The preset called `name`: a built-in one, `tuned` (the settings `hamnet tune` found,
    shipped with hamnet) or a tuned-preset file `PATH.json` (`hamnet.experiments.tuned`);
    raises `UnknownNameError` listing the known ones, `InvalidValueError` for a bad file."""
    if name in PRESETS:
        return PRESETS[name]
    if name == "tuned" or name.endswith(".json"):
        return read_tuned(name, PRESETS)
    raise UnknownNameError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}, tuned, "
                           "or a tuned-preset file PATH.json (hamnet tune)")


def quick_form(name: str) -> str:
    """The preset `reproduce --quick` runs for `name` (a smoke test is its own); raises
    `UnknownNameError` where it has none."""
    chosen = preset(name)
    if chosen.smoke_test:
        return name
    if chosen.quick is None:
        quick = [key for key, value in PRESETS.items() if value.quick]
        raise UnknownNameError(f"preset {name!r} has no quick form (presets with one: {', '.join(quick)})")
    return chosen.quick


def tasks(name: str | None = None) -> list[str]:
    """With a preset name: the tasks `reproduce` runs of it by default, in its order. Without:
    every task that has an experiment in some preset, in registry order."""
    if name is not None:
        return list(preset(name).tasks)
    wanted = {task for p in PRESETS.values() for task in p.experiments}
    return [task for task in systems.names() if task in wanted]


def get(task: str, preset_name: str = "full") -> Experiment:
    """The experiment for `task` under the preset `preset_name` (a task that is not hamnet's
    own: the preset's `user` experiment)."""
    chosen = preset(preset_name)
    table = chosen.experiments
    if systems.is_builtin(task):
        task = task.partition(":")[0]  # pendulum-chain:5 has pendulum-chain's experiment
    if task not in (*systems.names(), systems.MeasuredSystem.name) and ":" not in task:
        systems.get(task)  # raises for an unknown task
    if not systems.is_builtin(task) and chosen.user is not None:
        return chosen.user
    if task not in table:
        raise UnknownNameError(f"task {task!r} has no experiment in preset {preset_name!r} "
                               f"(it has: {', '.join(table)})")
    return table[task]


def default_objective(task: str, preset_name: str) -> str:
    """The objective `task`'s experiment under `preset_name` trains with (the default
    objective where the preset, perhaps of an older version, has none for it)."""
    try:
        return get(task, preset_name).objective
    except HamnetError:
        return Experiment(TrainSettings()).objective
