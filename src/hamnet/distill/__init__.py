"""The learned H as a formula (`hamnet distill`): sparse regression over a library of
candidate terms of the learned gradient (a trained run) or of −J dx/dt (data directly),
with bootstrap intervals and scores; the formula rolls out as a model (`FormulaModel`)
and goes back into `--hamiltonian` as text.

    from hamnet.distill import LibrarySpec, distill_run
    result = distill_run("runs/spring-hnn", LibrarySpec(degree=4))
    result.hamiltonian.text          # "1.0003*(q**2) + 0.9991*(p**2)"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import InvalidValueError
from ..experiments import RunConfig
from ..expression import HamiltonianExpression
from ..pipeline import build_data, load_model
from ..runs import load_config
from .formula import Formula, FormulaModel
from .library import LibrarySpec, build_library, parse_terms, term_gradients
from .regression import TOLERANCE, SparseFit, bootstrap_intervals, least_squares, simex, sparse_fit
from .scores import against_truth, model_field, relative_field_error, representation, rollout_scores, true_gradient
from .sindy import plain_sindy
from .targets import Targets, check_distillable, data_targets, network_targets, subsample

#: States the regression uses at most (drawn from the training split, seeded).
MAX_STATES = 2000


@dataclass(frozen=True)
class Settings:
    """How to distill: the library, the selection rule's `tolerance`, at most `states`
    training states, `bootstrap` resamples, the long-horizon factor (None: skip), the seed;
    `truth`: the H to compare the formula with (an expression; None: the task's own H);
    `noise`: the std of the noise on the states, which the coefficients are corrected for
    (`hamnet.distill.regression.simex`; 0: no correction)."""

    library: LibrarySpec = field(default_factory=LibrarySpec)
    tolerance: float = TOLERANCE
    states: int = MAX_STATES
    bootstrap: int = 200
    horizon: float | None = 10.0
    seed: int = 0
    truth: str | None = None
    noise: float = 0.0

    def __post_init__(self) -> None:
        if not (0 <= self.noise < float("inf")):
            raise InvalidValueError(f"--noise must be a non-negative number, got {self.noise}")
        if not 0 <= self.tolerance < 1:
            raise InvalidValueError(f"--tolerance must be in [0, 1), got {self.tolerance}")
        if self.states < 2 or self.bootstrap < 1:
            raise InvalidValueError(f"--states must be at least 2 and --bootstrap at least 1, got {self.states} "
                                    f"and {self.bootstrap}")


@dataclass
class Distillation:
    """What `distill_run` / `distill_data` found: the formula (and the dissipation's, for a
    D-HNN), the fit's residual and path, scores, and the comparison with the truth and SINDy."""

    source: str
    hamiltonian: Formula
    dissipation: Formula | None
    library_size: int
    residual: float
    path: tuple[tuple[int, float], ...]
    scores: dict[str, dict[str, float]]
    truth: dict[str, Any] | None
    sindy: dict[str, Any] | None
    settings: Settings

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "hamiltonian": self.hamiltonian.to_dict(),
                "dissipation": self.dissipation.to_dict() if self.dissipation else None,
                "library_size": self.library_size, "relative_residual": self.residual,
                "path": [list(p) for p in self.path], "scores": self.scores, "truth": self.truth,
                "sindy": self.sindy,
                "settings": dataclasses.asdict(self.settings) | {"library": self.settings.library.to_dict()}}


def _fit(library: list, states: torch.Tensor, grad: torch.Tensor, settings: Settings,
         coords: tuple[str, ...], momenta: tuple[str, ...]) -> tuple[Formula, SparseFit]:
    """The sparse formula whose gradient matches `grad` [N, 2n] at `states` [N, 2n]; with
    `settings.noise`, its coefficients corrected for the noise on the states (`simex`), and
    terms whose corrected share of the target falls below the tolerance dropped one by one."""
    a = term_gradients(library, states).reshape(-1, len(library)).numpy()
    b = grad.reshape(-1).numpy()
    fit = sparse_fit(a, b, settings.tolerance)
    support, coefficients = list(fit.support), fit.coefficients
    if settings.noise:
        generator = torch.Generator().manual_seed(settings.seed)
        while True:
            terms = [library[k] for k in support]
            coefficients = simex(lambda x: term_gradients(terms, x).reshape(-1, len(terms)).numpy(), states, b,
                                 settings.noise, generator)
            share = np.abs(coefficients) * np.linalg.norm(a[:, support], axis=0) / np.linalg.norm(b)
            weakest = int(np.argmin(share))
            if share[weakest] >= settings.tolerance or len(support) == 1:
                break
            support.pop(weakest)
    support = tuple(support)
    # Intervals: the bootstrap of the least-squares fit, moved by the noise correction.
    ols, _ = least_squares(a, b, support)
    intervals = bootstrap_intervals(a, b, support, states.shape[-1], settings.bootstrap, settings.seed)
    intervals = intervals + (coefficients - ols)[:, None]
    formula = Formula(tuple(library[k].text for k in support), tuple(float(c) for c in coefficients),
                      tuple(tuple(map(float, i)) for i in intervals), coords, momenta)
    return formula, dataclasses.replace(fit, support=support, coefficients=coefficients)


