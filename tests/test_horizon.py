"""Long-horizon metrics: exact for the true field, the chaos floor, the valid time."""

from __future__ import annotations

import torch

import hamnet
from hamnet.horizon import HorizonProtocol, applies, long_horizon_metrics, relative_error
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


def test_the_true_field_scores_its_integration_error_and_stays_valid() -> None:
    spring = hamnet.systems.get("spring")
    metrics = long_horizon_metrics(spring, FieldModel(spring), t_end=3.0, protocol=PROTOCOL)
    # the model's rollout runs at rtol 1e-7 (measured error 8e-7 over the 30 time units):
    # far below the floor of 5e-5 that the metric resolves
    assert metrics["horizon_error"] < 1e-5 and metrics["energy_drift"] < 1e-5
    assert metrics["valid_time"] == 30.0  # never beyond the threshold: the horizon
    # the floor: a 1e-4 relative nudge of a rotation stays a 1e-4 relative error, halved by the norm sum
    assert 3e-5 < metrics["horizon_floor"] < 6e-5


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
    get = hamnet.systems.get
    assert applies(get("spring"), get("spring").recipe) and applies(get("two-body"), get("two-body").recipe)
    assert not applies(get("real-pendulum"), get("real-pendulum").recipe)  # one measured series
    assert not applies(get("pixel-pendulum"), get("pixel-pendulum").recipe)  # frames


def test_relative_error_is_bounded_and_counts_blow_ups_as_the_worst() -> None:
    a = torch.tensor([[1.0, 0.0], [float("nan"), 0.0], [1.0, 0.0]])
    b = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    assert relative_error(a, b).tolist() == [0.0, 1.0, 1.0]
