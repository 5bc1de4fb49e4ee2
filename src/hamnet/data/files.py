"""The one reader of trajectory files: a user's `.npz` or long-format `.csv`, and the
Schmidt & Lipson `.txt` series of the real pendulum, all into `Trajectories`.

- `.npz`: `x[n_traj, T, dim]` (positions then momenta), `t[T]` or `t[n_traj, T]`;
  optional `dxdt` like `x`, `coords` and `momenta` (names, strings), `masses` [dim/2].
- `.csv`: a header `trajectory, t, <coordinates>[, d<coordinate>...]`, one row per sample.
  Rows of a trajectory (any label) need not be adjacent; their times must increase in
  file order. Which columns are positions and which momenta: `coords`/`momenta` given,
  else the naming rule — columns starting with `q` are positions, with `p` momenta, in
  header order, as many of each. Derivative columns `d<name>`: for every coordinate or none.
- `.txt` (Schmidt & Lipson 2009): an optional `%` header, then rows `trial t o v`; one
  trajectory per trial, q = o, p = v.

Every problem raises `DataFileError` naming the file and the line or array.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from ..atomic import atomic_path
from ..errors import DataFileError, OutputError

#: Largest magnitude of a value: the models train in float32.
MAX_MAGNITUDE = float(torch.finfo(torch.float32).max)
#: Fewest samples a trajectory may have (a time derivative needs two).
MIN_POINTS = 2


@dataclass
class Trajectories:
    """Sampled trajectories in canonical coordinates, float64, one entry per trajectory.

    t[i]: [T_i] strictly increasing times;  x[i]: [T_i, dim] states (positions then
    momenta);  dxdt[i]: [T_i, dim] measured time derivatives, or None for all when the
    file has none;  lines[i]: the file's 1-based line number of each sample (None for
    binary files), for error messages.
    """

    t: list[Tensor]
    x: list[Tensor]
    dxdt: list[Tensor] | None
    coords: tuple[str, ...]
    momenta: tuple[str, ...]
    source: Path
    digest: str
    masses: Tensor | None = None
    lines: list[list[int]] | None = None

    @property
    def dim(self) -> int:
        return 2 * len(self.coords)

    def where(self, i: int, row: int) -> str:
        """`file, line N` (text) or `file, trajectory i, sample row` (binary) for messages."""
        if self.lines is not None:
            return f"{self.source}, line {self.lines[i][row]}"
        return f"{self.source}, trajectory {i}, sample {row}"


def read_trajectories(path: str | Path, coords: Sequence[str] | None = None,
                      momenta: Sequence[str] | None = None, kind: str | None = None) -> Trajectories:
    """Read a trajectory file of type `kind` (a `READERS` key; None: the file's suffix,
    `.npz`, `.csv` or `.txt`); see the module doc.

    `coords`/`momenta` name the position and momentum columns (arrays: replace the file's
    names); None: the file's names or the naming rule."""
    path = Path(path)
    reader = READERS.get(kind or path.suffix.lower())
    if reader is None:
        raise DataFileError(f"{path}: unknown trajectory file type {path.suffix or '(none)'!r}; "
                            f"use {', '.join(READERS)}")
    if (coords is None) != (momenta is None):
        raise DataFileError(f"{path}: give both the position names (--coords) and the momentum names (--momenta)")
    if coords is not None and len(coords) != len(momenta):
        raise DataFileError(f"{path}: {len(coords)} position names but {len(momenta)} momentum names")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataFileError(f"cannot read trajectory file {path}: {err.strerror or err}") from None
    data = reader(path, raw, tuple(coords) if coords else None, tuple(momenta) if momenta else None)
    _check(data)
    return data


def _check(data: Trajectories) -> None:
    """Counts, finiteness, range and increasing time of every trajectory."""
    if not data.x:
        raise DataFileError(f"{data.source} holds no trajectories")
    for i, (t, x) in enumerate(zip(data.t, data.x)):
        if t.numel() < MIN_POINTS:
            raise DataFileError(f"{data.source}: trajectory {i} has {t.numel()} point(s); each needs at least "
                                f"{MIN_POINTS}")
        arrays = {"t": t.unsqueeze(-1), "x": x} | ({"dxdt": data.dxdt[i]} if data.dxdt is not None else {})
        for name, values in arrays.items():
            bad = (~torch.isfinite(values)).any(-1).nonzero()
            if bad.numel():
                raise DataFileError(f"{data.where(i, int(bad[0]))}: non-finite value in {name} "
                                    f"({values[int(bad[0])].tolist()})")
            big = (values.abs() > MAX_MAGNITUDE).any(-1).nonzero()
            if big.numel():
                raise DataFileError(f"{data.where(i, int(big[0]))}: {name} beyond float32's range "
                                    f"(±{MAX_MAGNITUDE:.3g})")
        steps = (t[1:] <= t[:-1]).nonzero()
        if steps.numel():
            row = int(steps[0]) + 1
            raise DataFileError(f"{data.where(i, row)}: time {float(t[row])} does not increase "
                                f"(previous sample {float(t[row - 1])})")
    if data.masses is not None and not bool((data.masses > 0).all() & torch.isfinite(data.masses).all()):
        raise DataFileError(f"{data.source}: masses must be positive and finite, got {data.masses.tolist()}")


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _names(path: Path, what: str, names: object, count: int) -> tuple[str, ...]:
    if names is None:
        default = "q" if what == "coords" else "p"
        return tuple(f"{default}{i + 1}" for i in range(count)) if count > 1 else (default,)
    names = tuple(str(n) for n in np.asarray(names).ravel())
    if len(names) != count:
        raise DataFileError(f"{path}: array {what!r} names {len(names)} coordinate(s), x has {count} of that kind")
    return names