def _distill(source: str, config: RunConfig, data: Any, targets: Targets, settings: Settings,
             network: Any = None) -> Distillation:
    system = config.system()
    coords, momenta = system.state_names()
    spec = settings.library
    if spec.pairwise is None and getattr(system, "n_bodies", None):
        spec = dataclasses.replace(spec, pairwise=len(coords) // system.n_bodies)
        settings = dataclasses.replace(settings, library=spec)
    library = build_library(spec, coords, momenta)
    hamiltonian, fit = _fit(library, targets.states, targets.grad_h, settings, coords, momenta)
    dissipation = None if targets.grad_d is None else _fit(library, targets.states, targets.grad_d, settings,
                                                            coords, momenta)[0]
    formula_model = FormulaModel(hamiltonian, dissipation)
    x_test = data.x_test.to(torch.float64)
    scores: dict[str, dict[str, float]] = {"formula": {}, "network": {}}
    reference = model_field(network, x_test) if network is not None else None
    if reference is not None:
        scores["formula"]["field_error_vs_network"] = relative_field_error(model_field(formula_model, x_test), reference)
    if system.has_energy:
        with torch.no_grad():
            true_field = system.vector_field(x_test)
        scores["formula"]["field_error_vs_truth"] = relative_field_error(model_field(formula_model, x_test), true_field)
        if reference is not None:
            scores["network"]["field_error_vs_truth"] = relative_field_error(reference, true_field)
    for name, model in (("formula", formula_model), ("network", network)):
        if model is not None:
            scores[name] |= rollout_scores(config, data, model, settings.horizon)
    grad = (HamiltonianExpression.parse(settings.truth, coords, momenta).gradient(targets.states)
            if settings.truth else true_gradient(system, targets.states))
    truth = against_truth(None if grad is None else representation(grad, library, targets.states), hamiltonian)
    return Distillation(source, hamiltonian, dissipation, len(library), fit.residual, fit.path,
                        {k: v for k, v in scores.items() if v}, truth, None, settings)


def distill_run(run_dir: str | Path, settings: Settings = Settings()) -> Distillation:
    """Distill the learned H (and D) of the trained run in `run_dir` at its training states."""
    config = load_config(run_dir)
    check_distillable(config.model, config.system())
    network = load_model(config, run_dir)
    data = build_data(config)
    x = data.x_train.to(torch.float64)
    x = x[subsample(len(x), settings.states, settings.seed)]
    return _distill(str(run_dir), config, data, network_targets(network, x), settings, network)


def distill_data(config: RunConfig, settings: Settings = Settings(), with_sindy: bool = True) -> Distillation:
    """Distill H from the data of `config` (a `--data` file task) directly: ∇H = −J dx/dt
    at the training states; beside it plain SINDy on the same states."""
    data = build_data(config)
    pick = subsample(len(data.x_train), settings.states, settings.seed)
    x, dxdt = data.x_train[pick].to(torch.float64), data.dxdt_train[pick].to(torch.float64)
    result = _distill(str(config.system_options.get("path", config.task)), config, data, data_targets(x, dxdt),
                      settings)
    if with_sindy:
        system = config.system()
        coords, momenta = system.state_names()
        with torch.no_grad():
            truth = (system.vector_field(data.x_test.to(torch.float64)), system.vector_field(x)) \
                if system.has_energy else (None, None)
        result.sindy = plain_sindy(x, dxdt, [*coords, *momenta], settings.library.degree, settings.library.trig,
                                   settings.tolerance, data.x_test.to(torch.float64), *truth)
    return result


__all__ = ["Distillation", "Formula", "FormulaModel", "LibrarySpec", "Settings", "build_library", "distill_data",
           "distill_run", "parse_terms"]
