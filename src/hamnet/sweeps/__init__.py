"""Sweeps: a file of tasks × models × seeds × overrides (`spec`), run as ordinary run
directories on a backend (`run`), summarised over seeds with figures (`summary`, `plots`)."""

from .run import point_dir, run_sweep
from .spec import Point, SweepSpec, apply, load_spec, parse_spec

__all__ = ["Point", "SweepSpec", "apply", "load_spec", "parse_spec", "point_dir", "run_sweep"]
