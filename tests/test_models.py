"""Models: shapes and dtypes, the HNN conserves its own learned H, the baseline does not."""

from __future__ import annotations

import pytest
import torch

import hamnet
from hamnet.errors import UnknownNameError
from hamnet.models import build
from hamnet.pipeline import build_data
from hamnet.training import TrainSettings, train_one


@pytest.fixture(scope="module")
def trained() -> dict[str, hamnet.models.DynamicsModel]:
    """Baseline and HNN trained briefly on the spring data."""
    config = hamnet.RunConfig.for_task("spring", "hnn")
    data = build_data(config)
    out = {}
    for kind in ("baseline", "hnn"):
        model = build(kind, 2, generator=torch.Generator().manual_seed(0))
        train_one(model, data.train_tensors(), data.test_tensors(),
                  TrainSettings(steps=300, eval_every=100), seed=0, show_progress=False)
        out[kind] = model.eval()
    return out


@pytest.mark.parametrize("kind", hamnet.models.names())
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_time_derivative_shape_and_dtype(kind: str, dtype: torch.dtype) -> None:
    model = build(kind, 4, hidden=(16, 16), generator=torch.Generator().manual_seed(0),
                  constraints=hamnet.systems.get("chain-pendulum:1").constraints)  # a pendulum in (x, y)
    x = torch.randn(5, 4, dtype=dtype)
    out = model.time_derivative(x)
    assert out.shape == (5, 4) and out.dtype == dtype
    if model.has_hamiltonian:
        assert model.hamiltonian(x).shape == (5,) and model.hamiltonian(x).dtype == dtype


def test_paper_architecture() -> None:
    model = build("hnn", 2)
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linear] == [(200, 2), (200, 200), (1, 200)]
    assert linear[-1].bias is None
    w = linear[1].weight.detach()
    torch.testing.assert_close(w @ w.T, torch.eye(200), atol=1e-5, rtol=0)  # orthogonal init


