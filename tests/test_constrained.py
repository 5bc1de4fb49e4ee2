"""Constrained systems in Cartesian coordinates (`chain-pendulum:N`) and the constrained HNN:
the closed-form projected field keeps the constraints and equals the textbook formula, the
Cartesian chain and the angle chain describe the same motion, states are projected onto the
constraints (or refused where none satisfies them), and a CHNN learns the chain."""

from __future__ import annotations

import json
import math

import pytest
import torch

from hamnet import models, rollout, systems
from hamnet.errors import InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.pipeline import train_run
from hamnet.systems.bodies import spherical_bobs
from hamnet.systems.chain_pendulum import ChainPendulum
from hamnet.systems.constraints import DistanceConstraints
from hamnet.systems.pendulum_chain import PendulumChain

EPS = torch.finfo(torch.float64).eps


def _states(system: ChainPendulum, n: int = 64) -> torch.Tensor:
    return system.sample_initial(n, torch.Generator().manual_seed(3))


def _constraint_rates(constraints: DistanceConstraints, field, x: torch.Tensor, inverse_mass: torch.Tensor):
    """d/dt (Φ, Φ̇) along `field` at x, by forward-mode differentiation of Ψ(z)."""
    def psi(z: torch.Tensor) -> torch.Tensor:
        positions, p = z.chunk(2, dim=-1)
        return torch.cat(constraints.residual(positions, p * inverse_mass), dim=-1)
    return torch.func.jvp(psi, (x,), (field(x),))[1]


@pytest.mark.parametrize("name", ["chain-pendulum:1", "chain-pendulum:2", "chain-pendulum:5", "coupled-pendulum:3",
                                  "magnet-pendulum"])
def test_the_true_field_keeps_the_constraints(name) -> None:
    system = systems.get(name)
    x = _states(system)
    positions, p = x.chunk(2, dim=-1)
    phi, rate = system.constraints.residual(positions, p * system.inverse_mass(x))
    assert phi.abs().max() < 1e-11 and rate.abs().max() < 1e-9  # the sampler projects onto them
    rates = _constraint_rates(system.constraints, system.vector_field, x, system.inverse_mass(x))
    scale = system.vector_field(x).abs().max() * max(system.constraints.lengths) * 4
    assert rates.abs().max() <= 1e3 * EPS * scale


def test_spherical_bobs_are_on_their_spheres_and_move_as_their_angles_say() -> None:
    generator = torch.Generator().manual_seed(5)
    angles = torch.randn(4, 3, 2, generator=generator, dtype=torch.float64)
    rates = torch.randn(4, 3, 2, generator=generator, dtype=torch.float64)
    offsets, velocities = spherical_bobs(angles, rates, length=1.3)
    assert torch.allclose(offsets.reshape(4, 3, 3).norm(dim=-1), torch.full((4, 3), 1.3, dtype=torch.float64))
    # the velocity is the offsets' time derivative along the angles' rates
    along = torch.func.jvp(lambda a: spherical_bobs(a, rates, 1.3)[0], (angles,), (rates,))[1]
    assert (along - velocities).abs().max() <= 16 * EPS * velocities.abs().max()
    # φ = π, θ = π/2 hangs straight down
    down, _ = spherical_bobs(torch.tensor([[[torch.pi, torch.pi / 2]]], dtype=torch.float64),
                             torch.zeros(1, 1, 2, dtype=torch.float64))
    assert (down - torch.tensor([[0.0, 0.0, -1.0]], dtype=torch.float64)).abs().max() < 1e-15


def test_the_magnets_potential_is_the_dipole_formula() -> None:
    """V − g m z = −Σ_i [m_0·m_i + 3 (m_0·r̂_i)(m_i·r̂_i)] / (4π |r_i|³), written magnet by magnet."""
    system = systems.get("magnet-pendulum")
    x = _states(system, 16)
    positions = x[:, :3]
    expected = 9.81 * 3.0 * positions[:, 2]
    bob = 0.3 * positions / (positions * positions).sum(-1, keepdim=True)
    for magnet in system.magnets:
        r = torch.tensor(magnet, dtype=torch.float64) - positions
        unit, distance = r / r.norm(dim=-1, keepdim=True), r.norm(dim=-1)
        dipole = torch.tensor([0.0, 0.0, 0.3], dtype=torch.float64)
        expected = expected - ((bob * dipole).sum(-1) + 3 * (bob * unit).sum(-1) * (dipole * unit).sum(-1)) / (
            4 * math.pi * distance ** 3)
    assert (system.potential(positions) - expected).abs().max() <= 64 * EPS * expected.abs().max()


