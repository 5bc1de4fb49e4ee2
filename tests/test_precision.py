"""Training precision: bf16 matrix products with float32 weights and elementwise maths.

bfloat16 keeps 8 significant bits: rounding an operand changes it by at most u = 2⁻⁸
relative. The checks below run on every CPU (autocast emulates bfloat16 where the
hardware lacks it); only the refusal of bf16 where it would be slow depends on the CPU,
so it is tested with the support check replaced.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from hamnet.errors import InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.models import build
from hamnet.objectives import DerivativeMSE
from hamnet.pipeline import build_data, build_model, build_objective, train_run
from hamnet.training import TrainSettings, check_precision, train, train_one
from hamnet.training import precision as precision_module

#: bfloat16's unit roundoff (8 significant bits).
BF16_ROUNDOFF = 2.0**-8
MATRIX_PRODUCTS = {"mm", "addmm", "bmm", "baddbmm", "linear"}
ELEMENTWISE = {"tanh", "tanh_backward", "mul", "add", "sub", "pow", "sum", "neg", "div"}


class OpDtypes(TorchDispatchMode):
    """Records (op name, dtypes of its tensor inputs, the sizes of their axes) of every ATen
    op that runs."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, set[torch.dtype], set[int]]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        tensors = [a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]
        self.calls.append((func.overloadpacket.__name__.rstrip("_"), {a.dtype for a in tensors},
                           {size for a in tensors for size in a.shape}))
        return func(*args, **(kwargs or {}))


@pytest.fixture()
def bf16_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """bf16 allowed on this CPU whatever it is (autocast emulates what it lacks)."""
    monkeypatch.setattr(precision_module, "bf16_supported", lambda device: True)


def spring_batch(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(n, 2, generator=generator), torch.randn(n, 2, generator=generator)


@pytest.mark.parametrize("kind", ["hnn", "baseline", "dhnn"])
def test_bf16_runs_the_hidden_products_in_bfloat16_and_everything_else_in_float32(kind: str) -> None:
    """A product between hidden layers has only the batch (64) and hidden (32) sizes on its
    operands; one with the state's size (2) or a model's two outputs (a D-HNN's H and D)
    belongs to the first or last layer and stays float32."""
    model = build(kind, 2, (32, 32), generator=torch.Generator().manual_seed(0))
    x, dxdt = spring_batch(64)
    with OpDtypes() as recorded:
        with precision_module.autocast("bf16", "cpu"):
            loss = DerivativeMSE().loss(model, x, dxdt)
        loss.backward()
    products = [(dtypes, sizes <= {64, 32}) for name, dtypes, sizes in recorded.calls if name in MATRIX_PRODUCTS]
    elementwise = [dtypes for name, dtypes, _ in recorded.calls if name in ELEMENTWISE]
    assert any(inner for _, inner in products) and any(not inner for _, inner in products)
    assert all(dtypes == ({torch.bfloat16} if inner else {torch.float32}) for dtypes, inner in products)
    assert elementwise and all(dtypes == {torch.float32} for dtypes in elementwise)
    assert loss.dtype == torch.float32
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())


def test_bf16_field_differs_from_fp32_by_bfloat16_rounding_only() -> None:
    """A bfloat16 product rounds its two operands (≤ u each) and its result (≤ u): ≤ 3u
    relative. Two of the field's products run so (the hidden layer forward and back), and
    their errors add at most: ≤ 6u ≈ 2.3 %, in the field's norm. And it must differ by more
    than float32 rounding (1e-5), or the products did not run in bfloat16."""
    model = build("hnn", 2, (200, 200), generator=torch.Generator().manual_seed(0))
    x, _ = spring_batch(500)
    with torch.no_grad():
        exact = model.time_derivative(x)
        with precision_module.autocast("bf16", "cpu"):
            rounded = model.time_derivative(x)
    relative = float((rounded - exact).norm() / exact.norm())
    assert 1e-5 < relative < 6 * BF16_ROUNDOFF


