"""The original HNN code's way, written out with PyTorch, NumPy and SciPy only (no hamnet).

Imported by the benchmarks as the reference (its model, its spring loop, its one-trajectory-
at-a-time SciPy rollouts), and run by `bench_pipeline.py` as a whole process, the plain
script a user would write instead of hamnet:

    python benchmarks/original.py DATA.npz OUT.json

DATA.npz holds float64 arrays x_train, dxdt_train, x_test, dxdt_test [N, 2] and the energy
protocol's x0 [k, 2] and t [T]; the script trains the original HNN on the spring (2000
full-batch steps, Adam 1e-3, weight decay 1e-4), then scores it as hamnet's `evaluate`
does (test loss; energy MSE along rollouts from x0 against the true flow, both by
`solve_ivp` one trajectory at a time) and writes both to OUT.json.
"""

from __future__ import annotations

import json
import sys
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

#: Width of the hidden layers of the paper's MLP (input -> 200 -> 200 -> output).
HIDDEN = 200
#: rtol = atol of the model's rollouts (hamnet's energy metric: 1e-9) and of the truth's (1e-10).
MODEL_TOL, TRUTH_TOL = 1e-9, 1e-10


class OriginalMLP(nn.Module):
    """The original `MLP`: input -> 200 -> 200 -> output, tanh, orthogonal weights, no last bias."""

    def __init__(self, input_dim: int, output_dim: int):
        super().__init__()
        self.linear1 = nn.Linear(input_dim, HIDDEN)
        self.linear2 = nn.Linear(HIDDEN, HIDDEN)
        self.linear3 = nn.Linear(HIDDEN, output_dim, bias=False)
        for layer in (self.linear1, self.linear2, self.linear3):
            nn.init.orthogonal_(layer.weight)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.tanh(self.linear1(x))
        h = torch.tanh(self.linear2(h))
        return self.linear3(h)


class OriginalHNN(nn.Module):
    """The original `HNN` with field_type='solenoidal': two outputs F1, F2; dx/dt = ∇F2 @ M^T."""

    def __init__(self, input_dim: int):
        super().__init__()
        self.differentiable_model = OriginalMLP(input_dim, 2)
        eye = torch.eye(input_dim)
        self.register_buffer("M", torch.cat([eye[input_dim // 2:], -eye[: input_dim // 2]]))

    def time_derivative(self, x: Tensor) -> Tensor:
        """x: a tensor with requires_grad=True, [N, dim] -> [N, dim] (keeps the graph)."""
        _, F2 = self.differentiable_model(x).split(1, 1)
        dF2 = torch.autograd.grad(F2.sum(), x, create_graph=True)[0]
        return dF2 @ self.M.t()


def l2_loss(u: Tensor, v: Tensor) -> Tensor:
    return (u - v).pow(2).mean()


def full_batch_loop(model: OriginalHNN, optim: torch.optim.Optimizer, x: Tensor, dxdt: Tensor, test_x: Tensor,
                    test_dxdt: Tensor, steps: int) -> None:
    """The original spring/pendulum loop: full batch, the full test set every step, `.item()`
    of both losses every step (x, test_x require grad)."""
    stats: dict[str, list[float]] = {"train_loss": [], "test_loss": []}
    for _ in range(steps):
        loss = l2_loss(dxdt, model.time_derivative(x))
        loss.backward()
        optim.step()
        optim.zero_grad()
        test_loss = l2_loss(test_dxdt, model.time_derivative(test_x))
        stats["train_loss"].append(loss.item())
        stats["test_loss"].append(test_loss.item())


def scipy_rollout(field: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, t: np.ndarray,
                  rtol: float, atol: float) -> tuple[np.ndarray, float]:
    """The original code's way: `solve_ivp` (RK45) one trajectory at a time, field on one state.

    field: y[dim] -> dy/dt[dim];  x0: [k, dim];  t: [T].
    Returns (states [T, k, dim], mean field evaluations per trajectory).
    """
    from scipy.integrate import solve_ivp

    paths, evaluations = [], []
    for y0 in x0:
        solution = solve_ivp(lambda _t, y: field(y), (float(t[0]), float(t[-1])), y0, t_eval=t,
                             method="RK45", rtol=rtol, atol=atol)
        if not solution.success:
            raise RuntimeError(f"solve_ivp failed: {solution.message}")
        paths.append(solution.y.T)
        evaluations.append(solution.nfev)
    return np.stack(paths, axis=1), float(np.mean(evaluations))


def model_field(model: OriginalHNN) -> Callable[[np.ndarray], np.ndarray]:
    """The original `integrate_model`'s field: the model on one [1, dim] state that requires grad."""
    def field(y: np.ndarray) -> np.ndarray:
        x = torch.tensor(y, dtype=torch.float32).view(1, -1).requires_grad_(True)
        return model.time_derivative(x).detach().numpy().reshape(-1)
    return field


def spring_energy(states: np.ndarray) -> np.ndarray:
    """H = q² + p² of the paper's spring (k = 2, m = 1/2).  [..., 2] -> [...]."""
    return (states ** 2).sum(axis=-1)


def main(data_path: str, out_path: str, steps: int = 2000) -> None:
    data = np.load(data_path)
    torch.manual_seed(0)
    model = OriginalHNN(2)
    optim = torch.optim.Adam(model.parameters(), 1e-3, weight_decay=1e-4)
    as32 = {k: torch.tensor(data[k], dtype=torch.float32) for k in ("x_train", "dxdt_train", "x_test", "dxdt_test")}
    x, test_x = as32["x_train"].requires_grad_(True), as32["x_test"].requires_grad_(True)
    full_batch_loop(model, optim, x, as32["dxdt_train"], test_x, as32["dxdt_test"], steps)
    test_loss = float(l2_loss(as32["dxdt_test"], model.time_derivative(test_x).detach()))
    x0, t = data["x0"], data["t"]
    truth, _ = scipy_rollout(lambda y: np.array([2 * y[1], -2 * y[0]]), x0, t, TRUTH_TOL, TRUTH_TOL)
    predicted, _ = scipy_rollout(model_field(model), x0, t, MODEL_TOL, MODEL_TOL)
    energy_mse = float(((spring_energy(truth) - spring_energy(predicted)) ** 2).mean())
    with open(out_path, "w", encoding="utf-8") as file:
        json.dump({"test_loss": test_loss, "energy_mse": energy_mse}, file)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))
