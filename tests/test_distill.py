"""`hamnet distill`: the library, the sparse selection, the formula as a model and as text,
and the command on a trained run and on data (exact laws recovered from exact gradients;
bad input refused in one line)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import hamnet
from hamnet.distill import Formula, FormulaModel, LibrarySpec, Settings, build_library, distill_data, parse_terms
from hamnet.distill.library import term_gradients
from hamnet.distill.regression import sparse_fit
from hamnet.errors import InvalidValueError
from hamnet.expression import HamiltonianExpression
from hamnet.experiments import RunConfig
from hamnet.hamiltonian import hamiltonian_vector_field

from conftest import run_cli
from test_cli import assert_one_line_error

HENON_HEILES = "(px**2 + py**2)/2 + (x**2 + y**2)/2 + x**2*y - y**3/3"
XY = ("x", "y"), ("px", "py")


def _fit(text: str, coords: tuple[str, ...], momenta: tuple[str, ...], spec: LibrarySpec, states: torch.Tensor,
         **kwargs: float) -> dict[str, float]:
    """The sparse fit of the exact gradient of H = `text` at `states`: {term: coefficient}."""
    library = build_library(spec, coords, momenta)
    grad = HamiltonianExpression.parse(text, coords, momenta).gradient(states)
    a = term_gradients(library, states).reshape(-1, len(library)).numpy()
    fit = sparse_fit(a, grad.reshape(-1).numpy(), **kwargs)
    return {library[k].text: float(c) for k, c in zip(fit.support, fit.coefficients)}


def test_library_counts_and_names() -> None:
    library = build_library(LibrarySpec(degree=3, trig=True), ("q",), ("p",))
    texts = [term.text for term in library]
    assert len(texts) == 2 + 3 + 4 + 2  # monomials of degree 1, 2, 3 in (q, p); sin q, cos q
    assert "q**2*p" in texts and "cos(q)" in texts and "p" in texts
    pairs = build_library(LibrarySpec(degree=0, trig=False, pairwise=2), ("a", "b", "c", "d", "g", "h"),
                          ("pa", "pb", "pc", "pd", "pg", "ph"))
    assert [t.text for t in pairs] == ["1/sqrt((a - c)**2 + (b - d)**2)", "1/sqrt((a - g)**2 + (b - h)**2)",
                                       "1/sqrt((c - g)**2 + (d - h)**2)"]


def test_user_terms_split_at_top_level_commas_and_duplicates_go() -> None:
    assert parse_terms("cos(q1 - q2), q1*p2, atan(q1)") == ("cos(q1 - q2)", "q1*p2", "atan(q1)")
    library = build_library(LibrarySpec(degree=2, trig=False, terms=("p**2", "q*p*p")), ("q",), ("p",))
    assert [t.text for t in library][-1] == "q*p*p" and len(library) == 6  # p**2 is there already


@pytest.mark.parametrize("terms, fragment", [("z*q", "unknown symbol 'z'"), ("3", "a constant value"),
                                             ("__import__('os')", "unknown function")])
def test_bad_terms_are_refused_naming_the_term(terms: str, fragment: str) -> None:
    with pytest.raises(InvalidValueError, match=fragment) as caught:
        build_library(LibrarySpec(terms=(terms,)), ("q",), ("p",))
    assert "library term" in str(caught.value) and "\n" not in str(caught.value)


def test_bad_library_settings() -> None:
    with pytest.raises(InvalidValueError, match="degree must be an integer"):
        LibrarySpec(degree=9)
    with pytest.raises(InvalidValueError, match="not bodies of 2 coordinates"):
        build_library(LibrarySpec(pairwise=2), ("a", "b", "c"), ("pa", "pb", "pc"))
    with pytest.raises(InvalidValueError, match="--tolerance"):
        Settings(tolerance=1.5)


@pytest.mark.parametrize("text, coords, momenta, spec", [
    ("q**2 + p**2", ("q",), ("p",), LibrarySpec(degree=4, trig=True)),
    ("3*(1 - cos(q)) + p**2", ("q",), ("p",), LibrarySpec(degree=4, trig=True)),
    ("p**2/2 + q**4/4 - q**2/2", ("q",), ("p",), LibrarySpec(degree=4, trig=False)),
    (HENON_HEILES, *XY, LibrarySpec(degree=4, trig=False)),
])
def test_exact_gradients_give_the_exact_law(text: str, coords: tuple, momenta: tuple, spec: LibrarySpec) -> None:
    states = 1.4 * torch.rand(500, 2 * len(coords), generator=torch.Generator().manual_seed(0),
                              dtype=torch.float64) - 0.7
    found = _fit(text, coords, momenta, spec, states)
    truth = HamiltonianExpression.parse(text, coords, momenta).sympy()
    expected = {HamiltonianExpression.parse(str(t), coords, momenta).sympy(): float(c)
                for t, c in (term.as_coeff_Mul()[::-1] for term in truth.expand().as_ordered_terms())
                if t.free_symbols}
    got = {HamiltonianExpression.parse(t, coords, momenta).sympy(): c for t, c in found.items()}
    assert set(got) == set(expected)
    for term, c in expected.items():
        assert got[term] == pytest.approx(c, rel=1e-8)


def test_interchangeable_terms_are_pruned() -> None:
    """On states with p3 = -p1 the terms p1*p3 and p1**2 are interchangeable; the sparsest
    exact support is found, not STLSQ's first."""
    generator = torch.Generator().manual_seed(1)
    q = torch.randn(400, 4, generator=generator, dtype=torch.float64)
    p1 = torch.randn(400, 2, generator=generator, dtype=torch.float64)
    states = torch.cat([q, p1, -p1], dim=-1)  # p3, p4 = -p1, -p2
    names = ("q1", "q2", "q3", "q4"), ("p1", "p2", "p3", "p4")
    found = _fit("(p1 - p3)**2/4 + (p2 - p4)**2/4 + q1*q3", *names, LibrarySpec(degree=2, trig=False), states)
    assert len(found) <= 5  # e.g. p1**2, p2**2, p3**2, p4**2 or the p1*p3 form, and q1*q3


