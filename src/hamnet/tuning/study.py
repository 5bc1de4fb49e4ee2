"""`hamnet tune`: one Optuna study (TPE) per task × model, all on one job backend.

Trials are asked and told on this process (Optuna's ask-and-tell) and run as jobs on the
local pool or Ray (`hamnet.backends`), so tuning uses the machinery sweeps use and needs no
second scheduler; the studies live in an Optuna journal file (`OUT/tune.journal`), so a
killed tune rerun keeps its finished trials and resumes the running ones from their
checkpoints. Every study has the same trial budget and search space (`tuning.space`), its
first trial the preset's own settings, and the same sampler seed, so every model's first,
random trials try the same settings.

A study keeps `window` trials in flight and asks trial k right after telling trial
k − window, telling in trial order: what the sampler has seen when it proposes a trial
does not depend on which job finishes first, so a tune is deterministic for its seed and
window whatever the machine's speed (TPE's constant liar stands in for the running ones).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from ..backends import job_pool
from ..errors import InvalidValueError
from ..experiments import RunConfig, variants
from ..jobs import default_jobs
from ..pipeline.run_jobs import prepare_data
from ..progress import log, progress_bar
from ..runs import exclusive
from . import space
from .record import Study
from .report import write_tuned
from .trial import validation_loss

JOURNAL = "tune.journal"
#: Trials of a study proposed at random before TPE models the results (at most a third of them).
STARTUP_TRIALS = 10


def _storage(out_dir: Path) -> optuna.storages.BaseStorage:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(out_dir / JOURNAL)))


def _sampler(seed: int, trials: int) -> optuna.samplers.TPESampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                          n_startup_trials=min(STARTUP_TRIALS, max(1, trials // 3)))


def _base_config(task: str, name: str, seed: int, validation: float, preset: str,
                 data_dir: str | Path | None) -> RunConfig:
    """The preset's run of `task` × `name` (a model or MODEL+OBJECTIVE) on validation data."""
    model, objective = variants.parse(name)
    base = RunConfig.for_task(task, model, seed, preset, data_dir=data_dir, objective=objective)
    base = dataclasses.replace(base, validation=validation)
    base.validate()
    return base


def _open_study(task: str, base: RunConfig, trials: int, seed: int, storage: optuna.storages.BaseStorage,
                storage_path: Path) -> tuple[Study, list[int]]:
    """The study of `base`'s task and model (created, or loaded from an earlier run), and its
    trials left running by a killed run (to be run again under their numbers)."""
    label = base.system().label
    study = optuna.create_study(storage=storage, sampler=_sampler(seed, trials), direction="minimize",
                                study_name=f"{label}/{base.label}", load_if_exists=True)
    settings = json.dumps(base.to_dict() | {"data_dir": None, "device": None}, sort_keys=True)
    if study.user_attrs.get("settings", settings) != settings:
        raise InvalidValueError(f"{storage_path}: the study {label}/{base.label} was tuned with other settings "
                                "(preset, seed, validation or data); tune into another --out")
    study.set_user_attr("settings", settings)
    done = [t for t in study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
    stale = [t.number for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING]
    if not study.get_trials(deepcopy=False):
        study.enqueue_trial(space.preset_params(base))
    return Study(task, label, base.label, base, study, max(0, trials - len(done) - len(stale))), stale


def run_tune(tasks: list[str], models: list[str] | None, trials: int, out_dir: Path, preset: str = "full",
             seed: int = 0, validation: float = 0.2, jobs: int | None = None, backend: str = "local",
             address: str | None = None, data_dir: str | Path | None = None, show_progress: bool | None = None,
             command: str = "hamnet tune") -> list[dict[str, Any]]:
    """Tune every task × model of `models` (default: each task's own under `preset`) with
    `trials` trials each, on the training split less its last `validation` fraction, scored
    on that fraction (`tuning.trial`); write `OUT/tuned.json` (a preset for `reproduce
    --preset OUT/tuned.json`), `tune.md` and `tune.png`. Returns one summary per study
    (`tuning.report.summaries`)."""
    from .. import experiments

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if jobs is None and not (backend == "ray" and address is not None):
        jobs = default_jobs("cpu")
    window = jobs or 1
    bases = [(task, _base_config(task, name, seed, validation, preset, data_dir))  # checked before anything is written
             for task in tasks for name in models or experiments.get(task, preset).models]
    with exclusive(out_dir):
        start = time.perf_counter()
        with job_pool(backend, jobs, address) as pool:
            for task, base in dict(bases).items():  # the data sets first: a missing file stops the tune here
                pool.add(("data", task, 0), math.inf, prepare_data, base)
            problems = [future.exception() for _, future in pool.finished() if future.exception() is not None]
            if not problems:  # (raised once the pool has shut down cleanly)
                counts, studies = _run_studies(pool, bases, trials, seed, window, out_dir, show_progress)
        if problems:
            raise problems[0]
        wall = time.perf_counter() - start
        header = (f"Command: `{command}` · preset `{preset}` · {trials} trials per model · backend {backend} · "
                  f"{counts['run']} trials run now ({counts['failed']} failed) · wall time {wall:.0f} s")
        summaries = write_tuned(studies, out_dir, preset, trials, validation, seed, header)
        log(f"wrote {out_dir / 'tuned.json'} and {out_dir / 'tune.md'} ({wall:.0f} s)")
        return summaries


def _run_studies(pool: Any, bases: list[tuple[str, RunConfig]], trials: int, seed: int, window: int,
                 out_dir: Path, show_progress: bool | None) -> tuple[dict[str, int], list[Study]]:
    """Open (or resume) every study and run its trials on `pool`, `window` in flight per
    study, telling them in order. -> (counts of trials run and failed, the studies)."""
    storage = _storage(out_dir)
    studies, stale = [], []
    for task, base in bases:
        study, left = _open_study(task, base, trials, seed, storage, out_dir / JOURNAL)
        studies.append(study)
        stale.append(left)
    counts = {"run": 0, "failed": 0}
    remaining = sum(s.to_ask + len(left) for s, left in zip(studies, stale))
    with progress_bar(remaining, "tune", show_progress) as advance:

        def submit(index: int, number: int, params: dict[str, Any]) -> None:
            study = studies[index]
            study.in_flight.append(number)
            pool.add(("trial", index, number), -number, validation_loss, study.config(params),
                     study.trial_dir(out_dir, number))

        def ask(index: int) -> None:
            study = studies[index]
            if study.to_ask > 0:
                study.to_ask -= 1
                trial = study.study.ask(space.SPACE)
                submit(index, trial.number, trial.params)

        for index, study in enumerate(studies):  # trials a killed tune left running, then new ones
            trials_of = {t.number: t for t in study.study.get_trials(deepcopy=False)}
            for left in stale[index]:
                submit(index, left, trials_of[left].params)
            while len(study.in_flight) < window and study.to_ask > 0:
                ask(index)
        for (_, key, number), future in pool.finished():
            study = studies[key]
            study.finished[number] = future.result()
            while study.in_flight and study.in_flight[0] in study.finished:
                told = study.in_flight.popleft()
                loss = study.finished.pop(told)
                if loss is None:
                    study.study.tell(told, state=TrialState.FAIL)
                    counts["failed"] += 1
                else:
                    study.study.tell(told, loss)
                counts["run"] += 1
                log(f"{study.name} trial {told}: " + ("diverged" if loss is None else f"validation {loss:.3e}"))
                advance(1, f"{pool.running} running, {counts['failed']} failed")
                ask(key)
    return counts, studies
