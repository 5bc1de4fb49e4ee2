"""How good a distilled formula is: its field against the network's and the truth's, its
rollouts scored by the run's own protocol (energy MSE, state MSE, the long-horizon error),
and its terms against the task's true H written in the same library."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..experiments import RunConfig
from ..horizon import HorizonProtocol, long_horizon_metrics
from ..metrics import energy_mse, state_mse
from ..models import DynamicsModel
from ..pipeline import rollouts_for
from ..systems import System
from .formula import Formula
from .library import term_gradients
from .regression import least_squares
from .targets import gradient_from_field

#: A truth is "in the library" when the library fits its gradient to this relative residual.
EXACT = 1e-6


def relative_field_error(field: Tensor, reference: Tensor) -> float:
    """mean ‖f − f_ref‖² / mean ‖f_ref‖² over the states.  [N, 2n] each."""
    return float(((field - reference) ** 2).sum(-1).mean() / (reference**2).sum(-1).mean())


def model_field(model: DynamicsModel, states: Tensor) -> Tensor:
    """The model's dx/dt at `states` [N, 2n], float64, without gradients."""
    with torch.no_grad():
        return model.double().time_derivative(states.to(torch.float64))


def rollout_scores(config: RunConfig, data: Any, model: DynamicsModel, horizon: float | None) -> dict[str, float]:
    """The run's evaluation protocol for `model`: energy MSE (where the energy is known),
    state MSE along the test rollouts, and the long-horizon error over `horizon` × the
    training horizon (generated data only; None: skipped)."""
    system = config.system()
    rollouts = rollouts_for(config, model, data)
    scores = {"state_mse": state_mse(rollouts).mean}
    if system.has_energy:
        scores["energy_mse"] = energy_mse(system, rollouts).mean
    span = system.training_span(config.recipe, config.protocol)
    if span is not None and horizon is not None:
        metrics, _ = long_horizon_metrics(system, model, span[0], HorizonProtocol(factor=horizon))
        scores |= {f"horizon_error_{horizon:g}x": metrics["horizon_error"], "valid_time": metrics["valid_time"]}
    return scores


def representation(grad_h: Tensor, library: list, states: Tensor) -> dict[str, float] | None:
    """An H given by its gradient `grad_h` [N, 2n] at `states` [N, 2n], written in the
    library's terms {term: coefficient}; None where the library cannot write it (relative
    residual above `EXACT`)."""
    truth = grad_h.reshape(-1).numpy()
    a = term_gradients(library, states).reshape(-1, len(library)).numpy()
    coefficients, residual = least_squares(a, truth, tuple(range(len(library))))
    if residual > EXACT:
        return None
    scale = np.abs(coefficients) * np.linalg.norm(a, axis=0)
    return {library[k].text: float(c) for k, c in enumerate(coefficients) if scale[k] > EXACT * np.linalg.norm(truth)}


def true_gradient(system: System, states: Tensor) -> Tensor | None:
    """∇H of the system's true H at `states` (None: a system without one)."""
    if not system.has_energy:
        return None
    with torch.no_grad():
        return gradient_from_field(system.vector_field(states))


def against_truth(truth: dict[str, float] | None, formula: Formula) -> dict[str, Any] | None:
    """Whether the formula's terms are the truth's (no missing, no extra term), and the
    largest relative error of a true term's coefficient."""
    if truth is None:
        return None
    found = dict(zip(formula.terms, formula.coefficients))
    errors = [abs(found[t] - c) / abs(c) for t, c in truth.items() if t in found]
    return {"exact_support": set(found) == set(truth), "missing": [t for t in truth if t not in found],
            "extra": [t for t in found if t not in truth], "true_terms": truth,
            "max_coefficient_error": max(errors) if errors else None}