def test_noisy_target_keeps_the_support_and_tolerance_matters() -> None:
    generator = torch.Generator().manual_seed(2)
    states = 2 * torch.rand(800, 2, generator=generator, dtype=torch.float64) - 1
    library = build_library(LibrarySpec(degree=4, trig=False), ("q",), ("p",))
    grad = HamiltonianExpression.parse("q**2 + p**2 + 0.05*q**3", ("q",), ("p",)).gradient(states)
    noisy = grad + 0.01 * torch.randn(grad.shape, generator=generator, dtype=torch.float64)
    a = term_gradients(library, states).reshape(-1, len(library)).numpy()
    b = noisy.reshape(-1).numpy()
    loose = sparse_fit(a, b, tolerance=0.05)
    tight = sparse_fit(a, b, tolerance=0.001)
    names = [library[k].text for k in tight.support]
    assert {library[k].text for k in loose.support} == {"q**2", "p**2"}  # the small cubic term is below 5 %
    assert {"q**2", "p**2", "q**3"} <= set(names)
    assert np.all(np.diff([size for size, _ in loose.path]) >= 0)


def test_formula_model_field_is_the_formulas_hamiltonian_field() -> None:
    formula = Formula(("x**2*y", "px**2", "sin(x)", "y*py"), (0.7, 0.5, -1.2, 0.3),
                      ((0.6, 0.8),) * 4, *XY)
    model = FormulaModel(formula)
    states = torch.randn(50, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    expected = hamiltonian_vector_field(formula.expression(), states)
    torch.testing.assert_close(model.time_derivative(states), expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.hamiltonian(states), formula.expression()(states), rtol=1e-12, atol=1e-12)
    assert Formula.from_dict(json.loads(json.dumps(formula.to_dict()))) == formula
    system = hamnet.systems.get("hamiltonian", formula.system().options())  # the formula as a system
    torch.testing.assert_close(system.vector_field(states), expected, rtol=1e-12, atol=1e-12)
    assert "\\sin" in formula.latex


def _simulated(tmp_path: Path, text: str, noise: float, box: str = "-1,1", trajectories: int = 20) -> Path:
    out = tmp_path / "data.npz"
    result = run_cli("simulate", "--hamiltonian", text, "--noise", str(noise), "--trajectories", str(trajectories),
                     "--t-end", "3", "--points", "30", "--box", box, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_from_data_noise_free_is_exact_and_sindy_beside_it(tmp_path: Path) -> None:
    path = _simulated(tmp_path, "3*(1 - cos(q)) + p**2", 0.0, box="-2,2")
    options = {"path": str(path), "coords": None, "momenta": None, "hamiltonian": "3*(1 - cos(q)) + p**2"}
    config = RunConfig.for_task("file", "hnn", 0, "full", system_options=options, protocol={"reference_flow": True})
    result = distill_data(config, Settings(LibrarySpec(degree=3, trig=True), bootstrap=20, horizon=2.0))
    assert result.truth["exact_support"] and result.truth["max_coefficient_error"] < 1e-6
    assert result.scores["formula"]["field_error_vs_truth"] < 1e-10
    assert result.scores["formula"]["horizon_error_2x"] < 1e-5
    for (low, high), c in zip(result.hamiltonian.intervals, result.hamiltonian.coefficients):
        assert low <= c <= high
    assert result.sindy["exact_support"] is True and result.sindy["terms"] == 2  # dq/dt = 2p, dp/dt = -3 sin q


def test_distill_a_trained_run_and_roll_the_formula_back(tmp_path: Path) -> None:
    data = _simulated(tmp_path, "q**2 + p**2", 0.05, trajectories=50)  # the study's size (docs/distill.md)
    run = tmp_path / "run"
    result = run_cli("train", "--data", str(data), "--hamiltonian", "q**2 + p**2", "--model", "hnn", "--steps", "1500",
                     "--reference", "flow", "--out", str(run))
    assert result.returncode == 0, result.stderr
    result = run_cli("distill", str(run), "--bootstrap", "20", "--horizon", "2x", "--no-trig")
    assert result.returncode == 0, result.stderr
    assert "exact support yes" in result.stdout
    report = json.loads((run / "distill" / "formula.json").read_text())
    assert report["truth"]["exact_support"] and report["truth"]["max_coefficient_error"] < 0.05
    assert set(report["scores"]) == {"formula", "network"}
    assert report["scores"]["formula"]["field_error_vs_network"] < 0.01
    assert (run / "distill" / "selection.png").stat().st_size > 1000
    text = (run / "distill" / "formula.txt").read_text().strip()
    again = run_cli("simulate", "--hamiltonian", text, "--trajectories", "2", "--out", str(tmp_path / "back.npz"))
    assert again.returncode == 0, again.stderr  # the formula is a Hamiltonian hamnet simulates


def test_distill_refuses_a_model_without_h(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("train", "--task", "spring", "--model", "baseline", "--steps", "5", "--out", str(run)).returncode == 0
    result = run_cli("distill", str(run))
    assert_one_line_error(result, "the 'baseline' model has no learned H", "hnn, dhnn")
    assert not (run / "distill").exists()


def test_noise_correction_removes_the_errors_in_variables_bias(tmp_path: Path) -> None:
    """Noisy states with the exact derivatives at the clean ones (`hamnet simulate`): the
    plain fit's coefficients are pulled toward zero, the corrected ones are not."""
    text = "p**2/2 + q**4/4 - q**2/2"
    path = _simulated(tmp_path, text, 0.05, box="-1.5,1.5", trajectories=50)
    options = {"path": str(path), "coords": None, "momenta": None, "hamiltonian": text}
    config = RunConfig.for_task("file", "hnn", 0, "full", system_options=options)
    spec = LibrarySpec(degree=4, trig=False)
    plain = distill_data(config, Settings(spec, bootstrap=10, horizon=None), with_sindy=False)
    corrected = distill_data(config, Settings(spec, bootstrap=10, horizon=None, noise=0.05), with_sindy=False)
    assert plain.truth["exact_support"] and corrected.truth["exact_support"]
    assert plain.truth["max_coefficient_error"] > 0.03  # the bias: 4 % on this data set
    assert corrected.truth["max_coefficient_error"] < 0.02