def test_coupled_bobs_hanging_at_rest_store_no_spring_energy() -> None:
    system = systems.get("coupled-pendulum:4")
    hanging = torch.tensor([[i, 0.0, -1.0] for i in range(4)], dtype=torch.float64).flatten().unsqueeze(0)
    assert system.potential(hanging).item() == -9.81 * 4
    stretched = hanging.clone()
    stretched[0, 3] += 0.5  # the second bob 0.5 towards the third: springs of 1.5 and 0.5
    assert abs(system.potential(stretched).item() - (-9.81 * 4 + 2 * 0.5 * 10 * 0.25)) < 1e-12


def test_nudged_states_go_back_onto_the_constraints() -> None:
    """The chaos floor's nudge (`hamnet.horizon`) leaves the rods' lengths; `onto_manifold` restores them."""
    system = systems.get("chain-pendulum:3")
    x = _states(system, 8)
    nudged = system.onto_manifold(x + 1e-4 * torch.randn(x.shape, generator=torch.Generator().manual_seed(2),
                                                         dtype=torch.float64))
    positions, p = nudged.chunk(2, dim=-1)
    phi, rate = system.constraints.residual(positions, p * system.inverse_mass(nudged))
    assert phi.abs().max() < 1e-11 and rate.abs().max() < 1e-9 and (nudged - x).abs().max() < 1e-2


