"""`hamnet export`: every registered model's field written as ONNX and as a torch.export
program, run by that format's own runtime and held to hamnet's field; the unrolled solve
behind the velocity models; a wrong file and a missing runtime refused, nothing written."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import hamnet
from hamnet import models, systems
from hamnet.errors import InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.export import ExportCheckError, export_run, formats
from hamnet.export.check import tolerance
from hamnet.export.field import check_exportable
from hamnet.models.solve import eliminate
from hamnet.pipeline import train_run

from test_cli import assert_one_line_error

#: A task per model: the velocity models on the double pendulum, whose mass matrix depends
#: on q (their field solves per state), the constrained ones on the Cartesian double chain,
#: the others on the spring.
TASKS = {kind: "chain-pendulum:2" if models.needs_constraints(kind) else
         "double-pendulum" if models.needs_kinematics(kind) else "spring" for kind in models.names()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A briefly trained run of every registered model (weights away from their initial values)."""
    folder = tmp_path_factory.mktemp("export-runs")
    trained = {}
    for kind, task in TASKS.items():
        trained[kind] = folder / f"{task}-{kind}"
        train_run(RunConfig.for_task(task, kind, 0, "quick", 30), trained[kind])
    return trained


def _fresh_states(task: str, n: int) -> torch.Tensor:
    """States the export's own check did not use: from the system's sampler, seeded."""
    return systems.get(task).sample_initial(n, torch.Generator().manual_seed(123)).to(torch.float64)


@pytest.mark.parametrize("kind", models.names())
def test_every_model_exports_to_onnx_and_onnxruntime_computes_its_field(runs, kind, tmp_path) -> None:
    import onnx
    import onnxruntime

    result = export_run(runs[kind], "onnx", tmp_path / "field.onnx", states=10_000)
    assert result.check.states >= 10_000 and result.check.max_abs_error <= result.check.tolerance
    # Independently of the export's own check: fresh states, the float64 field as the truth.
    model = hamnet.load(runs[kind]).double()
    x = _fresh_states(TASKS[kind], 2000)
    with torch.no_grad():
        exact = model.time_derivative(x).numpy()
    session = onnxruntime.InferenceSession(str(tmp_path / "field.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": x.numpy().astype(np.float32)})[0]
    bound = tolerance(model, torch.float32, float(np.abs(exact).max()))
    assert got.dtype == np.float32 and np.abs(got - exact).max() <= bound
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "field.onnx")).metadata_props}
    sidecar = json.loads((tmp_path / "field.onnx.json").read_text())
    assert props["model"] == sidecar["model"] == kind and sidecar["check"]["states"] == result.check.states


@pytest.mark.parametrize("kind", ["hnn", "lnn"])
def test_pt2_runs_with_hamnet_unimportable(runs, kind, tmp_path) -> None:
    export_run(runs[kind], "pt2", tmp_path / "field.pt2", states=100)
    x = _fresh_states(TASKS[kind], 50).to(torch.float32)
    torch.save(x, tmp_path / "x.pt")
    code = ("import sys; sys.modules['hamnet'] = None; import torch\n"
            f"f = torch.export.load({str(tmp_path / 'field.pt2')!r}).module()\n"
            f"torch.save(f(torch.load({str(tmp_path / 'x.pt')!r})), {str(tmp_path / 'y.pt')!r})")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    model = hamnet.load(runs[kind]).double()
    with torch.no_grad():
        exact = model.time_derivative(x.double())
    got = torch.load(tmp_path / "y.pt")
    assert (got.double() - exact).abs().max() <= tolerance(model, torch.float32, float(exact.abs().max()))


def test_float64_export_matches_to_float64_rounding(runs, tmp_path) -> None:
    result = export_run(runs["hnn"], "onnx", tmp_path / "field.onnx", dtype="float64", states=1000)
    assert result.check.tolerance < 1e-12 and result.check.max_abs_error <= result.check.tolerance


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_unrolled_elimination_solves_symmetric_positive_definite_systems(n) -> None:
    generator = torch.Generator().manual_seed(n)
    b_matrix = torch.randn(500, n, n, generator=generator, dtype=torch.float64)
    a = b_matrix @ b_matrix.transpose(1, 2) + n * torch.eye(n, dtype=torch.float64)
    rhs = torch.randn(500, n, generator=generator, dtype=torch.float64)
    exact = torch.linalg.solve(a, rhs.unsqueeze(-1)).squeeze(-1)
    # Backward stable for SPD matrices: relative error within n κ u (κ the condition number).
    kappa = torch.linalg.cond(a).max()
    bound = 4 * n * kappa * torch.finfo(torch.float64).eps * exact.abs().max()
    assert (eliminate(a, rhs) - exact).abs().max() <= bound


def test_a_file_that_computes_another_field_is_refused_and_not_written(runs, tmp_path, monkeypatch) -> None:
    pt2 = formats.get("pt2")

    class Off(type(pt2)):
        name = "off"

        def load(self, path):  # the file as written, then one part in 10^4 off
            run = super().load(path)
            return lambda x: run(x) * (1 + 1e-4)

    monkeypatch.setitem(formats._REGISTRY, "off", Off())
    with pytest.raises(ExportCheckError, match="computes another field than hamnet's"):
        export_run(runs["hnn"], "off", tmp_path / "out" / "field.pt2", states=100)
    assert not (tmp_path / "out").exists()


def test_a_missing_runtime_is_named_in_one_line(runs, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` raises ImportError
    with pytest.raises(InvalidValueError, match=r"needs onnxruntime, not installed here: pip install 'hamnet\[export\]'"):
        formats.get("onnx").check_available()
    monkeypatch.setattr(sys, "argv", ["hamnet", "export", str(runs["hnn"]), "--out", str(tmp_path / "f.onnx")])
    from hamnet.cli import main

    try:
        with pytest.raises(SystemExit) as caught:
            main()
    finally:
        torch.set_flush_denormal(False)  # main() flushes subnormals for the whole process; this worker runs on
    captured = capsys.readouterr()
    assert_one_line_error(subprocess.CompletedProcess([], caught.value.code, captured.out, captured.err),
                          "export format 'onnx' needs onnxruntime")
    assert not (tmp_path / "f.onnx").exists()


def test_runs_of_frames_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="learned from frames"):
        check_exportable(systems.get("pixel-pendulum"), "hnn")


def test_the_derived_tolerance_for_the_paper_mlp() -> None:
    model = models.build("hnn", 2)
    assert math.isclose(tolerance(model, torch.float32, 1.0), 2 * 5 * math.sqrt(200) * 2.0**-24)
    assert tolerance(model, torch.float32, 10.0) == 10 * tolerance(model, torch.float32, 1.0)


@pytest.mark.slow
def test_aoti_package_runs(runs, tmp_path) -> None:
    result = export_run(runs["hnn"], "aoti", tmp_path / "field.pt2", states=1000)
    assert result.check.max_abs_error <= result.check.tolerance
    assert set(formats.names()) >= {"onnx", "pt2", "aoti"}
