"""PyTorch 2's exported program (`torch.export.save`): the field's graph and weights in one
`.pt2` file that `torch.export.load` runs with no hamnet installed; the run's metadata in
its extra file `hamnet.json`."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .base import Format, Runner, as_numpy


class Pt2(Format):
    name, suffix = "pt2", ".pt2"
    default_name = "field.pt2"

    def write(self, program: torch.export.ExportedProgram, path: Path, metadata: dict[str, str]) -> None:
        torch.export.save(program, str(path), extra_files={"hamnet.json": json.dumps(metadata)})

    def load(self, path: Path) -> Runner:
        module = torch.export.load(str(path)).module()
        return lambda x: as_numpy(module(torch.from_numpy(x)))
