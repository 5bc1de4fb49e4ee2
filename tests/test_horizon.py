"""Long-horizon metrics: exact for the true field, the chaos floor, the valid time."""

from __future__ import annotations

import math

import torch

import hamnet
from hamnet.horizon import HorizonProtocol, relative_error
from hamnet.horizon import long_horizon_metrics as metrics_and_curves
from hamnet.models import DynamicsModel

PROTOCOL = HorizonProtocol(n_states=6, n_points=100)


class FieldModel(DynamicsModel):
    """A system's field, its time scaled by `speed`, as a 'model'."""

    kind = "field"

    def __init__(self, system, speed: float = 1.0):
        super().__init__(system.dim, ())
        self.system, self.speed = system, speed
        self.anchor = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def _time_derivative(self, x):
        return self.speed * self.system.vector_field(x)


class EnergyFieldModel(FieldModel):
    """The true field with the true H as its 'learned' energy (what `learned_energy_drift` reads)."""

    kind = "field-with-energy"

    def hamiltonian(self, x):
        return self.system.hamiltonian(x)


def long_horizon_metrics(*args, **kwargs) -> dict[str, float]:
    return metrics_and_curves(*args, **kwargs)[0]


def test_the_true_field_scores_its_integration_error_and_stays_valid() -> None:
    spring = hamnet.systems.get("spring")
    metrics = long_horizon_metrics(spring, FieldModel(spring), t_end=3.0, protocol=PROTOCOL)
    # the model's rollout runs at rtol 1e-7 (measured error 8e-7 over the 30 time units):
    # far below the floor of 5e-5 that the metric resolves
    assert metrics["horizon_error"] < 1e-5 and metrics["energy_drift"] < 1e-5
    assert metrics["valid_time"] == 30.0  # never beyond the threshold: the horizon
    # the floor: a 1e-4 relative nudge of a rotation stays a 1e-4 relative error, halved by the norm sum
    assert 3e-5 < metrics["horizon_floor"] < 6e-5
    assert metrics["reversibility_error"] < 1e-12  # a conservative flow, even in p, retraces its path
    assert "learned_energy_drift" not in metrics  # this 'model' has no energy of its own