def test_fp32_precision_leaves_training_bit_identical(tmp_path) -> None:
    config = RunConfig.for_task("spring", "hnn", steps=30)
    data = build_data(config)
    weights = []
    for settings in (config.train, dataclasses.replace(config.train, precision="fp32")):
        model = build_model(config)
        train_one(model, data.train_tensors(), data.test_tensors(), settings, seed=0, show_progress=False)
        weights.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_a_bf16_run_trains_saves_its_precision_and_learns(tmp_path, bf16_here: None) -> None:
    config = RunConfig.for_task("spring", "hnn", steps=150, precision="bf16")
    assert config.train.precision == "bf16"
    model, history = train_run(config, tmp_path / "run", show_progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert next(model.parameters()).dtype == torch.float32
    saved = RunConfig.from_dict(json.loads((tmp_path / "run" / "config.json").read_text()))
    assert saved.train.precision == "bf16"


def test_bf16_stacked_runs_match_the_runs_alone(bf16_here: None) -> None:
    """Stacked, the same products run batched; in bfloat16 a different summation order can
    flip an operand's rounding, so the weights agree to bfloat16's, not float32's, precision."""
    config = RunConfig.for_task("spring", "hnn", steps=20, precision="bf16")
    data = build_data(config)
    settings = dataclasses.replace(config.train, eval_every=10)

    alone = [build_model(dataclasses.replace(config, seed=s)) for s in (0, 1)]
    for seed, model in enumerate(alone):
        train_one(model, data.train_tensors(), data.test_tensors(), settings, seed=seed, show_progress=False)
    stacked = [build_model(dataclasses.replace(config, seed=s)) for s in (0, 1)]
    train(stacked, [data.train_tensors()] * 2, [data.test_tensors()] * 2, settings, [0, 1], show_progress=False)
    for a, b in zip(alone, stacked):
        for p, q in zip(a.parameters(), b.parameters()):
            assert torch.allclose(p, q, rtol=0, atol=settings.lr * settings.steps * BF16_ROUNDOFF * 10)


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="precision must be one of fp32, bf16, got 'fp16'"):
        TrainSettings(precision="fp16").validate()
    with pytest.raises(InvalidValueError, match="precision must be one of"):
        RunConfig.for_task("spring", "hnn", precision="half")


def test_bf16_is_refused_where_the_cpu_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert not precision_module.bf16_supported("cpu")
    with pytest.raises(InvalidValueError, match="neither AVX512-BF16 nor AMX.*use fp32"):
        check_precision("bf16", "cpu")
    config = RunConfig.for_task("spring", "hnn", steps=5, precision="bf16")  # a config is valid anywhere
    data = build_data(config)
    with pytest.raises(InvalidValueError, match="bf16"):
        train_one(build_model(config), data.train_tensors(), data.test_tensors(), config.train, seed=0,
                  show_progress=False)


def test_bf16_is_refused_for_the_keypoints_encoder() -> None:
    with pytest.raises(InvalidValueError, match="keypoints encoder .convolutions. trains in fp32 only"):
        RunConfig.for_task("pixel-two-body", "hnn", preset="quick", precision="bf16")


def test_bf16_autoencoder_keeps_the_latent_layers_and_everything_elementwise_in_float32() -> None:
    """The pixel model: frames [16, 1568] through the MLP autoencoder (hidden 200) and a
    latent HNN (2 latents, hidden 200). Products with the latent size (2) on an operand are
    the layers touching the latent states and stay float32; the rest (sizes 16, 200, 1568
    only) run in bfloat16."""
    config = RunConfig.for_task("pixel-pendulum", "hnn", preset="quick")
    model = build_model(config)
    obs_dim = config.system().observation_dim
    generator = torch.Generator().manual_seed(0)
    batch = (0.5 * torch.rand(16, obs_dim, generator=generator), 0.5 * torch.rand(16, obs_dim, generator=generator))
    objective = build_objective(config)
    with OpDtypes() as recorded:
        with precision_module.autocast("bf16", "cpu"):
            loss = objective.loss(model, *batch)
        loss.backward()
    products = [(dtypes, 2 not in sizes) for name, dtypes, sizes in recorded.calls if name in MATRIX_PRODUCTS]
    elementwise = [dtypes for name, dtypes, _ in recorded.calls if name in ELEMENTWISE | {"relu", "threshold_backward"}]
    assert any(inner for _, inner in products) and any(not inner for _, inner in products)
    assert all(dtypes == ({torch.bfloat16} if inner else {torch.float32}) for dtypes, inner in products)
    assert elementwise and all(dtypes == {torch.float32} for dtypes in elementwise)
