"""Systems: true vector field = J∇H, energy conservation of the true flow, registry."""

from __future__ import annotations

import pytest
import torch

import hamnet
from hamnet.errors import UnknownNameError
from hamnet.hamiltonian import hamiltonian_vector_field, symplectic_gradient
from hamnet.systems import names

CLOSED_FORM = ["spring", "pendulum"]


@pytest.mark.parametrize("name", ["two-body", "three-body"])
def test_nbody_analytic_field_matches_autograd_and_newton(name: str) -> None:
    """The closed-form N-body field equals J∇H by autograd, and momentum is conserved."""
    system = hamnet.systems.get(name)
    x = system.sample_initial(32, torch.Generator().manual_seed(4))
    field = system.vector_field(x)
    torch.testing.assert_close(field, hamiltonian_vector_field(system.hamiltonian, x), rtol=1e-12, atol=1e-12)
    forces = field[:, system.dim // 2:].unflatten(-1, (-1, 2))
    assert forces.sum(dim=1).abs().max() < 1e-12  # Newton's third law: Σ F_i = 0


def test_two_body_energy_is_kepler() -> None:
    """Two unit masses at ±(1, 0) at rest: E = −G m² / r = −1/2."""
    system = hamnet.systems.get("two-body")
    x = torch.tensor([[1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    assert float(system.hamiltonian(x)) == pytest.approx(-0.5, abs=1e-15)


def test_registry_lists_core_systems() -> None:
    assert {"spring", "pendulum"} <= set(names())
    assert hamnet.systems.get("spring").dim == 2


def test_unknown_system_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="spring"):
        hamnet.systems.get("double-spring")


def test_symplectic_gradient_layout() -> None:
    grad = torch.tensor([[1.0, 2.0, 3.0, 4.0]])  # dH/dq = (1, 2), dH/dp = (3, 4)
    assert symplectic_gradient(grad).tolist() == [[3.0, 4.0, -1.0, -2.0]]


@pytest.mark.parametrize("name", [name for name in names() if hamnet.systems.get(name).conservative
                                  and hamnet.systems.get(name).constraints is None])
def test_vector_field_equals_J_grad_H(name: str) -> None:
    """Unconstrained systems (a constrained one's field is J∇H projected: test_constrained)."""
    system = hamnet.systems.get(name)
    x = system.sample_initial(64, torch.Generator().manual_seed(1))
    expected = hamiltonian_vector_field(system.hamiltonian, x)
    torch.testing.assert_close(system.vector_field(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["spring", "pendulum", "two-body", "three-body"])
def test_true_flow_conserves_energy(name: str) -> None:
    """Over the energy protocol's horizon, as the reference rollouts are integrated (rtol 1e-10)."""
    system = hamnet.systems.get(name)
    t, xs, x0 = hamnet.metrics.reference_rollouts(system, system.energy_protocol)
    drift = (system.hamiltonian(xs) - system.hamiltonian(xs[0])).abs().max()
    assert xs.shape == (system.energy_protocol.n_points, system.energy_protocol.n_states, system.dim)
    assert torch.equal(x0, xs[0]) and t[-1] == system.energy_protocol.t_end
    assert drift <= 1e-8


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_samplers_are_seeded_and_in_range(name: str) -> None:
    system = hamnet.systems.get(name)
    a = system.sample_initial(100, torch.Generator().manual_seed(3))
    b = system.sample_initial(100, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.shape == (100, system.dim) and a.dtype == torch.float64
    evaluation = system.sample_evaluation_initial(100, torch.Generator().manual_seed(3))
    assert evaluation.abs().min() >= 0.2 and evaluation.abs().max() <= 1.0


def test_damped_spring_loses_energy_at_the_friction_rate() -> None:
    """dE/dt = ∇E · f = −4γp² along the damped field, and the integrated flow follows it:
    E(t) matches E(0) − ∫ 4γp² dt (trapezoid rule on a fine grid)."""
    from hamnet.integrators import rollout
    from hamnet.systems.damped_spring import DAMPING

    system = hamnet.systems.get("damped-spring")
    x = system.sample_initial(64, torch.Generator().manual_seed(0))
    rate = (torch.stack([2 * x[:, 0], 2 * x[:, 1]], dim=-1) * system.vector_field(x)).sum(-1)
    torch.testing.assert_close(rate, -4 * DAMPING * x[:, 1] ** 2, rtol=1e-12, atol=1e-14)
    t = torch.linspace(0, 20, 4001, dtype=torch.float64)
    xs = rollout(system.vector_field, x, t, rtol=1e-10, atol=1e-10)  # [T, b, 2]
    energy = system.hamiltonian(xs)
    lost = torch.cumulative_trapezoid(4 * DAMPING * xs[..., 1] ** 2, t, dim=0)
    torch.testing.assert_close(energy[1:], energy[0] - lost, rtol=0, atol=1e-5)
    assert bool((energy[-1] < 0.2 * energy[0]).all())  # e^{−2γ·20} ≈ 0.02 of it is left