def test_learned_energy_drift_tells_the_integrators_part() -> None:
    """The learned H's own drift is the integrator's: dopri5's grows with its error, leapfrog's
    (a symplectic step of the spring's separable field) stays bounded at O(h²)."""
    spring = hamnet.systems.get("spring")
    model = EnergyFieldModel(spring)
    dopri = long_horizon_metrics(spring, model, t_end=3.0, protocol=PROTOCOL)
    assert dopri["learned_energy_drift"] < 1e-5
    model.separable = True
    metrics, curves = metrics_and_curves(spring, model, t_end=3.0, protocol=PROTOCOL, method="leapfrog",
                                         step_size=0.1)
    drift = curves.learned_drift  # [T, b]
    # H = q² + p² (ω = 2), output spacing 30/99 in equal steps ≤ 0.1. Kick–drift–kick keeps
    # H̃ = p² + (1 − (ωh)²/4) q² exactly, so H / H(x₀) stays within 1 ± (ωh)²/4 / (1 − (ωh)²/4)
    spacing = 30 / (PROTOCOL.n_points - 1)
    wh = 2 * spacing / math.ceil(spacing / 0.1)
    assert drift.max() <= (wh**2 / 4) / (1 - wh**2 / 4) + 1e-12
    assert drift[len(drift) // 2:].max() < 1.5 * drift[:len(drift) // 2].max()  # bounded: no growth
    # its H is the true one: the two differ by the reference's own drift (rtol 1e-10 over a
    # few hundred steps: < 1e-7)
    assert abs(metrics["energy_drift"] - metrics["learned_energy_drift"]) < 1e-7


def test_a_slightly_fast_model_loses_phase_within_the_horizon() -> None:
    """1 % too fast: the phase error 0.01·2·t (rad) reaches e ≈ 0.1 near t ≈ 10."""
    spring = hamnet.systems.get("spring")
    metrics = long_horizon_metrics(spring, FieldModel(spring, speed=1.01), t_end=3.0, protocol=PROTOCOL)
    assert 7.0 < metrics["valid_time"] < 13.0
    assert 1e-2 < metrics["horizon_error"] < 0.2
    assert metrics["energy_drift"] < 1e-4  # a faster rotation keeps the energy (rtol 1e-7: 8e-6 measured)


def test_chaos_floor_of_three_bodies_is_far_above_the_springs() -> None:
    spring, three = hamnet.systems.get("spring"), hamnet.systems.get("three-body")
    floors = [long_horizon_metrics(s, FieldModel(s), t_end=s.recipe.t_end, protocol=PROTOCOL)["horizon_floor"]
              for s in (spring, three)]
    assert floors[1] > 10 * floors[0]


def test_which_tasks_get_long_horizon_metrics() -> None:
    def span(task: str) -> tuple[float, float] | None:
        config = hamnet.RunConfig.for_task(task, "hnn")
        return config.system().training_span(config.recipe, config.protocol)

    assert span("spring") == (3.0, 3.0 / 29) and span("two-body")[0] == 20.0  # the recipes' t_end
    assert span("real-pendulum") is None  # one measured series, no true flow
    assert span("pixel-pendulum") is None  # frames


def test_relative_error_is_bounded_and_counts_blow_ups_as_the_worst() -> None:
    a = torch.tensor([[1.0, 0.0], [float("nan"), 0.0], [1.0, 0.0]])
    b = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    assert relative_error(a, b).tolist() == [0.0, 1.0, 1.0]


def test_another_integrator_evaluates_a_run_without_touching_its_metrics(tmp_path) -> None:
    from hamnet.experiments import RunConfig
    from hamnet.pipeline import evaluate_run, horizon_evaluation, load_horizon_curves, train_run
    from hamnet.runs import HORIZON, METRICS

    run = tmp_path / "run"
    train_run(RunConfig.for_task("spring", "hnn", steps=5), run, show_progress=False)
    metrics = evaluate_run(run)
    assert {"horizon_error", "learned_energy_drift", "reversibility_error"} <= set(metrics)
    curves = load_horizon_curves(run)
    assert curves is not None and curves.error.shape == (len(curves.t), 15)
    assert torch.equal(load_horizon_curves(str(run)).error, curves.error)  # a path given as text too
    before = (run / METRICS).read_bytes()
    other = horizon_evaluation(run, factor=2.0, integrator="implicit-midpoint")
    assert (run / METRICS).read_bytes() == before
    saved = load_horizon_curves(run, "horizon-implicit-midpoint-2x.safetensors")
    assert saved is not None and float(saved.t[-1]) == 6.0  # 2 × the spring's training horizon of 3
    assert (run / "horizon-implicit-midpoint-2x.json").exists() and other["valid_time"] <= 6.0
    plain = evaluate_run(run, long_horizon=False)
    assert "horizon_error" not in plain and not (run / HORIZON).exists()


def test_the_reversibility_run_forward_is_the_horizon_rollout_itself() -> None:
    """dopri5 samples by interpolation, so the training horizon's states come from the
    horizon rollout; they match a separate run to t_end within the tolerance's error, and
    adding that time leaves the curves as they were."""
    from hamnet.horizon import MODEL_RTOL, horizon_curves
    from hamnet.metrics import reversibility_error

    damped = hamnet.systems.get("damped-spring")
    model = FieldModel(damped)
    metrics, curves = metrics_and_curves(damped, model, t_end=3.0, protocol=PROTOCOL)
    x0 = damped.sample_evaluation_initial(PROTOCOL.n_states, torch.Generator().manual_seed(1)).double()
    separate = reversibility_error(model, x0, 3.0, rtol=MODEL_RTOL)
    assert separate.mean > 1e-3  # friction: the reversed run does not return
    # the two forward states differ by the integrator's error, ~ rtol × |x| (|x| ~ 1)
    assert math.isclose(metrics["reversibility_error"], separate.mean, rel_tol=1e-4)
    alone = horizon_curves(damped, model, 3.0, PROTOCOL)
    assert torch.allclose(curves.error, alone.error, rtol=0, atol=1e-12)
