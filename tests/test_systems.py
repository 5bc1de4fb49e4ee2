"""Systems: true vector field = J∇H, energy conservation of the true flow, registry."""

from __future__ import annotations

import pytest
import torch

import hamnet
from hamnet.errors import UnknownNameError
from hamnet.hamiltonian import hamiltonian_vector_field, symplectic_gradient
from hamnet.systems import names

CLOSED_FORM = ["spring", "pendulum"]


def test_registry_lists_core_systems() -> None:
    assert {"spring", "pendulum"} <= set(names())
    assert hamnet.systems.get("spring").dim == 2


def test_unknown_system_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="spring"):
        hamnet.systems.get("double-spring")


def test_symplectic_gradient_layout() -> None:
    grad = torch.tensor([[1.0, 2.0, 3.0, 4.0]])  # dH/dq = (1, 2), dH/dp = (3, 4)
    assert symplectic_gradient(grad).tolist() == [[3.0, 4.0, -1.0, -2.0]]


@pytest.mark.parametrize("name", names())
def test_vector_field_equals_J_grad_H(name: str) -> None:
    system = hamnet.systems.get(name)
    x = system.sample_initial(64, torch.Generator().manual_seed(1))
    expected = hamiltonian_vector_field(system.hamiltonian, x)
    torch.testing.assert_close(system.vector_field(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_true_flow_conserves_energy(name: str) -> None:
    system = hamnet.systems.get(name)
    protocol = system.energy_protocol
    x0 = system.sample_evaluation_initial(protocol.n_states, torch.Generator().manual_seed(0))
    t = torch.linspace(0, protocol.t_end, protocol.n_points, dtype=torch.float64)
    xs = hamnet.rollout(system.vector_field, x0, t, rtol=1e-11, atol=1e-11)
    drift = (system.hamiltonian(xs) - system.hamiltonian(x0)).abs().max()
    assert drift <= 1e-8


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_samplers_are_seeded_and_in_range(name: str) -> None:
    system = hamnet.systems.get(name)
    a = system.sample_initial(100, torch.Generator().manual_seed(3))
    b = system.sample_initial(100, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.shape == (100, system.dim) and a.dtype == torch.float64
    evaluation = system.sample_evaluation_initial(100, torch.Generator().manual_seed(3))
    assert evaluation.abs().min() >= 0.2 and evaluation.abs().max() <= 1.0