def test_same_generator_same_weights() -> None:
    a = build("hnn", 2, generator=torch.Generator().manual_seed(5))
    b = build("hnn", 2, generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_unknown_model() -> None:
    with pytest.raises(UnknownNameError, match="hnn"):
        build("transformer", 2)


def test_hnn_field_is_orthogonal_to_its_gradient(trained) -> None:
    """dH_θ/dt = ∇H_θ · J∇H_θ = 0 exactly, up to float rounding."""
    hnn = trained["hnn"].double()
    x = torch.randn(256, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_()
    (grad,) = torch.autograd.grad(hnn.hamiltonian(x).sum(), x)
    rate = (grad * hnn.time_derivative(x)).sum(-1)
    assert rate.abs().max() < 1e-12 * grad.pow(2).sum(-1).max().clamp(min=1)
    trained["hnn"].float()


def test_hnn_conserves_learned_energy_along_its_rollout_baseline_does_not(trained) -> None:
    system = hamnet.systems.get("spring")
    x0 = system.sample_evaluation_initial(8, torch.Generator().manual_seed(0))
    t = torch.linspace(0, 20, 100, dtype=torch.float64)
    hnn = hamnet.metrics.as_float64(trained["hnn"])
    baseline = hamnet.metrics.as_float64(trained["baseline"])
    with torch.no_grad():
        hnn_path = hamnet.rollout(hnn.time_derivative, x0, t, rtol=1e-10, atol=1e-10)
        base_path = hamnet.rollout(baseline.time_derivative, x0, t, rtol=1e-10, atol=1e-10)
        hnn_drift = (hnn.hamiltonian(hnn_path.reshape(-1, 2)).reshape(100, 8) - hnn.hamiltonian(x0)).abs().max()
        # the baseline has no H of its own: measure the drift of the HNN's H and of the true one
        base_drift_learned = (hnn.hamiltonian(base_path.reshape(-1, 2)).reshape(100, 8)
                              - hnn.hamiltonian(x0)).abs().max()
        base_drift_true = (system.hamiltonian(base_path) - system.hamiltonian(x0)).abs().max()
    assert hnn_drift < 1e-6
    assert base_drift_learned > 1000 * hnn_drift
    assert base_drift_true > 1e-3


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("hidden,residual", [((7,), False), ((16, 16), False), ((8, 9, 10), False),
                                             ((16, 16), True), ((8, 8, 8, 5), True)])
def test_closed_form_input_gradient_equals_autograd(activation: str, hidden: tuple[int, ...],
                                                     residual: bool) -> None:
    from hamnet.models.mlp import MLP

    net = MLP(4, 1, hidden, activation=activation, generator=torch.Generator().manual_seed(1),
              residual=residual).double()
    assert net.residual == tuple(residual and k > 0 and hidden[k - 1] == hidden[k] for k in range(len(hidden)))
    x = torch.randn(33, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2)).requires_grad_()
    value, grad = net.value_and_input_gradient(x)
    (expected,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
    torch.testing.assert_close(value, net(x).squeeze(-1), rtol=0, atol=0)
    torch.testing.assert_close(grad, expected, rtol=1e-13, atol=1e-13)
    # and its parameter gradients (what training uses) equal double backprop's
    weight = net.hidden_layers[0].weight
    (ours,) = torch.autograd.grad(grad.pow(2).sum(), weight)
    (theirs,) = torch.autograd.grad(expected.pow(2).sum(), weight)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("hidden,residual", [((7,), False), ((16, 16), False), ((8, 9, 10), False),
                                             ((16, 16), True), ((8, 8, 8, 5), True)])
def test_closed_form_hessian_equals_torch_func(activation: str, hidden: tuple[int, ...], residual: bool) -> None:
    from hamnet.models.mlp import MLP

    net = MLP(6, 1, hidden, activation=activation, generator=torch.Generator().manual_seed(1),
              residual=residual).double()
    x = torch.randn(17, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    value, grad, hessian = net.value_gradient_hessian(x)

    def f(z: torch.Tensor) -> torch.Tensor:
        return net(z).squeeze(-1)

    torch.testing.assert_close(value, f(x), rtol=0, atol=0)
    torch.testing.assert_close(grad, torch.func.vmap(torch.func.grad(f))(x), rtol=1e-13, atol=1e-13)
    # ~20 float64 roundings of O(1) terms per entry: 1e-13 holds with a wide margin
    torch.testing.assert_close(hessian, torch.func.vmap(torch.func.hessian(f))(x), rtol=1e-13, atol=1e-13)
    if activation == "tanh":  # differentiable with respect to the parameters (what LNN training uses)
        weight = net.hidden_layers[0].weight
        (ours,) = torch.autograd.grad(hessian.pow(2).sum(), weight)
        (theirs,) = torch.autograd.grad(torch.func.vmap(torch.func.hessian(f))(x).pow(2).sum(), weight)
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


def test_dhnn_field_is_J_grad_H_plus_grad_D() -> None:
    from hamnet.hamiltonian import hamiltonian_vector_field

    model = hamnet.models.build("dhnn", 4, (16, 16), generator=torch.Generator().manual_seed(0)).double()
    x = torch.randn(25, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    conservative = hamiltonian_vector_field(model.hamiltonian, x)
    with torch.enable_grad():
        x_in = x.clone().requires_grad_()
        (grad_d,) = torch.autograd.grad(model.dissipation(x_in).sum(), x_in)
    torch.testing.assert_close(model.conservative_field(x), conservative, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.dissipative_field(x), grad_d, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.time_derivative(x), conservative + grad_d, rtol=1e-12, atol=1e-12)


def test_dhnn_learns_damping_that_an_hnn_cannot() -> None:
    """A damped oscillator, dx/dt = J∇H − γx with H = |x|²/2: −γx is a gradient (of
    −γ|x|²/2) with no curl, which J∇H of any H cannot produce and ∇D can."""
    from hamnet.objectives import DerivativeMSE

    x = torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
    dxdt = torch.stack([x[:, 1], -x[:, 0]], dim=-1) - 0.2 * x
    losses = {}
    for kind in ("hnn", "dhnn"):
        model = hamnet.models.build(kind, 2, (64, 64), generator=torch.Generator().manual_seed(0))
        train_one(model, (x, dxdt), (x, dxdt), TrainSettings(steps=400, lr=3e-3, weight_decay=0.0), seed=0,
                  show_progress=False)
        with torch.no_grad():
            losses[kind] = float(DerivativeMSE().loss(model, x, dxdt))
    assert losses["dhnn"] < 0.1 * losses["hnn"], losses
    assert losses["hnn"] > 0.01  # the damping's share of the field: 0.2² · E|x|²/2 = 0.04


def test_residual_layers_add_their_activation_to_their_input() -> None:
    """The D-HNN paper's MLP: h1 = tanh(W1 x + b1), h2 = h1 + tanh(W2 h1 + b2), y = W3 h2."""
    from hamnet.models.mlp import MLP

    net = MLP(3, 2, (6, 6), generator=torch.Generator().manual_seed(0), residual=True).double()
    x = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    first, second = net.hidden_layers
    h1 = torch.tanh(first(x))
    expected = net.output_layer(h1 + torch.tanh(second(h1)))
    torch.testing.assert_close(net(x), expected, rtol=0, atol=0)


def test_separable_hnn_is_J_grad_of_T_plus_V_and_separable() -> None:
    """dx/dt = J∇(T(p) + V(q)) (autograd agrees), dq/dt ignores q and dp/dt ignores p, so
    leapfrog accepts the model's field."""
    from hamnet.hamiltonian import hamiltonian_vector_field

    model = build("hnn-separable", 4, (16, 16), generator=torch.Generator().manual_seed(0)).double()
    x = torch.randn(25, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    field = model.time_derivative(x)
    torch.testing.assert_close(field, hamiltonian_vector_field(model.hamiltonian, x), rtol=1e-12, atol=1e-12)
    moved_q = torch.cat([x[:, :2] + 1.0, x[:, 2:]], dim=-1)
    moved_p = torch.cat([x[:, :2], x[:, 2:] - 1.0], dim=-1)
    assert torch.equal(model.time_derivative(moved_q)[:, :2], field[:, :2])
    assert torch.equal(model.time_derivative(moved_p)[:, 2:], field[:, 2:])
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    assert hamnet.rollout(model.time_derivative, x[:3], t, method="leapfrog").shape == (5, 3, 4)
    with pytest.raises(hamnet.HamnetError, match="separable"):
        hamnet.rollout(build("hnn", 4, (16, 16)).double().time_derivative, x[:3], t, method="leapfrog")
