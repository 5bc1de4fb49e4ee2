"""A user's own trajectories and Hamiltonians: the trajectory reader and writer, the split,
`hamnet simulate`, the file task through train/evaluate/plot/reproduce, and the built-in
real pendulum reproduced from a CSV export of its file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import hamnet
from hamnet.data.files import read_trajectories, write_trajectories
from hamnet.data.measured import measured_dataset
from hamnet.errors import DataFileError, InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.expression import HamiltonianExpression
from hamnet.pipeline import build_data, evaluate_run, train_run
from hamnet.simulate import ExpressionSystem, Sampler, simulate

from conftest import run_cli
from test_real_pendulum import _measured_file_or_skip

QUARTIC = "p**2/2 + q**4/4 - q**2/2"
HENON = "(p1**2+p2**2)/2+(q1**2+q2**2)/2+q1**2*q2-q2**3/3"


def random_trajectories(n: int = 4, points: int = 7, dim: int = 4, seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    t = torch.cumsum(torch.rand(n, points, generator=generator, dtype=torch.float64) + 0.1, dim=1)
    x = torch.randn(n, points, dim, generator=generator, dtype=torch.float64)
    return t, x, torch.randn(n, points, dim, generator=generator, dtype=torch.float64)


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_written_files_read_back_exactly(tmp_path: Path, suffix: str) -> None:
    t, x, dxdt = random_trajectories()
    path = write_trajectories(tmp_path / f"data{suffix}", t, x, dxdt, ("a", "b"), ("pa", "pb"))
    data = read_trajectories(path, ["a", "b"], ["pa", "pb"])
    assert (data.coords, data.momenta, data.dim) == (("a", "b"), ("pa", "pb"), 4)
    for i in range(4):
        assert torch.equal(data.t[i], t[i]) and torch.equal(data.x[i], x[i]) and torch.equal(data.dxdt[i], dxdt[i])


def test_npz_with_one_time_grid_names_and_masses(tmp_path: Path) -> None:
    _, x, _ = random_trajectories()
    grid = np.linspace(0, 1, 7)
    np.savez(tmp_path / "d.npz", x=x.numpy(), t=grid, coords=np.array(["x", "y"]),
             momenta=np.array(["px", "py"]), masses=np.array([1.0, 2.0]))
    data = read_trajectories(tmp_path / "d.npz")
    assert data.coords == ("x", "y") and data.dxdt is None and data.masses.tolist() == [1.0, 2.0]
    assert all(torch.equal(ti, torch.from_numpy(grid)) for ti in data.t)


def test_csv_naming_rule_groups_rows_by_trajectory(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("trajectory,t,q1,p1,q2,p2\n"
                                    "a,0,1,2,3,4\nb,0,5,6,7,8\na,1,1.5,2,3,4\nb,2,5,6,7,8.5\n")
    data = read_trajectories(tmp_path / "d.csv")
    assert (data.coords, data.momenta) == (("q1", "q2"), ("p1", "p2"))
    assert [ti.tolist() for ti in data.t] == [[0.0, 1.0], [0.0, 2.0]]
    assert data.x[0].tolist() == [[1, 3, 2, 4], [1.5, 3, 2, 4]]  # positions first, whatever the column order
    assert data.lines == [[2, 4], [3, 5]]


def test_hand_named_csv_columns(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("trajectory,t,theta,omega,dtheta,domega\n0,0,1,2,2,-1\n0,1,3,4,4,-3\n")
    data = read_trajectories(tmp_path / "d.csv", ["theta"], ["omega"])
    assert data.x[0].tolist() == [[1, 2], [3, 4]] and data.dxdt[0].tolist() == [[2, -1], [4, -3]]


CSV_HEAD = "trajectory,t,q,p\n"


@pytest.mark.parametrize("name,content,message", [
    ("d.csv", b"", "is empty"),
    ("d.csv", b"t,trajectory,q,p\n0,0,1,1\n", "header must start with 'trajectory,t'"),
    ("d.csv", b"trajectory,t,q,x\n0,0,1,1\n", "column 'x' is neither a position"),
    ("d.csv", b"trajectory,t,q1,q2,p\n0,0,1,1,1\n", "must pair up"),
    ("d.csv", b"trajectory,t,q,p,dq\n0,0,1,1,1\n", "'dp' is missing"),
    ("d.csv", (CSV_HEAD + "0,0,1,1\n0,1,1\n").encode(), "line 3: 3 columns"),
    ("d.csv", (CSV_HEAD + "0,0,1,1\n0,1,one,1\n").encode(), "line 3: column 'q' holds 'one'"),
    ("d.csv", (CSV_HEAD + "0,0,1,1\n0,1,nan,1\n0,2,1,1\n").encode(), "line 3: non-finite value in x"),
    ("d.csv", (CSV_HEAD + "0,0,1,1\n0,2,1,1\n0,1,1,1\n").encode(), "line 4: time 1.0 does not increase"),
    ("d.csv", (CSV_HEAD + "0,0,1,1\n1,0,1,1\n1,1,1,1\n").encode(), "trajectory 0 has 1 point(s)"),
    ("d.csv", CSV_HEAD.encode(), "no data rows"),
    ("d.csv", b"\xff\xfe" + CSV_HEAD.encode(), "not UTF-8"),
    ("d.csv", (CSV_HEAD + "0,0,1e39,1\n0,1,1,1\n").encode(), "beyond float32's range"),
    ("d.npz", b"not a zip", "not a readable .npz archive"),
    ("d.txt", b"% o v\n0 0 1\n", "expected 4 columns"),
    ("d.json", b"{}", "unknown trajectory file type '.json'"),
])
def test_malformed_files_name_the_problem(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataFileError, match=None) as info:
        read_trajectories(tmp_path / name)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("arrays,message", [
    ({"t": np.arange(3.0)}, "has no array 'x'"),
    ({"x": np.zeros((2, 3, 3)), "t": np.arange(3.0)}, "even dim"),
    ({"x": np.zeros((2, 3, 2)), "t": np.arange(4.0)}, "array 't' must be [T] = [3]"),
    ({"x": np.zeros((2, 3, 2)), "t": np.arange(3.0), "dxdt": np.zeros((2, 3))}, "array 'dxdt' must have x's shape"),
    ({"x": np.array([["a"]]), "t": np.arange(3.0)}, "must hold real numbers"),
    ({"x": np.zeros((2, 3, 2)), "t": np.arange(3.0), "masses": np.array([1.0, 2.0])}, "one mass per position"),
    ({"x": np.zeros((2, 3, 2)), "t": np.arange(3.0), "masses": np.array([-1.0])}, "masses must be positive"),
    ({"x": np.zeros((2, 3, 2)), "t": np.arange(3.0), "coords": np.array(["a", "b"])}, "'coords' names 2"),
    ({"x": np.zeros((1, 3, 2)), "t": np.array([0.0, 1.0, 1.0])}, "trajectory 0, sample 2: time 1.0 does not increase"),
])
def test_malformed_npz_names_the_array(tmp_path: Path, arrays: dict, message: str) -> None:
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DataFileError) as info:
        read_trajectories(tmp_path / "d.npz")
    assert message in str(info.value)


def test_object_arrays_are_never_unpickled(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.array([object()], dtype=object), t=np.arange(3.0))
    with pytest.raises(DataFileError, match="not a readable .npz archive"):
        read_trajectories(tmp_path / "d.npz")


def test_split_by_whole_trajectories_is_seeded(tmp_path: Path) -> None:
    t, x, dxdt = random_trajectories(n=10, points=5, dim=2)
    data = read_trajectories(write_trajectories(tmp_path / "d.npz", t, x, dxdt, ("q",), ("p",)))
    a, b, c = (measured_dataset(data, "spline", 0.8, seed) for seed in (0, 0, 1))
    assert a.extras["lengths_test"].tolist() == [5, 5] and a.x_train.shape == (40, 2)
    assert torch.equal(a.x_test, b.x_test) and not torch.equal(a.x_test, c.x_test)
    test_rows = {tuple(row) for row in a.x_test.tolist()}
    assert all((tuple(row) in test_rows) == (i in {j for j in range(10) if tuple(x[j, 0].tolist()) in test_rows})
               for i in range(10) for row in x[i].tolist())  # every trajectory wholly on one side


def test_rollout_windows_stay_within_each_trajectory(tmp_path: Path) -> None:
    t, x, dxdt = random_trajectories(n=3, points=6, dim=2)
    data = measured_dataset(read_trajectories(write_trajectories(tmp_path / "d.npz", t, x, dxdt, ("q",), ("p",))),
                            "spline", 0.7, 0)
    windows, steps = data.windows("train", 2)
    assert windows.shape == (8, 3, 2) and steps.shape == (8, 2)  # 2 trajectories × (6 − 2) windows
    assert bool((steps > 0).all())


def test_reference_of_trajectories_on_their_own_grids(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(CSV_HEAD + "a,0,1,0\na,1,2,0\na,3,3,0\nb,5,7,0\nb,7,8,0\nb,8,9,1\n"
                                    "c,0,0,0\nc,1,0,0\nc,2,1,0\n")
    system = hamnet.systems.get("file", {"path": str(tmp_path / "d.csv")})
    data = measured_dataset(hamnet.systems.measured.read_file(system.path), "gradient", 0.34, 0)
    t, true, x0 = data.reference()
    assert true.shape[1] == 2 and bool(torch.isnan(true).any())  # two test trajectories, sampled apart
    for j in range(2):
        sampled = torch.isfinite(true[:, j]).all(-1)
        assert torch.equal(true[sampled, j][0], x0[j])


def test_simulated_trajectories_conserve_the_written_energy() -> None:
    expression = HamiltonianExpression.parse(HENON, ["q1", "q2"], ["p1", "p2"])
    t, x, dxdt = simulate(expression, Sampler(-0.5, 0.5, (0.02, 0.1)), 20, 10.0, 30, 0.0, seed=3)
    energy = expression(x)  # [20, 30]
    assert x.shape == (20, 30, 4) and t.shape == (30,)
    assert float((energy - energy[:, :1]).abs().max()) < 1e-8  # dopri5 at rtol 1e-10 over 10 time units
    assert float(energy[:, 0].min()) >= 0.02 and float(energy[:, 0].max()) <= 0.1
    assert torch.allclose(dxdt, hamnet.hamiltonian.hamiltonian_vector_field(expression, x), rtol=0, atol=1e-12)


def test_an_empty_energy_shell_is_refused() -> None:  # a blow-up: the command-line corpus (test_bad_inputs)
    expression = HamiltonianExpression.parse(QUARTIC, ["q"], ["p"])
    with pytest.raises(InvalidValueError, match="widen --box or the energy range"):
        ExpressionSystem(expression, Sampler(-1, 1, (50.0, 60.0))).sample_initial(5, torch.Generator())


def test_a_changed_file_is_noticed(tmp_path: Path) -> None:
    t, x, dxdt = random_trajectories(n=3, points=6, dim=2)
    path = write_trajectories(tmp_path / "d.npz", t, x, dxdt, ("q",), ("p",))
    config = RunConfig.for_task("file", "hnn", system_options={"path": str(path)})
    write_trajectories(path, t, x + 1, dxdt, ("q",), ("p",))
    with pytest.raises(DataFileError, match="changed since this run was configured"):
        config.validate()


def test_a_true_flow_reference_scores_long_horizons(tmp_path: Path) -> None:
    expression = HamiltonianExpression.parse(QUARTIC, ["q"], ["p"])
    t, x, dxdt = simulate(expression, Sampler(-1.0, 1.0), 12, 4.0, 20, 0.05, seed=0)
    path = write_trajectories(tmp_path / "quartic.npz", t, x, dxdt, ("q",), ("p",))
    options = {"path": str(path), "hamiltonian": QUARTIC}
    samples = RunConfig.for_task("file", "hnn", steps=40, system_options=options)
    flow = RunConfig.for_task("file", "hnn", steps=40, system_options=options, protocol={"reference_flow": True})
    assert samples.system().training_span(samples.recipe, samples.protocol) is None
    assert flow.system().training_span(flow.recipe, flow.protocol) == (4.0, pytest.approx(4.0 / 19))
    for config, name in ((samples, "samples"), (flow, "flow")):
        train_run(config, tmp_path / name, show_progress=False)
    on_samples, on_flow = evaluate_run(tmp_path / "samples"), evaluate_run(tmp_path / "flow")
    assert "horizon_error" not in on_samples and math.isfinite(on_flow["horizon_error"])
    assert on_flow["horizon_floor"] < on_flow["horizon_error"]
    with pytest.raises(InvalidValueError, match="needs a known energy"):
        RunConfig.for_task("file", "hnn", system_options={"path": str(path)}, protocol={"reference_flow": True})


def test_the_true_flow_reference_is_the_samples_without_noise(tmp_path: Path) -> None:
    from hamnet.metrics import reference_rollouts
    from hamnet.systems import EnergyProtocol

    expression = HamiltonianExpression.parse(QUARTIC, ["q"], ["p"])
    t, x, dxdt = simulate(expression, Sampler(-1.0, 1.0), 10, 4.0, 20, 0.0, seed=1)
    path = write_trajectories(tmp_path / "clean.csv", t, x, None, ("q",), ("p",))
    config = RunConfig.for_task("file", "hnn", system_options={"path": str(path), "hamiltonian": QUARTIC})
    system, data = config.system(), build_data(config)
    _, samples, _ = reference_rollouts(system, EnergyProtocol(on_test_segment=True), data)
    _, flow, _ = reference_rollouts(system, EnergyProtocol(on_test_segment=True, reference_flow=True), data)
    assert float((flow - samples).abs().max()) < 1e-7  # both dopri5 at rtol 1e-10 over 4 time units


def export_real_pendulum(path: Path) -> Path:
    """The real-pendulum file through the one reader, written as a long-format CSV."""
    from hamnet.data.real_pendulum import find_data_file, read_series

    series = read_series(find_data_file())
    return write_trajectories(path, series.t[0].unsqueeze(0), series.x[0].unsqueeze(0), None, ("q",), ("p",))


def test_real_pendulum_from_a_csv_gives_the_built_in_numbers(tmp_path: Path) -> None:
    _measured_file_or_skip()
    csv_path = export_real_pendulum(tmp_path / "real.csv")
    options = {"path": str(csv_path), "hamiltonian": "2.4*(1 - cos(q)) + p**2"}
    for preset, derivative in (("full", "forward"), ("dissipative", "central")):
        built_in = RunConfig.for_task("real-pendulum", "hnn", preset=preset, steps=30)
        mine = RunConfig.for_task("file", "hnn", steps=30, system_options=options,
                                  recipe={"derivative": derivative, "test_fraction": 0.2})
        a, b = build_data(built_in), build_data(mine)
        for name in ("x_train", "dxdt_train", "x_test", "dxdt_test"):
            assert torch.equal(getattr(a, name), getattr(b, name)), name
    train_run(built_in, tmp_path / "built-in", show_progress=False)
    train_run(mine, tmp_path / "mine", show_progress=False)
    ours, theirs = evaluate_run(tmp_path / "mine"), evaluate_run(tmp_path / "built-in")
    for name in ("train_loss", "test_loss", "energy_mse", "state_mse", "reversibility_error"):
        assert math.isclose(ours[name], theirs[name], rel_tol=1e-12), name  # the same arithmetic


def test_a_file_without_energy_then_given_one(tmp_path: Path) -> None:
    """What `hamnet train --data F`, `evaluate`, `plot`, `evaluate --hamiltonian` do (the
    command lines themselves run in docs/your-data.md, tests/test_tutorials.py)."""
    from hamnet.pipeline import plot_run, set_hamiltonian

    expression = HamiltonianExpression.parse(QUARTIC, ["q"], ["p"])
    t, x, _ = simulate(expression, Sampler(-1.0, 1.0), 12, 6.0, 25, 0.01, seed=0)
    data = write_trajectories(tmp_path / "quartic.csv", t, x, None, ("q",), ("p",))
    assert "dq" not in data.read_text().splitlines()[0]
    run = tmp_path / "run"
    train_run(RunConfig.for_task("file", "hnn", steps=60, system_options={"path": str(data)}), run,
              show_progress=False)
    metrics = evaluate_run(run)
    assert "energy_mse" not in metrics and metrics["learned_energy_variation"] > 0  # no true energy known
    assert {p.name for p in plot_run(run)} == {"rollouts.png", "vector_field.png", "energy_fields.png",
                                               "divergence.png"}
    set_hamiltonian(run, QUARTIC)
    assert math.isfinite(evaluate_run(run)["energy_mse"])
    assert json.loads((run / "config.json").read_text())["system_options"]["hamiltonian"] == QUARTIC


PLUGIN = '''
import torch
from hamnet.systems import EnergyProtocol, System, TrajectoryRecipe


class Duffing(System):
    """H = p²/2 + q⁴/4 − q²/2: a double well."""

    name = "duffing"
    dim = 2
    separable = True
    description = "a double well"
    recipe = TrajectoryRecipe(n_trajectories=10, t_end=3.0, n_points=10)
    energy_protocol = EnergyProtocol(n_states=5, t_end=3.0, n_points=20)

    def hamiltonian(self, x):
        q, p = x[..., 0], x[..., 1]
        return p**2 / 2 + q**4 / 4 - q**2 / 2

    def sample_initial(self, n, generator):
        return torch.rand(n, 2, generator=generator, dtype=torch.float64) * 2 - 1
'''


def test_a_plugin_system_runs_like_a_built_in_one(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "my_systems.py").write_text(PLUGIN)
    monkeypatch.chdir(tmp_path)  # found from the working directory, as `hamnet train --task my_systems:Duffing`
    result = run_cli("reproduce", "--tasks", "my_systems:Duffing", "--quick", "--steps", "40", "--out", "out",
                     "--jobs", "2")
    assert result.returncode == 0, result.stderr
    records = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {(r["task"], r["model"]) for r in records} == {("duffing", "baseline"), ("duffing", "hnn")}
    assert all(math.isfinite(r["energy_mse"]) and math.isfinite(r["horizon_error"]) for r in records)
    by_path = hamnet.systems.get(hamnet.systems.canonical("my_systems.py:Duffing"))
    assert by_path.name == "duffing" and by_path.cache_name.startswith("duffing-")
    before = by_path.cache_name
    (tmp_path / "my_systems.py").write_text(PLUGIN.replace("q**4 / 4", "q**4 / 5"))
    edited = hamnet.systems.get(hamnet.systems.canonical("my_systems.py:Duffing"))
    assert edited.cache_name != before and by_path.cache_name == before  # an edit never meets data cached before it


def test_an_entry_point_system_is_found(monkeypatch) -> None:
    from hamnet.systems import plugins
    from hamnet.systems.spring import Spring

    class Point:
        name, group = "my-spring", plugins.ENTRY_POINT_GROUP

        def load(self):
            return Spring

    monkeypatch.setattr(plugins.importlib.metadata, "entry_points", lambda group: [Point()] if group == Point.group
                        else [])
    assert "my-spring" in hamnet.systems.names()
    assert isinstance(hamnet.systems.get("my-spring"), Spring)