def test_the_closed_form_projection_is_the_textbook_one() -> None:
    """P f = f − J DΨ (DΨᵀ J DΨ)⁻¹ DΨᵀ f with DΨ by autograd and one dense solve."""
    system = systems.get("chain-pendulum:3")
    x = _states(system, 16)
    inverse_mass = system.inverse_mass(x)
    f = torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)

    def psi(z: torch.Tensor) -> torch.Tensor:
        positions, p = z.chunk(2, dim=-1)
        return torch.cat(system.constraints.residual(positions, p * inverse_mass), dim=-1)

    expected = []
    for z, fz in zip(x, f):
        d_psi = torch.autograd.functional.jacobian(lambda w: psi(w.unsqueeze(0))[0], z).T  # [dim, 2C]
        j_d_psi = torch.cat([d_psi[len(z) // 2:], -d_psi[:len(z) // 2]])
        multipliers = torch.linalg.solve(d_psi.T @ j_d_psi, d_psi.T @ fz)
        expected.append(fz - j_d_psi @ multipliers)
    positions, p = x.chunk(2, dim=-1)
    got = system.constraints.project_field(f, positions, p * inverse_mass, inverse_mass)
    assert torch.allclose(got, torch.stack(expected), rtol=0, atol=1e-9 * float(f.abs().max()) * 100)


def test_cartesian_and_angle_chains_describe_the_same_motion() -> None:
    cartesian, angles = ChainPendulum(3, unit=True), PendulumChain(3)
    generator = torch.Generator().manual_seed(0)
    theta = 0.6 * torch.randn(8, 3, generator=generator, dtype=torch.float64)
    omega = torch.randn(8, 3, generator=generator, dtype=torch.float64)
    x_cartesian = cartesian.from_angles(theta, omega)
    x_angles = torch.cat([theta, (angles.mass_matrix(theta) @ omega.unsqueeze(-1)).squeeze(-1)], dim=-1)
    assert torch.allclose(cartesian.hamiltonian(x_cartesian), angles.hamiltonian(x_angles), rtol=0, atol=1e-12)
    back_theta, back_omega = cartesian.to_angles(x_cartesian)
    assert torch.allclose(back_theta, theta, atol=1e-12) and torch.allclose(back_omega, omega, atol=1e-12)
    t = torch.linspace(0.0, 1.0, 11, dtype=torch.float64)
    along_cartesian = rollout(cartesian.vector_field, x_cartesian, t, rtol=1e-11, atol=1e-11)
    along_angles = rollout(angles.vector_field, x_angles, t, rtol=1e-11, atol=1e-11)
    assert (cartesian.body_positions(along_cartesian) - angles.body_positions(along_angles)).abs().max() < 1e-7


def test_the_chain_in_angles_is_the_cartesian_chain() -> None:
    """`chain-angles:N` draws the same states as `chain-pendulum:N` from the same generator,
    with the same energy, and moves them the same way, seen in Cartesian coordinates."""
    angles, cartesian = systems.get("chain-angles:3"), systems.get("chain-pendulum:3")
    a, c = _states(angles, 8), _states(cartesian, 8)
    assert (angles.hamiltonian(a) - cartesian.hamiltonian(c)).abs().max() < 1e-12
    assert (angles.velocity_state(a) - cartesian.velocity_state(c)).abs().max() < 1e-12
    t = torch.linspace(0.0, 1.0, 11, dtype=torch.float64)
    moved_a = rollout(angles.vector_field, a, t, rtol=1e-11, atol=1e-11)
    moved_c = rollout(cartesian.vector_field, c, t, rtol=1e-11, atol=1e-11)
    assert (angles.velocity_state(moved_a) - cartesian.velocity_state(moved_c)).abs().max() < 1e-7


def test_chnn_masses_and_lengths_follow_their_draw() -> None:
    system = systems.get("chain-pendulum:2")
    assert all(0.6 <= v <= 1.4 for v in (*system.masses, *system.lengths))
    assert system.masses != system.lengths and systems.get("chain-pendulum:2").masses == system.masses
    assert systems.get("chain-pendulum:3").label == "chain-pendulum-3"


def test_an_impossible_set_of_constraints_is_refused() -> None:
    """Both bodies 1 from the origin and 5 from each other: no state satisfies that."""
    constraints = DistanceConstraints(2, 2, (0, 1, 1), (-1, -1, 0), (1.0, 1.0, 5.0), ((0.0, 0.0),) * 3)
    x = torch.tensor([[1.0, 0.0, -1.0, 0.1]], dtype=torch.float64)
    with pytest.raises(InvalidValueError, match="cannot all hold"):
        constraints.project_state(x, torch.zeros_like(x), torch.ones(4, dtype=torch.float64))
    with pytest.raises(InvalidValueError, match="two different bodies"):
        DistanceConstraints(2, 2, (0, 1), (0, 0), (1.0, 1.0), ((0.0, 0.0),) * 2)


def test_dependent_constraints_and_states_off_them_are_named() -> None:
    with pytest.raises(InvalidValueError, match="constraints 0 and 1 tie the same bodies"):
        DistanceConstraints(2, 2, (0, 1), (1, 0), (1.0, 1.0), ((0.0, 0.0),) * 2)
    system = systems.get("chain-pendulum:2")
    x = _states(system, 8)
    assert system.constraint_violation(x).max() < 1e-13
    assert system.constraint_violation(1.01 * x).min() > 1e-3  # longer rods, faster bobs
    positions = torch.zeros(3, 4, dtype=torch.float64)  # every bob at the pivot: no direction to project along
    with pytest.raises(InvalidValueError, match="constraint Jacobian is singular at some state"):
        system.constraints.project_state(positions, positions.clone(), system.inverse_mass(positions))


class _TruePotential(torch.nn.Module):
    """A system's own potential in the place of a model's MLP."""

    def __init__(self, system):
        super().__init__()
        self.system = system

    def input_gradient(self, positions):
        return self.system.potential_gradient(positions)


@pytest.mark.parametrize("kind", ["chnn", "clnn"])
@pytest.mark.parametrize("name", ["chain-pendulum:3", "coupled-pendulum:3", "magnet-pendulum"])
def test_constrained_models_with_the_true_potential_and_masses_are_the_true_field(kind, name) -> None:
    """CHNN's projected Hamiltonian field and CLNN's constrained accelerations: two routes
    to the same motion."""
    system = systems.get(name)
    model = models.build(kind, system.dim, (8,), constraints=system.constraints,
                         kinematics=models.Kinematics.of(system)).double()
    model.potential = _TruePotential(system)
    with torch.no_grad():
        model.log_mass.copy_(torch.tensor(system.masses, dtype=torch.float64).log())
    x = _states(system, 32)
    truth = system.vector_field(x)
    assert (model.time_derivative(x) - truth).abs().max() <= 1e3 * EPS * truth.abs().max()


def test_a_chnn_field_keeps_the_constraints_whatever_its_weights() -> None:
    system = systems.get("chain-pendulum:3")
    model = models.build("chnn", system.dim, (32, 32), generator=torch.Generator().manual_seed(0),
                         constraints=system.constraints).double()
    with torch.no_grad():
        model.log_mass.copy_(torch.tensor([0.3, -0.2, 0.1]))
    x = _states(system)
    rates = _constraint_rates(system.constraints, model.time_derivative, x, model.inverse_mass())
    assert rates.abs().max() <= 1e4 * EPS * float(model.time_derivative(x).abs().max())


def test_chnn_needs_a_constrained_task() -> None:
    with pytest.raises(InvalidValueError, match="imposes constraints, and task 'spring' has none"):
        RunConfig.for_task("spring", "chnn")


def test_chnn_learns_the_chain_far_better_than_an_hnn(tmp_path) -> None:
    losses = {}
    for kind in ("chnn", "hnn"):
        train_run(RunConfig.for_task("chain-pendulum:2", kind, 0, "quick", 150), tmp_path / kind)
        losses[kind] = json.loads((tmp_path / kind / "history.json").read_text())["test_loss"][-1]
    assert losses["chnn"] < 0.1 * losses["hnn"], losses
