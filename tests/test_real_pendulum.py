"""The real-pendulum loader: the measured file, gaps, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import hamnet
from hamnet.data.real_pendulum import FILE_NAME, find_data_file, parse_real_pendulum, real_pendulum_dataset
from hamnet.errors import DataFileError

from conftest import run_cli

HEADER = "%o v\r\n"


def write_series(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    path.write_text(HEADER + "".join(row + "\r\n" for row in rows), encoding="utf-8")
    return path


def good_rows(n: int = 20, gap_at: int | None = None) -> list[str]:
    rows, t = [], 5.0
    for i in range(n):
        rows.append(f"0 {t:.10f} {0.1 * i:.6f} {-0.05 * i:.6f}")
        t += 0.5 if i == gap_at else 1 / 6
    return rows


def _measured_file_or_skip() -> None:
    try:
        find_data_file()
    except DataFileError as exc:
        pytest.skip(f"needs the measured series: {exc}")


def test_measured_file_shapes_and_split() -> None:
    _measured_file_or_skip()
    system = hamnet.systems.get("real-pendulum")
    data = real_pendulum_dataset(system, None, 0, None)
    assert data.x_train.shape == (444, 2) and data.x_test.shape == (111, 2)
    assert data.extras["t_test"].shape == (111,)
    assert bool(torch.all(data.extras["t_test"][1:] > data.extras["t_test"][:-1]))


def test_central_differences_are_the_dhnn_papers() -> None:
    """Rows 1..555 (555 of them, 444 train), each derivative the mean of the forward
    differences on either side, the last one backward."""
    _measured_file_or_skip()
    system = hamnet.systems.get("real-pendulum")
    t, q, p = parse_real_pendulum(find_data_file())
    x = torch.stack([q, p], dim=-1)
    forward = (x[1:] - x[:-1]) / (t[1:] - t[:-1]).unsqueeze(-1)
    data = real_pendulum_dataset(system, {"derivative": "central"}, 0, None)
    assert data.x_train.shape == (444, 2) and data.x_test.shape == (111, 2)
    torch.testing.assert_close(torch.cat([data.x_train, data.x_test]), x[1:], rtol=0, atol=0)
    dxdt = torch.cat([data.dxdt_train, data.dxdt_test])
    torch.testing.assert_close(dxdt[:-1], (forward[:-1] + forward[1:]) / 2, rtol=0, atol=0)
    torch.testing.assert_close(dxdt[-1], forward[-1], rtol=0, atol=0)
    torch.testing.assert_close(data.extras["t_test"], t[-111:], rtol=0, atol=0)


def test_forward_differences_manufacture_damping_central_ones_do_not() -> None:
    """Why the D-HNN paper uses central differences: along the measured series the energy
    H = 2.4(1 − cos q) + p² falls at −0.016/s. The forward differences' field implies
    −0.26/s (16×: a forward difference of a rotation at angle ωh per step pulls inward by
    ω²h/2), so a model that fits them learns friction that is not there; central ones
    imply −0.016/s."""
    _measured_file_or_skip()
    system = hamnet.systems.get("real-pendulum")
    t, q, p = parse_real_pendulum(find_data_file())
    energy = system.hamiltonian(torch.stack([q, p], dim=-1))
    measured = float((energy[-20:].mean() - energy[:20].mean()) / (t[-10] - t[10]))

    def implied(derivative: str) -> float:
        data = real_pendulum_dataset(system, {"derivative": derivative}, 0, None)
        x, dxdt = torch.cat([data.x_train, data.x_test]), torch.cat([data.dxdt_train, data.dxdt_test])
        grad = torch.stack([2.4 * torch.sin(x[:, 0]), 2 * x[:, 1]], dim=-1)
        return float((grad * dxdt).sum(-1).mean())

    assert -0.02 < measured < -0.012
    assert implied("forward") / measured > 10
    assert 0.8 < implied("central") / measured < 1.25


def test_an_unknown_derivative_rule_is_refused() -> None:
    from hamnet.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="recipe.derivative must be one of forward, central, gradient, spline"):
        hamnet.RunConfig(task="real-pendulum", model="hnn", recipe={"derivative": "splines"}).validate()


def test_gaps_use_the_actual_time_step(tmp_path) -> None:
    write_series(tmp_path, good_rows(20, gap_at=7))
    data = real_pendulum_dataset(hamnet.systems.get("real-pendulum"), None, 0, tmp_path)
    dxdt = torch.cat([data.dxdt_train, data.dxdt_test])
    assert torch.allclose(dxdt[6], torch.tensor([0.1 * 6, -0.05 * 6], dtype=torch.float64))  # Δt = 1/6
    assert torch.allclose(dxdt[7], torch.tensor([0.1 / 0.5, -0.05 / 0.5], dtype=torch.float64))  # the gap


@pytest.mark.parametrize("bad_row,message", [
    ("0 7.0 0.1", "expected 4 columns"),
    ("0 7.0 0.1 zero", "not a number"),
    ("0 7.0 nan 0.2", "non-finite"),
    ("0 5.0 0.1 0.2", "does not increase"),
])
def test_malformed_rows_name_the_line(tmp_path, bad_row: str, message: str) -> None:
    rows = good_rows(15)
    rows.insert(10, bad_row)
    path = write_series(tmp_path, rows)
    with pytest.raises(DataFileError, match=message) as info:
        parse_real_pendulum(path)
    assert "line 12" in str(info.value)  # header is line 1, the bad row the 11th data row


def test_missing_file_names_what_and_where(tmp_path) -> None:
    with pytest.raises(DataFileError, match=f"{FILE_NAME}.*--data-dir"):
        find_data_file(tmp_path)


def test_reproduce_skips_with_one_line(tmp_path) -> None:
    result = run_cli("reproduce", "--tasks", "real-pendulum", "--quick", "--out", str(tmp_path / "out"),
                     "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 0, result.stderr
    skip_lines = [line for line in result.stderr.splitlines() if line.startswith("skipping real-pendulum")]
    assert len(skip_lines) == 1 and FILE_NAME in skip_lines[0]
