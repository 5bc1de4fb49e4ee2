"""Fuzzing the file loaders (Hypothesis): whatever the bytes, a loader returns good data or
raises its one-line error (`DataFileError`, a `HamnetError`), never anything else."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hamnet
from hamnet.data.real_pendulum import FILE_NAME, MIN_ROWS, parse_real_pendulum, real_pendulum_dataset
from hamnet.data.files import read_trajectories
from hamnet.data.measured import measured_dataset
from hamnet.errors import DataFileError, HamnetError, InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.pipeline import train_run
from hamnet.runs.files import CONFIG, WEIGHTS

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- real-pendulum data files ---------------------------------------------------------------

SPECIAL = ["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e309", "3e38", "-3.4e38", "-0.0",
           "0", "1e-320", "5e-324", "1_0", "0x10", "", "%", "% o v", "\x00", "١٢", "é"]
TOKEN = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(SPECIAL),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4),
)
#: What corrupts one cell of a well-formed series: mostly values at the edges of float64/float32.
CELL = st.one_of(st.sampled_from(["1e308", "-1e308", "3e38", "-3e38", "1e200", "nan", "inf", "x"]), TOKEN)
SEPARATOR = st.sampled_from([" ", "  ", "\t", " \t "])
NEWLINE = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def corrupted_rows(draw) -> str:
    """Rows of random tokens, and well-formed series with a few cells or lines replaced."""
    if draw(st.booleans()):
        lines = draw(st.lists(st.lists(TOKEN, max_size=6).map(lambda tokens: " ".join(tokens)), max_size=30))
    else:
        n = draw(st.integers(MIN_ROWS - 2, 30))
        steps = draw(st.lists(st.one_of(st.floats(1e-3, 1.0), st.floats(1e-300, 1e-3)), min_size=n, max_size=n))
        start = draw(st.floats(-10, 10))
        value = st.one_of(st.floats(-5, 5), st.floats(allow_nan=False, allow_infinity=False))
        values = draw(st.lists(value, min_size=2 * n, max_size=2 * n))
        grid, t = [], start
        for i in range(n):
            t += steps[i]
            grid.append(["0", repr(t), repr(values[2 * i]), repr(values[2 * i + 1])])
        for _ in range(draw(st.integers(0, 3))):
            row = draw(st.integers(0, n - 1))
            grid[row][draw(st.integers(0, 3))] = draw(CELL)
        lines = [draw(SEPARATOR).join(cells) for cells in grid]
        for _ in range(draw(st.integers(0, 2))):
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "%", "% note", "  ", "0 1 2"])))
    if draw(st.booleans()):
        lines.insert(0, "%o v")
    newline = draw(NEWLINE)
    return newline.join(lines) + (newline if draw(st.booleans()) else "")


CONTENT = st.one_of(st.binary(max_size=600), corrupted_rows().map(lambda text: text.encode("utf-8")))


def _write(folder: Path, content: bytes) -> Path:
    path = folder / FILE_NAME
    path.write_bytes(content)
    return path


def _check_series(t: torch.Tensor, q: torch.Tensor, p: torch.Tensor) -> None:
    assert t.dtype == q.dtype == p.dtype == torch.float64
    assert t.shape == q.shape == p.shape and t.dim() == 1 and t.numel() >= MIN_ROWS
    assert all(bool(torch.isfinite(x).all()) for x in (t, q, p))
    assert bool(torch.all(t[1:] > t[:-1]))


@FUZZ
@given(content=CONTENT)
def test_parse_returns_a_clean_series_or_data_file_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), content)
        try:
            series = parse_real_pendulum(path)
        except DataFileError as exc:
            assert str(exc) and "\n" not in str(exc).strip()
            return
    _check_series(*series)


@FUZZ
@given(content=corrupted_rows().map(lambda text: text.encode("utf-8")))
def test_dataset_is_finite_or_data_file_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _write(Path(folder), content)
        try:
            data = real_pendulum_dataset(hamnet.systems.get("real-pendulum"), None, 0, Path(folder))
        except DataFileError:
            return
    tensors = data.tensors()
    assert all(bool(torch.isfinite(x).all()) for x in tensors.values())
    assert len(data.x_train) + len(data.x_test) >= MIN_ROWS - 1
    assert data.x_train.shape == data.dxdt_train.shape and data.x_test.shape == data.dxdt_test.shape


def test_the_generator_reaches_both_outcomes() -> None:
    """The structured strategy makes valid series too, so the success branch is exercised."""
    outcomes = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(content=corrupted_rows().map(lambda text: text.encode("utf-8")))
    def probe(content: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            try:
                parse_real_pendulum(_write(Path(folder), content))
                outcomes.add("ok")
            except DataFileError:
                outcomes.add("error")

    probe()
    assert outcomes == {"ok", "error"}


# --- a user's trajectory files (.csv, .npz) -------------------------------------------------

HEADERS = ["trajectory,t,q,p", "trajectory,t,q,p,dq,dp", "trajectory,t,q1,q2,p1,p2", "trajectory,t,q,p,dq",
           "trajectory,t,q,x", "t,trajectory,q,p", "trajectory,t,q,q", "trajectory,t", ""]


@st.composite
def csv_files(draw) -> bytes:
    """A header (good or bad) and rows of random cells, or well-formed rows with a few cells
    corrupted; trajectory labels drawn from a few, so rows of a trajectory interleave."""
    header = draw(st.sampled_from(HEADERS))
    width = max(len(header.split(",")), 1)
    rows = []
    times: dict[str, float] = {}
    for _ in range(draw(st.integers(0, 40))):
        label = draw(st.sampled_from(["0", "1", "a", " 2"]))
        if draw(st.integers(0, 9)) == 0:
            cells = draw(st.lists(TOKEN, max_size=width + 1))
        else:
            times[label] = times.get(label, 0.0) + draw(st.one_of(st.floats(1e-3, 1.0), st.floats(-0.1, 1e-3)))
            values = draw(st.lists(st.floats(-5, 5), min_size=max(width - 2, 0), max_size=max(width - 2, 0)))
            cells = [label, repr(times[label]), *map(repr, values)]
            if draw(st.integers(0, 4)) == 0 and len(cells) > 1:
                cells[draw(st.integers(1, len(cells) - 1))] = draw(CELL)
        rows.append(",".join(cells))
    return (header + "\n" + "\n".join(rows) + "\n").encode("utf-8")


def _read_clean_or_one_line_error(path: Path):
    """`read_trajectories(path)` checked clean, or None after its one-line `DataFileError`."""
    try:
        data = read_trajectories(path)
    except DataFileError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return None
    assert data.x and len(data.t) == len(data.x) and data.dim == 2 * len(data.coords) == 2 * len(data.momenta)
    for t, x in zip(data.t, data.x):
        assert t.dtype == x.dtype == torch.float64 and x.shape == (t.numel(), data.dim) and t.numel() >= 2
        assert bool(torch.isfinite(x).all()) and bool(torch.all(t[1:] > t[:-1]))
    return data


@FUZZ
@given(content=st.one_of(st.binary(max_size=400), csv_files()))
def test_csv_reader_returns_clean_trajectories_or_data_file_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(content)
        data = _read_clean_or_one_line_error(path)
        if data is None:
            return
        try:  # and the data set built from it, every derivative estimate
            for derivative in ("spline", "forward"):
                built = measured_dataset(data, derivative, 0.8, 0)
                assert all(bool(torch.isfinite(v).all()) for v in built.tensors().values())
        except (DataFileError, InvalidValueError) as exc:
            assert "\n" not in str(exc).strip()


ARRAY = st.one_of(
    st.builds(lambda shape, kind: np.zeros(shape, dtype=kind) + 0.5,
              st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple),
              st.sampled_from(["float64", "float32", "float16", "int64", "bool", "complex64"])),
    st.builds(lambda n, t: np.cumsum(np.full((n,) if t else (2, n), 0.1)), st.integers(0, 5), st.booleans()),
    st.sampled_from([np.array(["q"]), np.array([np.nan, 1.0]), np.array([1e39]), np.array(3.0)]),
)


@FUZZ
@given(arrays=st.dictionaries(st.sampled_from(["x", "t", "dxdt", "coords", "momenta", "masses", "junk"]), ARRAY))
def test_npz_reader_returns_clean_trajectories_or_data_file_error(arrays: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.npz"
        np.savez(path, **arrays)
        _read_clean_or_one_line_error(path)


# --- run directories ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("fuzz") / "spring-hnn"
    train_run(RunConfig.for_task("spring", "hnn", steps=5), run_dir, show_progress=False)
    return run_dir


def _load_copy(tiny_run: Path, name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder) / "run"
        shutil.copytree(tiny_run, run_dir)
        (run_dir / name).write_bytes(content)
        try:
            model = hamnet.load(run_dir)
        except HamnetError as exc:
            assert str(exc)
            return
    assert isinstance(model, hamnet.models.DynamicsModel)


RUN_FUZZ = settings(FUZZ, max_examples=60)


@RUN_FUZZ
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_config_bytes_load_or_raise_hamnet_error(tiny_run: Path, content: bytes) -> None:
    _load_copy(tiny_run, CONFIG, content)


@st.composite
def damaged_weights(draw, original: bytes) -> bytes:
    """Arbitrary bytes, or the real weights truncated or with a few bytes changed (mostly in the
    header: its length, its JSON)."""
    kind = draw(st.sampled_from(["binary", "truncated", "edited"]))
    if kind == "binary":
        return draw(st.binary(max_size=400))
    if kind == "truncated":
        return original[:draw(st.integers(0, len(original) - 1))]
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, min(len(data) - 1, 400)))] = draw(st.integers(0, 255))
    return bytes(data)


@RUN_FUZZ
@given(data=st.data())
def test_any_weights_bytes_load_or_raise_hamnet_error(tiny_run: Path, data) -> None:
    content = data.draw(damaged_weights((tiny_run / WEIGHTS).read_bytes()))
    _load_copy(tiny_run, WEIGHTS, content)
