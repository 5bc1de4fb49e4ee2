"""The models after 2019 and the chaotic systems: pendulum chains (closed-form mass matrix,
energy-conserving ground truth), the (q, q̇) kinematics written once, second-order and
Lagrangian networks (exact when given the true acceleration or Lagrangian; a singular
Lagrangian is an error, not NaN), trained with every objective."""

from __future__ import annotations

import pytest
import torch

import hamnet
from hamnet.data.trajectories import generate_trajectories
from hamnet.errors import InvalidValueError, SingularLagrangianError
from hamnet.experiments import RunConfig
from hamnet.models import Kinematics
from hamnet.pipeline import build_data, build_model, train_run
from hamnet.systems import System, TrajectoryRecipe

CHAINS = ["double-pendulum", "pendulum-chain:2", "pendulum-chain:3", "pendulum-chain:5"]


def states(system: System, n: int = 6) -> torch.Tensor:
    return system.sample_initial(n, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", CHAINS)
def test_chain_mass_matrix_is_the_kinetic_energys(name: str) -> None:
    system = hamnet.systems.get(name)
    x = states(system)
    q = x[:, :system.dim // 2]
    matrix = system.mass_matrix(q)
    assert torch.allclose(matrix, matrix.transpose(-1, -2)) and bool((torch.linalg.eigvalsh(matrix) > 0).all())
    assert torch.allclose(matrix, System.mass_matrix(system, q), rtol=0, atol=1e-12)  # (∂²H/∂p²)⁻¹ by autograd
    velocity = x[:, system.dim // 2:]  # any q̇: its closed-form dM/dt is the jvp of M
    assert torch.allclose(system.mass_matrix_rate(q, velocity), System.mass_matrix_rate(system, q, velocity),
                          rtol=0, atol=1e-12)
    bobs = system.body_positions(x)  # unit links
    links = torch.diff(torch.cat([torch.zeros_like(bobs[:, :1]), bobs], dim=1), dim=1).norm(dim=-1)
    assert torch.allclose(links, torch.ones_like(links))


@pytest.mark.parametrize("name", CHAINS)
def test_chain_ground_truth_conserves_energy(name: str) -> None:
    system = hamnet.systems.get(name)
    _, x, _ = generate_trajectories(system, TrajectoryRecipe(n_trajectories=8, t_end=3.0, n_points=30),
                                    torch.Generator().manual_seed(1))
    energy = system.hamiltonian(x)
    drift = ((energy - energy[:, :1]).abs() / energy[:, :1].abs()).max()
    assert float(drift) < 1e-8  # dopri5 at rtol = atol = 1e-10 (the recipes'), measured ≤ 2.4e-9


def test_double_pendulum_is_the_two_link_chain_and_chains_take_a_link_count() -> None:
    double, chain = hamnet.systems.get("double-pendulum"), hamnet.systems.get("pendulum-chain:2")
    x = states(double)
    assert torch.equal(double.hamiltonian(x), chain.hamiltonian(x))
    assert hamnet.systems.get("pendulum-chain").links == 3 and chain.label == "pendulum-chain-2"
    for bad in ("0", "x", "21", ""):
        with pytest.raises(InvalidValueError, match="number of links"):
            hamnet.systems.get(f"pendulum-chain:{bad}")


def true_acceleration(system: System, x: torch.Tensor) -> torch.Tensor:
    """q̈ = d/dt (M(q)⁻¹ p) along the true flow (a jvp)."""
    n = system.dim // 2
    kinematics = Kinematics.of(system)

    def velocity(state: torch.Tensor) -> torch.Tensor:
        return kinematics.velocity(state[..., :n], state[..., n:])

    return torch.func.jvp(velocity, (x,), (system.vector_field(x),))[1]


@pytest.mark.parametrize("name", ["spring", "two-body", "double-pendulum", "pendulum-chain:3"])
def test_kinematics_turn_the_true_acceleration_into_the_true_field(name: str) -> None:
    system = hamnet.systems.get(name)
    x, n = states(system), system.dim // 2
    kinematics = Kinematics.of(system)
    q, p = x[:, :n], x[:, n:]
    velocity = kinematics.velocity(q, p)
    field = torch.cat([velocity, kinematics.momentum_rate(q, velocity, true_acceleration(system, x))], dim=-1)
    assert torch.allclose(field, system.vector_field(x), rtol=1e-10, atol=1e-10)


class _Function(torch.nn.Module):
    """A plain function where a model expects a module."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn
        self.anchor = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))  # the model's dtype: float64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


class _LagrangianTerm(_Function):
    """A function of z = (q, q̇) in place of the LNN's MLP, its derivatives by `torch.func`."""

    def value_and_input_gradient(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.fn(z), torch.func.vmap(torch.func.grad(self.fn))(z)

    def value_gradient_hessian(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (*self.value_and_input_gradient(z), torch.func.vmap(torch.func.hessian(self.fn))(z))


@pytest.mark.parametrize("name", ["spring", "double-pendulum", "pendulum-chain:3"])
def test_lnn_with_the_true_lagrangian_is_the_true_field(name: str, monkeypatch) -> None:
    config = RunConfig.for_task(name, "lnn")
    system, model = config.system(), build_model(config).double()
    n = system.dim // 2

    def term(z: torch.Tensor) -> torch.Tensor:  # T − V − ½‖q̇‖²: with the LNN's ½‖q̇‖², L = T − V
        q, velocity = z[..., :n], z[..., n:]
        kinetic = 0.5 * (velocity.unsqueeze(-2) @ system.mass_matrix(q) @ velocity.unsqueeze(-1)).squeeze((-1, -2))
        zero = torch.zeros_like(velocity)
        return kinetic - system.hamiltonian(torch.cat([q, zero], dim=-1)) - 0.5 * velocity.pow(2).sum(-1)

    monkeypatch.setattr(model, "net", _LagrangianTerm(term))
    x = states(system)
    assert torch.allclose(model.time_derivative(x), system.vector_field(x), rtol=1e-9, atol=1e-9)
    energy = model.hamiltonian(x)  # q̇·∂L/∂q̇ − L = H
    assert torch.allclose(energy, system.hamiltonian(x), rtol=1e-10, atol=1e-10)


def test_a_singular_lagrangian_is_an_error_naming_how_many_states(monkeypatch) -> None:
    model = build_model(RunConfig.for_task("double-pendulum", "lnn")).double()
    n = 2  # L = ½‖q̇‖² + cos q − ½‖q̇‖²: no q̇ in L
    monkeypatch.setattr(model, "net", _LagrangianTerm(lambda z: torch.cos(z[..., :n]).sum(-1) - 0.5 * z[..., n:].pow(2).sum(-1)))
    with pytest.raises(SingularLagrangianError, match="singular at 6 of 6 states"):
        model.time_derivative(states(hamnet.systems.get("double-pendulum")))


@pytest.mark.parametrize("name", ["spring", "double-pendulum"])
def test_second_order_with_the_true_acceleration_is_the_true_field(name: str, monkeypatch) -> None:
    config = RunConfig.for_task(name, "second-order")
    system, model = config.system(), build_model(config).double()
    n = system.dim // 2

    def acceleration(inputs: torch.Tensor) -> torch.Tensor:  # (q, q̇) -> the true q̈
        q, velocity = inputs[..., :n], inputs[..., n:]
        p = (system.mass_matrix(q) @ velocity.unsqueeze(-1)).squeeze(-1)
        return true_acceleration(system, torch.cat([q, p], dim=-1))

    monkeypatch.setattr(model, "net", _Function(acceleration))
    x = states(system)
    assert torch.allclose(model.time_derivative(x), system.vector_field(x), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("model", ["second-order", "lnn"])
@pytest.mark.parametrize("objective", ["derivative", "rollout"])
def test_velocity_models_train_with_every_objective(tmp_path, model: str, objective: str) -> None:
    options = {"unroll": 2, "integrator": "rk4"} if objective == "rollout" else None
    task = "spring" if objective == "rollout" else "double-pendulum"  # the unrolled LNN is the slow one
    configs = [RunConfig.for_task(task, model, seed, preset="quick", steps=10, objective=objective,
                                  objective_options=options) for seed in (0, 1)]
    from hamnet.pipeline import train_runs

    results = train_runs(configs, [tmp_path / f"s{seed}" for seed in (0, 1)], show_progress=False)
    data = build_data(configs[0])
    for trained, history in results:
        assert torch.isfinite(torch.tensor(history.train_loss)).all()
        assert torch.isfinite(trained.double().time_derivative(data.x_test[:50].double())).all()
    assert not torch.equal(*(next(m.parameters()) for m, _ in results))  # two seeds, two models
    train_run(configs[0], tmp_path / "again", show_progress=False)  # alone: the same as in the pair


def test_a_trajectory_files_mass_matrix(tmp_path) -> None:
    import numpy as np

    x = np.random.default_rng(0).normal(size=(3, 6, 4))
    np.savez(tmp_path / "m.npz", x=x, t=np.arange(6.0), masses=np.array([2.0, 3.0]))
    np.savez(tmp_path / "plain.npz", x=x, t=np.arange(6.0))
    q = torch.zeros(5, 2, dtype=torch.float64)
    masses = hamnet.systems.get("file", {"path": str(tmp_path / "m.npz")}).mass_matrix(q)
    unit = hamnet.systems.get("file", {"path": str(tmp_path / "plain.npz")}).mass_matrix(q)
    from_h = hamnet.systems.get("file", {"path": str(tmp_path / "plain.npz"),
                                         "hamiltonian": "p1**2/8 + p2**2/2 + cos(q1)"}).mass_matrix(q)
    assert masses[0].diagonal().tolist() == [2.0, 3.0] and torch.equal(unit[0], torch.eye(2, dtype=torch.float64))
    assert torch.allclose(from_h[0], torch.diag(torch.tensor([4.0, 1.0], dtype=torch.float64)))