def _read_npz(path: Path, raw: bytes, coords: tuple[str, ...] | None,
              momenta: tuple[str, ...] | None) -> Trajectories:
    try:
        archive = np.load(io.BytesIO(raw), allow_pickle=False)
        arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise DataFileError(f"{path} is not a readable .npz archive ({' '.join(str(err).split())})") from None
    for key in ("x", "t"):
        if key not in arrays:
            raise DataFileError(f"{path} has no array {key!r} (it has: {', '.join(arrays) or 'none'})")
    numeric = {k: v for k, v in arrays.items() if k in ("x", "t", "dxdt", "masses")}
    for key, value in numeric.items():
        if value.dtype.kind not in "iuf":
            raise DataFileError(f"{path}: array {key!r} must hold real numbers, its dtype is {value.dtype}")
    x = torch.from_numpy(arrays["x"].astype(np.float64))
    if x.ndim != 3 or x.shape[-1] % 2 or x.shape[-1] == 0:
        raise DataFileError(f"{path}: array 'x' must be [n_traj, T, dim] with an even dim (positions then momenta), "
                            f"got shape {list(x.shape)}")
    n, points, dim = x.shape
    t = torch.from_numpy(arrays["t"].astype(np.float64))
    if t.shape == (points,):
        t = t.expand(n, points)
    elif t.shape != (n, points):
        raise DataFileError(f"{path}: array 't' must be [T] = [{points}] or [n_traj, T] = [{n}, {points}] "
                            f"to match x, got shape {list(t.shape)}")
    dxdt = None
    if "dxdt" in arrays:
        dxdt = torch.from_numpy(arrays["dxdt"].astype(np.float64))
        if dxdt.shape != x.shape:
            raise DataFileError(f"{path}: array 'dxdt' must have x's shape {list(x.shape)}, got {list(dxdt.shape)}")
    masses = None
    if "masses" in arrays:
        masses = torch.from_numpy(arrays["masses"].astype(np.float64)).ravel()
        if masses.numel() != dim // 2:
            raise DataFileError(f"{path}: array 'masses' must hold one mass per position ({dim // 2}), "
                                f"got {masses.numel()}")
    return Trajectories(t=list(t.unbind(0)), x=list(x.unbind(0)), dxdt=None if dxdt is None else list(dxdt.unbind(0)),
                        coords=coords or _names(path, "coords", arrays.get("coords"), dim // 2),
                        momenta=momenta or _names(path, "momenta", arrays.get("momenta"), dim // 2),
                        source=path, digest=_digest(raw), masses=masses)


def _text(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataFileError(f"cannot read {path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def _number(path: Path, line: int, column: str, cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise DataFileError(f"{path}, line {line}: column {column!r} holds {cell.strip()!r}, not a number") from None


def _split_columns(path: Path, header: list[str], coords: tuple[str, ...] | None,
                   momenta: tuple[str, ...] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(positions, momenta) among the CSV's coordinate columns (`read_trajectories`)."""
    columns = [h for h in header[2:] if not (h.startswith("d") and h[1:] in header)]
    if coords is not None:
        missing = [name for name in (*coords, *momenta) if name not in header]
        if missing:
            raise DataFileError(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})")
        return coords, momenta
    positions = tuple(h for h in columns if h.startswith("q"))
    impulses = tuple(h for h in columns if h.startswith("p"))
    other = [h for h in columns if h not in positions + impulses]
    if other:
        raise DataFileError(f"{path}: column {other[0]!r} is neither a position (q…) nor a momentum (p…); "
                            "rename it, or name the columns with --coords and --momenta")
    if not positions or len(positions) != len(impulses):
        raise DataFileError(f"{path}: {len(positions)} position column(s) (q…) and {len(impulses)} momentum "
                            "column(s) (p…); they must pair up")
    return positions, impulses


def _read_csv(path: Path, raw: bytes, coords: tuple[str, ...] | None,
              momenta: tuple[str, ...] | None) -> Trajectories:
    reader = csv.reader(io.StringIO(_text(path, raw)))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataFileError(f"{path} is empty (expected a header: trajectory, t, q…, p…)") from None
    except csv.Error as err:
        raise DataFileError(f"{path}, line 1: {err}") from None
    if header[:2] != ["trajectory", "t"] or len(set(header)) != len(header):
        raise DataFileError(f"{path}, line 1: the header must start with 'trajectory,t' and name each column "
                            f"once, got {','.join(header)!r}")
    coords, momenta = _split_columns(path, header, coords, momenta)
    names = (*coords, *momenta)
    derivatives = [f"d{name}" for name in names if f"d{name}" in header]
    if derivatives and len(derivatives) != len(names):
        absent = next(f"d{n}" for n in names if f"d{n}" not in header)
        raise DataFileError(f"{path}, line 1: derivative columns must be given for every coordinate or none "
                            f"({absent!r} is missing)")
    wanted = [header.index(name) for name in ("t", *names, *derivatives)]
    groups: dict[str, tuple[list[list[float]], list[int]]] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in fields):
                continue
            if len(fields) != len(header):
                raise DataFileError(f"{path}, line {line}: {len(fields)} columns, the header has {len(header)}")
            rows, lines = groups.setdefault(fields[0].strip(), ([], []))
            rows.append([_number(path, line, header[j], fields[j]) for j in wanted])
            lines.append(line)
    except csv.Error as err:
        raise DataFileError(f"{path}, line {reader.line_num}: {err}") from None
    if not groups:
        raise DataFileError(f"{path} has a header but no data rows")
    tables = [torch.tensor(rows, dtype=torch.float64) for rows, _ in groups.values()]
    dim = len(names)
    return Trajectories(t=[table[:, 0] for table in tables], x=[table[:, 1:1 + dim] for table in tables],
                        dxdt=[table[:, 1 + dim:] for table in tables] if derivatives else None,
                        coords=coords, momenta=momenta, source=path, digest=_digest(raw),
                        lines=[lines for _, lines in groups.values()])


def _read_series(path: Path, raw: bytes, coords: tuple[str, ...] | None,
                 momenta: tuple[str, ...] | None) -> Trajectories:
    """Schmidt & Lipson's text series: rows `trial t o v`, one trajectory per trial."""
    groups: dict[float, tuple[list[list[float]], list[int]]] = {}
    for number, text in enumerate(_text(path, raw).splitlines(), start=1):
        fields = text.split()
        if not fields or fields[0].startswith("%"):
            continue
        if len(fields) != 4:
            raise DataFileError(f"{path}, line {number}: expected 4 columns (trial t o v), found {len(fields)}")
        values = [_number(path, number, column, cell) for column, cell in zip(("trial", "t", "o", "v"), fields)]
        if not math.isfinite(values[0]):
            raise DataFileError(f"{path}, line {number}: non-finite value {fields[0]!r} in column 'trial'")
        rows, lines = groups.setdefault(values[0], ([], []))
        rows.append(values[1:])
        lines.append(number)
    if not groups:
        raise DataFileError(f"{path} has no data rows")
    tables = [torch.tensor(rows, dtype=torch.float64) for rows, _ in groups.values()]
    return Trajectories(t=[table[:, 0].contiguous() for table in tables],
                        x=[table[:, 1:].contiguous() for table in tables], dxdt=None,
                        coords=coords or ("q",), momenta=momenta or ("p",), source=path, digest=_digest(raw),
                        lines=[lines for _, lines in groups.values()])


#: File suffix -> reader(path, raw bytes, coords, momenta) -> Trajectories.
READERS: dict[str, Callable[..., Trajectories]] = {".npz": _read_npz, ".csv": _read_csv, ".txt": _read_series}


def write_trajectories(path: str | Path, t: Tensor, x: Tensor, dxdt: Tensor | None, coords: Sequence[str],
                       momenta: Sequence[str], hamiltonian: str | None = None) -> Path:
    """Write trajectories x[n, T, dim] on times t[T] or t[n, T] (dxdt like x, or None) as `.npz` or
    `.csv` (by `path`'s suffix), in the format `read_trajectories` reads back exactly
    (CSV numbers are written with all their digits). The `.npz` also keeps `hamiltonian`
    (its text). Atomic: a failed write leaves nothing."""
    path = Path(path)
    if path.suffix.lower() not in (".npz", ".csv"):
        raise OutputError(f"{path}: write trajectories to a .npz or .csv file")
    names = (*coords, *momenta)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".npz":
            arrays = {"x": x.numpy(), "t": t.numpy(), "coords": np.array(coords), "momenta": np.array(momenta)}
            arrays |= {"dxdt": dxdt.numpy()} if dxdt is not None else {}
            arrays |= {"hamiltonian": np.array(hamiltonian)} if hamiltonian else {}
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
        else:
            with open(tmp, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["trajectory", "t", *names, *(f"d{n}" for n in names if dxdt is not None)])
                times = t.expand(x.shape[0], -1) if t.ndim == 1 else t
                for i in range(x.shape[0]):
                    for j in range(x.shape[1]):
                        values = [*x[i, j].tolist(), *(dxdt[i, j].tolist() if dxdt is not None else [])]
                        writer.writerow([i, repr(float(times[i, j])), *map(repr, values)])
    return path
