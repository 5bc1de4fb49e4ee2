"""AOTInductor: the traced field compiled to machine code and packaged as a `.pt2` that
C++ loads with `torch::inductor::AOTIModelPackageLoader` (libtorch, no Python) and Python
with `torch._inductor.aoti_load_package`. Compiling needs a C++ compiler (tens of seconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from ...errors import InvalidValueError
from .base import Format, Runner, as_numpy

COMPILERS = ("g++", "c++", "clang++")


class Aoti(Format):
    name, suffix = "aoti", ".pt2"
    default_name = "field-aoti.pt2"

    def check_available(self) -> None:
        if not any(shutil.which(compiler) for compiler in COMPILERS):
            raise InvalidValueError(f"export format 'aoti' compiles C++: none of {', '.join(COMPILERS)} is on PATH")

    def write(self, program: torch.export.ExportedProgram, path: Path, metadata: dict[str, str]) -> None:
        torch._inductor.aoti_compile_and_package(program, package_path=str(path),
                                                 inductor_configs={"aot_inductor.metadata": metadata})

    def load(self, path: Path) -> Runner:
        runner = torch._inductor.aoti_load_package(str(path))
        return lambda x: as_numpy(runner(torch.from_numpy(x)))
