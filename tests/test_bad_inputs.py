"""A corpus of bad input, through the real command line: every case must exit with code 2,
print one line on stderr that names the problem, show no traceback, and leave its directory
exactly as it found it (no file created, removed or modified). Also the Python API's misuse.

The command lines run side by side (`corpus`), each case in its own directory and its own
process, forked from a parent that has imported hamnet already (`forked_cli`: the corpus
would otherwise spend most of its time starting Python and importing PyTorch); the tests
wait for their own case.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import os
import random
import runpy
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
import torch

import hamnet
from hamnet.data.real_pendulum import FILE_NAME, find_data_file, parse_real_pendulum, real_pendulum_dataset
from hamnet.errors import DataFileError, HamnetError, RunDirectoryError, TrainingDivergedError
from hamnet.experiments import RunConfig
from hamnet.pipeline import evaluate_run, train_run
from hamnet.training import bf16_supported

from conftest import run_cli
from forked_cli import ForkedCli
from test_cli import assert_one_line_error
from test_real_pendulum import good_rows, write_series

Prepare = Callable[[Path], None]
Snapshot = set[tuple]


@dataclass(frozen=True)
class Case:
    """One bad command line: `{d}` in `args` is the case's directory, `{run}` a copy of a
    trained run in it; `prepare(case_dir)` sets the scene before the command runs."""

    id: str
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    prepare: Prepare | None = None
    needs_run: bool = False  # a copy of the trained run in `{d}/run`
    needs_data: bool = False  # wait for the trained run: the spring data set is cached then
    marks: tuple = field(default_factory=tuple)


def case(id: str, args: str, *fragments: str, prepare: Prepare | None = None, needs_run: bool = False,
         needs_data: bool = False, marks: tuple = ()) -> Case:
    return Case(id, tuple(args.split()), fragments, prepare, needs_run, needs_data, marks)


NO_GPU = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is available here")
NO_BF16 = pytest.mark.skipif(bf16_supported("cpu"), reason="this CPU multiplies bfloat16 natively")
BF16 = pytest.mark.skipif(not bf16_supported("cpu"), reason="this CPU lacks native bfloat16 (refused before)")


# --- scene builders -------------------------------------------------------------------------

def file_at(name: str, content: bytes = b"x") -> Prepare:
    def prepare(d: Path) -> None:
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(content)
    return prepare


def mkdir(name: str) -> Prepare:
    return lambda d: (d / name).mkdir(parents=True)


def pixel_config(d: Path) -> None:
    """The run's config.json made a quick pixel-pendulum run's (its weights left as they are)."""
    (d / "run" / "config.json").write_text(json.dumps(RunConfig.for_task("pixel-pendulum", "hnn", 0, "quick").to_dict()))


def edit_config(**changes: object) -> Prepare:
    def prepare(d: Path) -> None:
        path = d / "run" / "config.json"
        config = json.loads(path.read_text())
        for key, value in changes.items():
            if isinstance(value, dict):
                config[key] |= value
            else:
                config[key] = value
        path.write_text(json.dumps(config))
    return prepare


def as_real_pendulum(d: Path) -> None:
    """The trained run's config turned into one of the real pendulum (its recipe's defaults)."""
    path = d / "run" / "config.json"
    config = json.loads(path.read_text())
    path.write_text(json.dumps(config | {"task": "real-pendulum", "recipe": {}}))


def run_file(name: str, content: bytes | None) -> Prepare:
    """Replace (None: remove) one file of the copied run."""
    def prepare(d: Path) -> None:
        path = d / "run" / name
        if content is None:
            path.unlink()
        else:
            path.write_bytes(content)
    return prepare


def truncate_weights(d: Path) -> None:
    path = d / "run" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:5000])


def series(rows: list[str]) -> Prepare:
    return lambda d: write_series(d / "data", rows)


def replace_row(index: int, **columns: str) -> list[str]:
    """`good_rows(20)` with some columns (trial, t, o, v) of one row replaced."""
    rows = good_rows(20)
    names = ("trial", "t", "o", "v")
    values = dict(zip(names, rows[index].split())) | columns
    rows[index] = " ".join(values[name] for name in names)
    return rows


def raw_series(content: bytes) -> Prepare:
    return file_at(f"data/{FILE_NAME}", content)


def user_files(d: Path) -> None:
    """A good and a bad trajectory CSV, a module that is no system, a file where a folder should be."""
    (d / "x.csv").write_text("trajectory,t,q,p\n" + "".join(f"{i},{j},{math.cos(j)},{-math.sin(j)}\n"
                                                            for i in range(2) for j in range(5)))
    (d / "bad.csv").write_text("trajectory,t,q,p\n0,0,1,0\n0,1,x,-1\n")
    (d / "plugin.py").write_text("NotASystem = 3\n" + CONSTRAINED_PLUGINS)
    (d / "blocker").write_text("a file where a folder should be")


#: Constrained systems a user might write wrongly: constraints no state satisfies, two that
#: tie the same bodies, initial states off the constraints, bodies on top of each other.
CONSTRAINED_PLUGINS = """
import torch
from hamnet.systems.chain_pendulum import ChainPendulum
from hamnet.systems.constraints import DistanceConstraints

class Impossible(ChainPendulum):
    name = "impossible"
    dim = 8
    def __init__(self):
        super().__init__(2)
        self.constraints = DistanceConstraints(2, 2, (0, 1, 1), (-1, -1, 0), (1.0, 1.0, 5.0), ((0.0, 0.0),) * 3)

class Twice(ChainPendulum):
    name = "twice"
    dim = 8
    def __init__(self):
        super().__init__(2)
        self.constraints = DistanceConstraints(2, 2, (0, 1, 0), (-1, 0, 1), (1.0, 1.0, 1.0), ((0.0, 0.0),) * 3)

class OffConstraints(ChainPendulum):
    name = "off-constraints"
    dim = 8
    def sample_initial(self, n, generator):
        return 3 * super().sample_initial(n, generator)

class Collapsed(ChainPendulum):
    name = "collapsed"
    dim = 8
    def sample_initial(self, n, generator):
        return self.onto_manifold(torch.zeros(n, self.dim, dtype=torch.float64))
"""

GARBAGE = b"\xff\xfe\x00" + bytes(random.Random(0).randrange(256) for _ in range(4096))
LATIN1 = ("% température\r\n" + "".join(row + "\r\n" for row in good_rows(20))).encode("latin-1")

SPRING = "train --task spring --model hnn --out {d}/run"
TO_RUN = "--model hnn --out {d}/run"
REAL = "train --task real-pendulum --model hnn --steps 5 --out {d}/run --data-dir {d}/data"

CASES = [
    # Arguments the parser rejects (no PyTorch loaded).
    case("train-steps-not-a-number", f"{SPRING} --steps abc", "--steps", "integer"),
    case("train-lr-not-a-number", f"{SPRING} --lr fast", "--lr", "valid number"),
    case("train-seed-not-a-number", f"{SPRING} --seed 1.5", "--seed"),
    case("reproduce-steps-not-a-number", "reproduce --steps abc --out {d}/out", "--steps"),
    case("reproduce-seeds-not-a-number", "reproduce --seeds x --out {d}/out", "--seeds", "integer"),
    case("reproduce-jobs-not-a-number", "reproduce --jobs two --out {d}/out", "--jobs"),
    case("unknown-command", "frobnicate", "No such command", "frobnicate"),
    case("train-unknown-option", f"{SPRING} --frob 3", "No such option", "--frob"),
    case("tasks-unknown-option", "tasks --verbose", "No such option", "--verbose"),
    case("tasks-extra-argument", "tasks spring", "unexpected extra argument", "spring"),
    case("models-unknown-option", "models --all", "No such option", "--all"),
    case("models-extra-argument", "models hnn", "unexpected extra argument", "hnn"),
    case("reproduce-unroll-without-rollout", "reproduce --integrator rk4 --out {d}/out",
         "--unroll and --integrator are settings of --objective rollout"),
    case("reproduce-unroll-negative", "reproduce --objective rollout --unroll -2 --out {d}/out",
         "--unroll must be positive"),
    case("reproduce-leapfrog-not-separable", "reproduce --tasks spring --models hnn --objective rollout "
         "--integrator leapfrog --out {d}/out", "needs a separable model"),
    case("train-unroll-not-a-number", f"{SPRING} --objective rollout --unroll many", "Invalid value for '--unroll'"),
    case("evaluate-unknown-option", "evaluate {d} --fast", "No such option", "--fast"),
    case("evaluate-horizon-not-a-multiple", "evaluate {d} --horizon 3y", "--horizon must be a multiple", "'3y'"),
    case("evaluate-horizon-zero", "evaluate {d} --horizon 0x", "--horizon must be between 0 and 10000"),
    case("evaluate-horizon-huge", "evaluate {d} --horizon 1e9", "--horizon must be between 0 and 10000"),
    case("evaluate-step-negative", "evaluate {d} --integrator rk4 --step -0.1", "--step must be a positive"),
    case("evaluate-step-nan", "evaluate {d} --integrator rk4 --step nan", "--step must be a positive"),
    case("evaluate-step-with-dopri5", "evaluate {d} --step 0.1", "--step is the time step of a fixed-step",
         "dopri5 chooses its own steps"),
    case("evaluate-horizon-on-measured-data", "evaluate {run} --integrator rk4",
         "real-pendulum: long-horizon metrics need a true flow to roll out",
         prepare=as_real_pendulum, needs_run=True),
    case("evaluate-unknown-integrator", "evaluate {run} --integrator verlet", "unknown integrator 'verlet'",
         "leapfrog", needs_run=True),
    case("evaluate-leapfrog-not-separable", "evaluate {run} --integrator leapfrog", "needs a separable field",
         "implicit-midpoint", needs_run=True),
    case("evaluate-horizon-none-with-integrator", "evaluate {run} --horizon none --integrator rk4",
         "leaves nothing to roll out", needs_run=True),
    case("plot-two-runs", "plot {d}/a {d}/b", "unexpected extra argument"),
    case("train-missing-task", "train --model hnn --out {d}/run", "pass --task NAME", "or --data FILE"),
    case("train-missing-model", "train --task spring --out {d}/run", "Missing option", "--model"),
    case("train-missing-out", "train --task spring --model hnn", "Missing option", "--out"),
    case("evaluate-missing-run", "evaluate", "Missing argument", "run"),
    case("plot-missing-run", "plot", "Missing argument", "run"),
    # Settings out of range, checked before PyTorch loads.
    case("reproduce-seeds-0", "reproduce --seeds 0 --out {d}/out", "--seeds must be between 1 and 10000"),
    case("reproduce-seeds-negative", "reproduce --seeds -2 --out {d}/out", "--seeds must be between 1 and 10000"),
    case("reproduce-jobs-0", "reproduce --jobs 0 --out {d}/out", "--jobs must be positive"),
    case("reproduce-tasks-empty", "reproduce --tasks , --out {d}/out", "--tasks names no task"),
    case("reproduce-models-empty", "reproduce --models , --out {d}/out", "--models names no model"),
    case("reproduce-unknown-model", "reproduce --models baseline,gpt --out {d}/out", "unknown model 'gpt'", "hnn"),
    case("train-resume-and-overwrite", f"{SPRING} --resume --overwrite", "--resume or --overwrite"),
    case("train-seed-negative", f"{SPRING} --seed -1", "--seed must be a non-negative integer"),
    case("train-device-tpu", f"{SPRING} --device tpu", "unknown device 'tpu'", "cpu or cuda"),
    case("reproduce-device-tpu", "reproduce --device tpu --out {d}/out", "unknown device 'tpu'"),
    case("train-steps-0", f"{SPRING} --steps 0", "--steps must be between 1 and"),
    case("train-steps-negative", f"{SPRING} --steps -3", "--steps must be between 1 and"),
    case("train-steps-huge", f"{SPRING} --steps 1000000000000", "--steps must be between 1 and 100000000"),
    case("train-steps-overflow", f"{SPRING} --steps 100000000000000000000", "--steps must be between 1 and"),
    case("reproduce-seeds-huge", "reproduce --seeds 100000000000 --out {d}/out", "--seeds must be between 1 and"),
    case("train-lr-nan", f"{SPRING} --lr nan", "--lr must be a positive finite number", "nan"),
    case("train-lr-negative", f"{SPRING} --lr -1", "--lr must be a positive finite number"),
    case("train-lr-inf", f"{SPRING} --lr inf", "--lr must be a positive finite number", "inf"),
    case("train-lr-0", f"{SPRING} --lr 0", "--lr must be a positive finite number"),
    case("train-precision-unknown", f"{SPRING} --precision fp16", "precision must be one of fp32, bf16", "'fp16'"),
    case("reproduce-precision-unknown", "reproduce --precision half --out {d}/out", "precision must be one of"),
    case("train-precision-bf16-unsupported", f"{SPRING} --precision bf16", "precision bf16 needs native bfloat16",
         "use fp32", marks=(NO_BF16,)),
    case("train-precision-bf16-keypoints", "train --task pixel-two-body --model hnn --preset quick --precision bf16 "
         "--out {d}/run", "keypoints encoder", "fp32 only", marks=(BF16,)),
    case("reproduce-steps-0", "reproduce --steps 0 --out {d}/out", "--steps must be between 1 and"),
    case("reproduce-lr-nan", "reproduce --lr nan --out {d}/out", "--lr must be a positive finite number"),
    case("reproduce-lr-negative", "reproduce --lr -1 --out {d}/out", "--lr must be a positive finite number"),
    case("reproduce-lr-inf", "reproduce --lr inf --out {d}/out", "--lr must be a positive finite number"),
    case("reproduce-lr-0", "reproduce --lr 0 --out {d}/out", "--lr must be a positive finite number"),
    # Names PyTorch is needed to check.
    case("train-unknown-task", "train --task moon --model hnn --out {d}/run", "unknown task 'moon'", "spring"),
    case("train-unknown-model", "train --task spring --model gpt --out {d}/run", "unknown model 'gpt'", "hnn"),
    case("train-unknown-preset", f"{SPRING} --preset huge", "unknown preset 'huge'", "quick"),
    case("train-unroll-without-rollout", f"{SPRING} --unroll 4", "--unroll and --integrator are settings of "
         "--objective rollout"),
    case("train-unroll-0", f"{SPRING} --objective rollout --unroll 0", "--unroll must be positive"),
    case("train-unknown-objective", f"{SPRING} --objective magic", "unknown objective 'magic'", "rollout"),
    case("train-leapfrog-not-separable", f"{SPRING} --objective rollout --integrator leapfrog",
         "needs a separable model", "hnn-separable"),
    case("train-rollout-unknown-integrator", f"{SPRING} --objective rollout --integrator rk45",
         "integrator must be one of", "implicit-midpoint"),
    case("reproduce-rollout-on-pixels", "reproduce --tasks pixel-pendulum --objective rollout --out {d}/out",
         "does not fit task 'pixel-pendulum'"),
    case("reproduce-unknown-preset", "reproduce --preset huge --out {d}/out", "unknown preset 'huge'", "dhnn-paper"),
    case("reproduce-quick-without-a-quick-form", "reproduce --quick --preset dhnn-paper --out {d}/out",
         "preset 'dhnn-paper' has no quick form", "successors"),
    case("reproduce-suite-unknown", "reproduce --suite everything --out {d}/out", "unknown suite 'everything'",
         "successors"),
    case("reproduce-suite-and-preset", "reproduce --suite successors --preset full --out {d}/out",
         "pass --preset full or --suite successors, not both"),
    case("reproduce-model-with-unknown-objective", "reproduce --tasks spring --models hnn+gradient --out {d}/out",
         "unknown objective 'gradient' in 'hnn+gradient'", "rollout"),
    case("reproduce-unknown-model-with-objective", "reproduce --tasks spring --models gpt+rollout --out {d}/out",
         "unknown model 'gpt'"),
    case("reproduce-runs-named-twice", "reproduce --tasks spring --models hnn,hnn+rollout --objective rollout "
         "--out {d}/out", "name the runs 'hnn+rollout' twice"),
    case("reproduce-unroll-without-a-rollout-model", "reproduce --tasks spring --models hnn --unroll 4 --out {d}/out",
         "--unroll and --integrator are settings of --objective rollout (or of models named MODEL+rollout)"),
    case("reproduce-rollout-model-leapfrog-not-separable", "reproduce --tasks spring --models hnn+rollout "
         "--integrator leapfrog --out {d}/out", "needs a separable model"),
    case("train-task-not-in-preset", "train --task spring --model hnn --preset dhnn-paper --out {d}/run",
         "task 'spring' has no experiment in preset 'dhnn-paper'", "real-pendulum"),
    case("reproduce-task-not-in-preset", "reproduce --preset dissipative --tasks spring --out {d}/out",
         "task 'spring' has no experiment in preset 'dissipative'"),
    case("train-device-cuda", f"{SPRING} --device cuda", "--device cuda", "no CUDA GPU", marks=(NO_GPU,)),
    # Output locations that cannot be written.
    case("train-out-is-a-file", "train --task spring --model hnn --steps 5 --out {d}/file",
         "output directory", "file", "not writable", prepare=file_at("file"), needs_data=True),
    case("train-out-under-a-file", "train --task spring --model hnn --steps 5 --out {d}/file/run",
         "file/run", "not writable", prepare=file_at("file"), needs_data=True),
    case("reproduce-out-is-a-file", "reproduce --quick --tasks spring --out {d}/file",
         "file", "not writable", prepare=file_at("file")),
    case("sweep-file-missing", "sweep {d}/none.toml --out {d}/out", "sweep file", "none.toml does not exist"),
    case("sweep-file-not-toml", "sweep {d}/s.toml --out {d}/out", "is not valid TOML",
         prepare=file_at("s.toml", b"tasks = [spring")),
    case("sweep-file-binary", "sweep {d}/s.toml --out {d}/out", "cannot read sweep file",
         prepare=file_at("s.toml", b"\xff\xfe\x00")),
    case("sweep-unknown-key", "sweep {d}/s.toml --out {d}/out", "unknown key 'task'",
         prepare=file_at("s.toml", b'task = ["spring"]\nmodels = ["hnn"]\n')),
    case("sweep-unknown-field", "sweep {d}/s.toml --out {d}/out", "'train.momentum' names no field",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n[grid]\n"train.momentum" = [0.9]\n')),
    case("sweep-unknown-resize-filter", "sweep {d}/s.toml --out {d}/out", "recipe.resize must be one of",
         "lanczos", prepare=file_at("s.toml", b'tasks = ["pixel-pendulum"]\nmodels = ["hnn"]\n'
                                               b'[grid]\n"recipe.resize" = ["lanczos"]\n')),
    case("sweep-frames-horizon-below-1", "sweep {d}/s.toml --out {d}/out", "horizon at least 1",
         prepare=file_at("s.toml", b'tasks = ["pixel-two-body"]\nmodels = ["hnn"]\n'
                                   b'[grid]\n"recipe.horizon" = [0.5]\n')),
    case("sweep-unknown-optimizer", "sweep {d}/s.toml --out {d}/out", "optimizer must be one of adam, adamw",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n[grid]\n"train.optimizer" = ["sgd"]\n')),
    case("sweep-unknown-schedule", "sweep {d}/s.toml --out {d}/out", "schedule must be one of constant, cosine",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n[grid]\n"train.schedule" = ["step"]\n')),
    case("sweep-chunk-too-long", "sweep {d}/s.toml --out {d}/out", "chunk_points must be an integer from 2",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n[grid]\n"recipe.chunk_points" = [99]\n')),
    case("sweep-unknown-rollout-error", "sweep {d}/s.toml --out {d}/out", "error must be one of squared, absolute",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn+rollout"]\n[set]\n'
                                   b'"objective_options.error" = "huber"\n')),
    case("sweep-unknown-horizon-setting", "sweep {d}/s.toml --out {d}/out", "unknown protocol horizon setting 'speed'",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n[set]\n"protocol.horizon" = {speed = 1}\n')),
    case("sweep-encoder-for-a-state-task", "sweep {d}/s.toml --out {d}/out", "pixel tasks only",
         prepare=file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n[set]\nencoder = "linear"\n')),
    case("sweep-unknown-encoder", "sweep {d}/s.toml --out {d}/out", "encoder must be one of", "conv",
         prepare=file_at("s.toml", b'tasks = ["pixel-spring"]\nmodels = ["hnn"]\n[set]\nencoder = "conv"\n')),
    case("sweep-odd-latent", "sweep {d}/s.toml --out {d}/out", "latent must be a positive even size",
         prepare=file_at("s.toml", b'tasks = ["pixel-spring"]\nmodels = ["hnn"]\n[set]\nlatent = 3\n')),
    case("sweep-keypoints-latent-not-4", "sweep {d}/s.toml --out {d}/out", "4 latents (one keypoint)",
         prepare=file_at("s.toml", b'tasks = ["pixel-two-body"]\nmodels = ["hnn"]\n[set]\nlatent = 8\n')),
    case("sweep-crop-too-wide", "sweep {d}/s.toml --out {d}/out", "recipe.crop_width must lie in",
         prepare=file_at("s.toml", b'tasks = ["pixel-pendulum"]\nmodels = ["hnn"]\n[set]\n"recipe.crop_width" = 9.0\n')),
    case("sweep-unknown-latent-step", "sweep {d}/s.toml --out {d}/out", "step must be one of euler, rk4", "midpoint",
         prepare=file_at("s.toml", b'tasks = ["pixel-spring"]\nmodels = ["hnn"]\n[set]\n'
                                   b'"objective_options.step" = "midpoint"\n')),
    case("sweep-latent-scaled-not-a-bool", "sweep {d}/s.toml --out {d}/out", "scaled must be true or false",
         prepare=file_at("s.toml", b'tasks = ["pixel-two-body"]\nmodels = ["hnn"]\n[set]\n'
                                   b'"objective_options.scaled" = "yes"\n')),
    case("sweep-turn-a-block", "sweep {d}/s.toml --out {d}/out", "recipe.turn: task 'pixel-spring': 'spring' has no rotations",
         prepare=file_at("s.toml", b'tasks = ["pixel-spring"]\nmodels = ["hnn"]\n[set]\n"recipe.turn" = true\n')),
    case("sweep-turn-not-a-bool", "sweep {d}/s.toml --out {d}/out", "recipe.turn must be like True, got 1",
         prepare=file_at("s.toml", b'tasks = ["pixel-two-body"]\nmodels = ["hnn"]\n[set]\n"recipe.turn" = 1\n')),
    case("train-pixel-integrator", "train --task pixel-spring --model hnn --preset quick --integrator rk4 "
         "--out {d}/run", "--integrator is a setting of --objective rollout", "--unroll only"),
    case("train-pixel-unroll-101", "train --task pixel-spring --model hnn --preset quick --unroll 101 --out {d}/run",
         "unroll must be an integer between 1 and 100"),
    case("train-pixel-unroll-past-the-episodes", "train --task pixel-spring --model hnn --preset quick --unroll 40 "
         "--out {d}/run", "an unroll of 40 frames needs episodes of more than 40 observations", "have 29"),
    case("reproduce-unroll-on-mixed-objectives", "reproduce --tasks spring,pixel-spring --unroll 4 --out {d}/out",
         "--unroll and --integrator are settings of --objective rollout", "autoencoder objective"),
    case("train-pixel-task-of-an-unknown-system", "train --task pixel-sprung --model hnn --out {d}/run",
         "unknown task 'pixel-sprung'"),
    case("sweep-unknown-task", "sweep {d}/s.toml --out {d}/out", "unknown task 'sprung'",
         prepare=file_at("s.toml", b'tasks = ["sprung"]\nmodels = ["hnn"]\n')),
    case("sweep-jobs-0", "sweep {d}/s.toml --out {d}/out --jobs 0", "--jobs must be positive"),
    case("sweep-unknown-backend", "sweep {d}/s.toml --out {d}/out --backend dask", "unknown backend 'dask'", "ray"),
    case("sweep-address-without-ray", "sweep {d}/s.toml --out {d}/out --address auto", "--address is for --backend ray"),
    case("sweep-quick-without-a-quick-form", "sweep {d}/s.toml --out {d}/out --quick",
         "preset 'dissipative' has no quick form",
         prepare=file_at("s.toml", b'tasks = ["damped-spring"]\nmodels = ["hnn"]\npreset = "dissipative"\n')),
    case("sweep-out-is-a-file", "sweep {d}/s.toml --out {d}/file", "file", "not writable",
         prepare=lambda d: (file_at("file")(d), file_at("s.toml", b'tasks = ["spring"]\nmodels = ["hnn"]\n')(d))),
    case("reproduce-unknown-backend", "reproduce --quick --tasks spring --backend dask --out {d}/out",
         "unknown backend 'dask'"),
    case("reproduce-address-without-ray", "reproduce --quick --tasks spring --address auto --out {d}/out",
         "--address is for --backend ray"),
    case("tune-jobs-0", "tune --tasks spring --jobs 0 --out {d}/out", "--jobs must be positive"),
    case("tune-seed-negative", "tune --tasks spring --seed -1 --out {d}/out", "--seed"),
    case("tune-address-without-ray", "tune --tasks spring --address auto --out {d}/out", "--address is for --backend ray"),
    case("tune-trials-0", "tune --tasks spring --trials 0 --out {d}/out", "--trials must be between 1 and"),
    case("tune-validation-1", "tune --tasks spring --validation 1 --out {d}/out",
         "--validation must be a fraction between 0 and 1"),
    case("tune-unknown-backend", "tune --tasks spring --out {d}/out --backend dask", "unknown backend 'dask'"),
    case("tune-preset-not-built-in", "tune --tasks spring --preset tuned --out {d}/out",
         "--preset must be a built-in preset"),
    case("tune-unknown-task", "tune --tasks sprung --quick --out {d}/out", "unknown task 'sprung'"),
    case("tune-pixels", "tune --tasks pixel-pendulum --quick --out {d}/out",
         "observations cannot be split for validation"),
    case("tune-real-pendulum-data-missing", "tune --tasks real-pendulum --quick --out {d}/out --data-dir {d}/empty",
         "real_pend_h_1.txt", "not found", prepare=mkdir("empty")),
    case("tune-out-is-a-file", "tune --tasks spring --quick --out {d}/file", "file", "not writable",
         prepare=file_at("file")),
    case("reproduce-tuned-file-missing", "reproduce --preset {d}/tuned.json --out {d}/out", "tuned.json does not exist"),
    case("reproduce-tuned-file-not-json", "reproduce --preset {d}/tuned.json --out {d}/out",
         "tuned.json is not readable JSON", prepare=file_at("tuned.json", b"{")),
    case("train-into-another-run", "train --task spring --model baseline --steps 5 --out {d}/run",
         "already holds another run", "--overwrite", needs_run=True),
    case("train-diverges", "train --task spring --model baseline --steps 30 --lr 1e20 --out {d}/run",
         "training diverged", "step", needs_data=True),
    # Damaged run directories.
    case("plot-nonexistent-dir", "plot {d}/absent", "absent", "does not exist"),
    case("evaluate-empty-dir", "evaluate {d}/empty", "config.json is missing", prepare=mkdir("empty")),
    case("plot-file-not-dir", "plot {d}/file", "file", "is not a directory", prepare=file_at("file")),
    case("evaluate-config-missing", "evaluate {run}", "config.json is missing",
         prepare=run_file("config.json", None), needs_run=True),
    case("plot-config-zero-byte", "plot {run}", "config.json is corrupt",
         prepare=run_file("config.json", b""), needs_run=True),
    case("evaluate-config-invalid-json", "evaluate {run}", "config.json is corrupt",
         prepare=run_file("config.json", b'{"task": "spring",'), needs_run=True),
    case("plot-config-json-list", "plot {run}", "config.json is corrupt", "not a JSON object",
         prepare=run_file("config.json", b'["spring", "hnn"]'), needs_run=True),
    case("evaluate-config-unknown-task", "evaluate {run}", "config.json", "unknown task 'moon'",
         prepare=edit_config(task="moon"), needs_run=True),
    case("plot-config-model-mismatch", "plot {run}", "does not fit the baseline model",
         prepare=edit_config(model="baseline"), needs_run=True),
    case("evaluate-config-unknown-objective", "evaluate {run}", "config.json", "unknown objective 'rollout2'",
         prepare=edit_config(objective="rollout2"), needs_run=True),
    case("evaluate-config-objective-misfit", "evaluate {run}", "objective 'autoencoder' does not fit task 'spring'",
         prepare=edit_config(objective="autoencoder"), needs_run=True),
    case("evaluate-config-recipe-wrong-kind", "evaluate {run}", "recipe", "noise_std",
         prepare=edit_config(recipe={"noise_std": "loud"}), needs_run=True),
    case("plot-config-batch-order", "plot {run}", "batch order must be one of random, sequential",
         prepare=edit_config(train={"batch_order": "shuffled"}), needs_run=True),
    case("evaluate-config-hidden-changed", "evaluate {run}", "does not fit the hnn model", "size mismatch",
         prepare=edit_config(hidden=[100, 100]), needs_run=True),
    case("plot-weights-zero-byte", "plot {run}", "model.safetensors is corrupt",
         prepare=run_file("model.safetensors", b""), needs_run=True),
    case("evaluate-weights-truncated", "evaluate {run}", "model.safetensors is corrupt",
         prepare=truncate_weights, needs_run=True),
    case("plot-weights-garbage", "plot {run}", "model.safetensors is corrupt",
         prepare=run_file("model.safetensors", GARBAGE), needs_run=True),
    case("evaluate-weights-missing", "evaluate {run}", "model.safetensors is missing",
         prepare=run_file("model.safetensors", None), needs_run=True),
    # Malformed real-pendulum data files.
    case("real-pendulum-empty-file", REAL, "has no data rows", prepare=raw_series(b"")),
    case("real-pendulum-wrong-columns", REAL, "line 12", "expected 4 columns",
         prepare=series(good_rows(20)[:10] + ["0 6.6 0.1"] + good_rows(20)[10:])),
    case("real-pendulum-nan", REAL, "line 12", "non-finite", prepare=series(replace_row(10, o="nan"))),
    case("real-pendulum-inf", REAL, "line 12", "non-finite", prepare=series(replace_row(10, v="-inf"))),
    case("real-pendulum-not-a-number", REAL, "line 12", "not a number", prepare=series(replace_row(10, o="0,5"))),
    case("real-pendulum-time-not-increasing", REAL, "line 12", "does not increase",
         prepare=series(replace_row(10, t="5.0"))),
    case("real-pendulum-1e308", REAL, "line 12", "float32", prepare=series(replace_row(10, o="1e308"))),
    case("real-pendulum-file-is-a-dir", REAL, FILE_NAME, "not a regular file", prepare=mkdir(f"data/{FILE_NAME}")),
    case("real-pendulum-binary-garbage", REAL, FILE_NAME, "not UTF-8", prepare=raw_series(GARBAGE)),
    case("real-pendulum-not-utf8", REAL, FILE_NAME, "not UTF-8", prepare=raw_series(LATIN1)),
    # A user's data, expressions and systems.
    case("train-data-missing", f"train --data {{d}}/none.npz {TO_RUN}", "trajectory file", "does not exist"),
    case("train-task-and-data", f"train --task spring --data {{d}}/x.csv {TO_RUN}", "--task or --data",
         prepare=user_files),
    case("train-hamiltonian-without-data", f"train --task spring --hamiltonian q {TO_RUN}",
         "--hamiltonian describes a --data file"),
    case("train-data-unknown-symbol", f"train --data {{d}}/x.csv --hamiltonian p**2+r {TO_RUN}",
         "unknown symbol 'r'", prepare=user_files),
    case("train-data-test-fraction", f"train --data {{d}}/x.csv --test-fraction 1.5 {TO_RUN}",
         "--test-fraction must be between 0 and 1", prepare=user_files),
    case("train-data-derivative", f"train --data {{d}}/x.csv --derivative magic {TO_RUN}",
         "unknown derivative estimate 'magic'", prepare=user_files),
    case("train-data-no-such-column", f"train --data {{d}}/x.csv --coords q --momenta v {TO_RUN}",
         "no column 'v'", prepare=user_files),
    case("train-data-bad-cell", f"train --data {{d}}/bad.csv {TO_RUN}", "bad.csv, line 3", "not a number",
         prepare=user_files),
    case("train-plugin-no-module", f"train --task no_such_module:Sys {TO_RUN}", "cannot be loaded",
         "ModuleNotFoundError"),
    case("train-plugin-no-class", f"train --task {{d}}/plugin.py:Missing {TO_RUN}", "has no 'Missing'",
         prepare=user_files),
    case("train-plugin-not-a-system", f"train --task {{d}}/plugin.py:NotASystem {TO_RUN}",
         "not a subclass of hamnet.systems.System", prepare=user_files),
    case("train-constraints-impossible", "train --task {d}/plugin.py:Impossible --model chnn --out {d}/run",
         "the constraints cannot all hold here", prepare=user_files),
    case("train-constraints-twice", "train --task {d}/plugin.py:Twice --model chnn --out {d}/run",
         "constraints 1 and 2 tie the same bodies", "singular", prepare=user_files),
    case("train-constraints-off", "train --task {d}/plugin.py:OffConstraints --model chnn --out {d}/run",
         "is off the system's constraints", prepare=user_files),
    case("train-constraints-singular", "train --task {d}/plugin.py:Collapsed --model chnn --out {d}/run",
         "the constraint Jacobian is singular at some state", prepare=user_files),
    case("evaluate-hamiltonian-built-in", "evaluate {run} --hamiltonian q**2", "whose energy is known already",
         needs_run=True),
    # hamnet distill: what it is asked to distill, its library and its settings.
    case("distill-nothing", "distill", "pass a RUN directory or --data FILE"),
    case("distill-run-and-data", "distill {d} --data {d}/x.csv", "pass a RUN directory or --data FILE",
         prepare=user_files),
    case("distill-no-learned-h", "distill {run}", "the 'baseline' model has no learned H", "hnn, dhnn",
         prepare=edit_config(model="baseline"), needs_run=True),
    case("distill-unknown-term-symbol", "distill {run} --terms z*q", "library term 'z*q'", "unknown symbol 'z'",
         needs_run=True),
    case("distill-constant-term", "distill {run} --terms cos(q),2", "library term '2'", "a constant value",
         needs_run=True),
    case("distill-degree-too-high", "distill {run} --degree 9", "degree must be an integer in 0..8", needs_run=True),
    case("distill-tolerance-above-1", "distill {run} --tolerance 1.5", "--tolerance must be in [0, 1)",
         needs_run=True),
    case("distill-noise-negative", "distill {run} --noise -0.1", "--noise must be a non-negative", needs_run=True),
    case("distill-pairwise-uneven", "distill {run} --pairwise 3", "not bodies of 3 coordinates", needs_run=True),
    case("distill-data-option-with-run", "distill {run} --coords q", "--coords describes a --data file",
         needs_run=True),
    case("distill-out-under-a-file", "distill {run} --out {d}/x.csv/report", "is a file, not a directory",
         prepare=user_files, needs_run=True),
    # hamnet export: the format, the dtype, the check's size, where it goes, and runs it cannot take.
    case("export-unknown-format", "export {run} --format tflite", "unknown export format 'tflite'", "onnx, pt2",
         needs_run=True),
    case("export-unknown-dtype", "export {run} --dtype float16 --format pt2", "unknown dtype 'float16'",
         needs_run=True),
    case("export-no-check-states", "export {run} --states 0", "--states must be", needs_run=True),
    case("export-negative-seed", "export {run} --seed -1", "seed", needs_run=True),
    case("export-out-under-a-file", "export {run} --format pt2 --out {d}/x.csv/field.pt2", "is a file, not a directory",
         prepare=user_files, needs_run=True),
    case("export-pixel-run", "export {run} --format pt2", "learned from frames", "export takes state-space runs",
         prepare=pixel_config, needs_run=True),
    case("simulate-caret", "simulate --hamiltonian q^2 --out {d}/s.npz", "use ** for powers"),
    case("simulate-tuple", "simulate --hamiltonian (q,p) --out {d}/s.npz", "tuple"),
    case("simulate-box-one-number", "simulate --hamiltonian q --box 1 --out {d}/s.npz", "--box must be two numbers"),
    case("simulate-box-reversed", "simulate --hamiltonian q --box 2,1 --out {d}/s.npz", "low end must be below"),
    case("simulate-out-txt", "simulate --hamiltonian q --out {d}/s.txt", "write a .npz or .csv file"),
    case("simulate-one-point", "simulate --hamiltonian q --points 1 --out {d}/s.npz", "--points must be at least 2"),
    case("simulate-negative-noise", "simulate --hamiltonian q --noise -1 --out {d}/s.npz",
         "--noise must be a non-negative"),
    case("simulate-unpaired-names", "simulate --hamiltonian p**2 --coords q1,q2 --momenta p --out {d}/s.npz",
         "2 coordinates", "1 momenta"),
    case("simulate-blow-up", "simulate --hamiltonian p**2/2-q**4 --box 1,2 --out {d}/s.npz",
         "diverge (leave the finite numbers"),
    case("train-data-reference", f"train --data {{d}}/x.csv --reference truth {TO_RUN}",
         "--reference must be one of samples, flow", prepare=user_files),
    case("train-data-flow-without-energy", f"train --data {{d}}/x.csv --reference flow {TO_RUN}",
         "needs a known energy", prepare=user_files),
    case("train-data-is-a-folder", f"train --data {{d}}/folder {TO_RUN}", "is not a file", prepare=mkdir("folder")),
    case("train-data-empty-coords", f"train --data {{d}}/x.csv --coords q, --momenta p {TO_RUN}",
         "--coords must be comma-separated names", prepare=user_files),
    case("train-chain-links", f"train --task pendulum-chain:0 {TO_RUN}", "number of links N from 1 to 20"),
    case("train-cartesian-chain-links", f"train --task chain-pendulum:x {TO_RUN}", "chain-pendulum:N needs a number"),
    case("train-chnn-without-constraints", "train --task spring --model chnn --out {d}/run",
         "the 'chnn' model imposes constraints, and task 'spring' has none"),
    case("reproduce-data-and-tasks", "reproduce --data {d}/x.csv --tasks spring --out {d}/out",
         "pass --tasks or --data, not both", prepare=user_files),
    case("reproduce-data-missing", "reproduce --data {d}/none.csv --out {d}/out", "trajectory file", "does not exist"),
    case("reproduce-hamiltonian-without-data", "reproduce --hamiltonian q --out {d}/out",
         "--hamiltonian describes a --data file"),
    case("simulate-zero-trajectories", "simulate --hamiltonian q --trajectories 0 --out {d}/s.npz",
         "--trajectories must be positive"),
    case("simulate-t-end-negative", "simulate --hamiltonian q --t-end -1 --out {d}/s.npz",
         "--t-end must be a positive number"),
    case("simulate-energy-reversed", "simulate --hamiltonian q --energy 2,1 --out {d}/s.npz", "E1 < E2"),
    case("simulate-energy-one-number", "simulate --hamiltonian q --energy 1 --out {d}/s.npz",
         "--energy must be two numbers"),
    case("simulate-seed-negative", "simulate --hamiltonian q --seed -1 --out {d}/s.npz",
         "--seed must be a non-negative integer"),
    case("simulate-missing-hamiltonian", "simulate --out {d}/s.npz", "Missing option", "--hamiltonian"),
    case("simulate-out-under-a-file", "simulate --hamiltonian q --out {d}/blocker/s.npz", "cannot write",
         prepare=user_files),
]


def snapshot(root: Path) -> Snapshot:
    """Every path under `root` and itself (hidden ones too): files with size and mtime, folders
    by name only (a folder's mtime changes when a command takes and drops its lock file in it)."""
    found: Snapshot = {(".", "dir")} if root.is_dir() else set()
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found.add((os.path.relpath(os.path.join(folder, name), root), "dir"))
        for name in files:
            stat = os.lstat(os.path.join(folder, name))
            found.add((os.path.relpath(os.path.join(folder, name), root), stat.st_size, stat.st_mtime_ns))
    return found


Outcome = tuple[subprocess.CompletedProcess, Snapshot, Snapshot]


def _run_case(case: Case, case_dir: Path, trained: cf.Future, cli: ForkedCli) -> Outcome:
    """Set up the case's directory, run its command line there. -> (result, before, after)."""
    case_dir.mkdir()
    if case.needs_run:
        shutil.copytree(trained.result(), case_dir / "run")
    elif case.needs_data:
        trained.result()
    if case.prepare is not None:
        case.prepare(case_dir)
    args = [arg.format(d=case_dir, run=case_dir / "run") for arg in case.args]
    before = snapshot(case_dir)
    result = cli.run(*args, cwd=case_dir)
    return result, before, snapshot(case_dir)


def _train_tiny_run(root: Path) -> Path:
    out = root / "trained" / "spring-hnn"
    result = run_cli("train", "--task", "spring", "--model", "hnn", "--out", str(out), "--steps", "20")
    assert result.returncode == 0, result.stderr
    return out


def _skipped(case: Case) -> bool:
    return any(mark.name == "skipif" and mark.args[0] for mark in case.marks)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, cf.Future]]:
    """Launch every case at once (the trained run first: some cases copy it or need its
    cached data); -> the future outcome of each case by id, and of the run by "trained-run"."""
    root = tmp_path_factory.mktemp("bad_inputs")
    workers = os.cpu_count() or 2
    cli = ForkedCli(parents=workers)
    with cf.ThreadPoolExecutor(max_workers=workers) as pool:
        trained = pool.submit(_train_tiny_run, root)
        futures: dict[str, cf.Future] = {"trained-run": trained}
        for case in sorted((c for c in CASES if not _skipped(c)), key=lambda c: c.needs_run or c.needs_data):
            futures[case.id] = pool.submit(_run_case, case, root / case.id, trained, cli)
        yield futures
    cli.close()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input(case: Case, corpus: dict[str, cf.Future]) -> None:
    result, before, after = corpus[case.id].result()
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert_one_line_error(result, *case.fragments)
    assert after == before, f"left behind: {sorted(after - before)}; removed/changed: {sorted(before - after)}"


# --- The Python API -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_run(corpus: dict[str, cf.Future]) -> Path:
    return corpus["trained-run"].result()


@pytest.fixture(scope="module")
def field2():
    """A (dim 2) model's vector field."""
    return hamnet.models.build("hnn", 2, (16, 16), generator=torch.Generator().manual_seed(0)).time_derivative


X0 = torch.zeros(3, 2)
T = torch.linspace(0, 1, 5)


@pytest.mark.parametrize("x0,t,options,fragment", [
    (torch.zeros(5, 3), T, {}, "x0"),
    (torch.zeros(5, 1), T, {}, "x0"),
    (torch.zeros(2), T, {}, "x0"),
    (torch.zeros(1, 3, 2), T, {}, "x0"),
    (torch.zeros(0, 2), T, {}, "x0"),
    (torch.zeros(3, 2, dtype=torch.int64), T, {}, "x0"),
    (torch.tensor([[0.0, float("nan")]]), T, {}, "x0"),
    (torch.tensor([[0.0, float("inf")]]), T, {}, "x0"),
    ([[0.0, 0.0]], T, {}, "x0"),
    (X0, torch.tensor([0.0, 1.0, 1.0, 2.0]), {}, "t must be strictly increasing"),
    (X0, torch.tensor([1.0, 0.0]), {}, "t must be strictly increasing"),
    (X0, torch.arange(5), {}, "t must hold floating-point"),
    (X0, torch.zeros(2, 3), {}, "t must have shape"),
    (X0, torch.zeros(0), {}, "t must have shape"),
    (X0, torch.tensor([0.0, float("nan"), 1.0]), {}, "t must hold finite"),
    (X0, T, {"method": "rk45"}, "unknown integrator 'rk45'"),
    (X0, T, {"method": "rk4", "step_size": 0.0}, "step_size"),
    (X0, T, {"method": "rk4", "step_size": -0.1}, "step_size"),
    (X0, T, {"method": "euler", "step_size": float("nan")}, "step_size"),
    (X0, T, {"rtol": -1.0}, "rtol"),
    (X0, T, {"atol": float("nan")}, "atol"),
    (X0, T, {"rtol": 0.0, "atol": 0.0}, "rtol and atol"),
    (X0, T, {"method": "leapfrog"}, "leapfrog needs a separable field"),
    (X0, T, {"method": "yoshida4"}, "yoshida4 needs a separable field"),
], ids=["x0-wider-than-field", "x0-narrower-than-field", "x0-1d", "x0-3d", "x0-empty", "x0-int", "x0-nan",
        "x0-inf", "x0-list", "t-repeats", "t-decreasing", "t-int", "t-2d", "t-empty", "t-nan", "unknown-method",
        "step-size-0", "step-size-negative", "step-size-nan", "rtol-negative", "atol-nan", "tolerances-0",
        "leapfrog-not-separable", "yoshida4-not-separable"])
def test_rollout_misuse(field2, x0, t, options, fragment) -> None:
    with pytest.raises(HamnetError, match=fragment.replace("(", r"\(")):
        hamnet.rollout(field2, x0, t, **options)


@pytest.mark.parametrize("damage,fragment", [
    (lambda d: shutil.rmtree(d), "does not exist"),
    (lambda d: (d / "config.json").unlink(), "config.json is missing"),
    (lambda d: (d / "config.json").write_text("[]"), "config.json is corrupt"),
    (lambda d: edit_config(model="baseline")(d.parent), "does not fit the baseline model"),
    (lambda d: edit_config(hidden=[100, 100])(d.parent), "size mismatch"),
    (lambda d: (d / "model.safetensors").write_bytes(GARBAGE), "model.safetensors is corrupt"),
    (lambda d: (d / "model.safetensors").write_bytes(b""), "model.safetensors is corrupt"),
], ids=["no-dir", "no-config", "config-list", "model-mismatch", "hidden-changed", "weights-garbage",
        "weights-empty"])
def test_load_damaged_run(tmp_path, trained_run, damage, fragment) -> None:
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    damage(run)
    with pytest.raises(RunDirectoryError, match=fragment):
        hamnet.load(run)


# --- Data files, in-process -----------------------------------------------------------------

def test_trial_column_must_be_finite(tmp_path) -> None:
    with pytest.raises(DataFileError, match="line 12: non-finite"):
        parse_real_pendulum(write_series(tmp_path, replace_row(10, trial="nan")))


def test_derivative_beyond_float32_is_refused(tmp_path) -> None:
    write_series(tmp_path, replace_row(10, o="3e38"))  # a value in range, its change per second not
    with pytest.raises(DataFileError, match="line 11: the estimated time derivative"):
        real_pendulum_dataset(hamnet.systems.get("real-pendulum"), None, 0, tmp_path)


def test_derivative_over_a_tiny_time_step_is_refused(tmp_path) -> None:
    rows = [f"0 {i * 1e-300!r} {0.1 * i} 0" for i in range(20)]
    write_series(tmp_path, rows)
    with pytest.raises(DataFileError, match="line 2: the estimated time derivative"):
        real_pendulum_dataset(hamnet.systems.get("real-pendulum"), None, 0, tmp_path)


def test_data_dir_that_is_a_file(tmp_path) -> None:
    (tmp_path / "data").write_text("x")
    with pytest.raises(DataFileError, match="--data-dir .* is not a directory"):
        find_data_file(tmp_path / "data")


# --- Failed runs leave nothing; configs are checked field by field --------------------------

def test_diverged_run_leaves_an_existing_empty_dir_empty(tmp_path, trained_run) -> None:
    (tmp_path / "run").mkdir()
    with pytest.raises(TrainingDivergedError):
        train_run(RunConfig.for_task("spring", "baseline", steps=30, lr=1e20), tmp_path / "run", show_progress=False)
    assert [p.name for p in (tmp_path / "run").iterdir()] == []


def test_diverged_run_leaves_no_parent_dirs(tmp_path, trained_run) -> None:
    with pytest.raises(TrainingDivergedError):
        train_run(RunConfig.for_task("spring", "baseline", steps=30, lr=1e20), tmp_path / "a" / "b" / "run",
                  show_progress=False)
    assert not (tmp_path / "a").exists()


def test_absurd_steps_are_refused() -> None:
    with pytest.raises(HamnetError):
        RunConfig.for_task("spring", "hnn", steps=10**20)


def test_negative_seed_is_refused() -> None:
    with pytest.raises(HamnetError):
        RunConfig.for_task("spring", "hnn", seed=-1)


def test_evaluate_config_with_unknown_protocol_field(tmp_path, trained_run) -> None:
    shutil.copytree(trained_run, tmp_path / "run")
    edit_config(protocol={"colour": "red"})(tmp_path)
    with pytest.raises(HamnetError):
        evaluate_run(tmp_path / "run")


def test_load_config_with_negative_hidden_size(tmp_path, trained_run) -> None:
    shutil.copytree(trained_run, tmp_path / "run")
    edit_config(hidden=[-5, 200])(tmp_path)
    with pytest.raises(RunDirectoryError):
        hamnet.load(tmp_path / "run")


def test_run_dir_that_is_a_file(tmp_path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirectoryError, match="not a directory"):
        hamnet.load(tmp_path / "file")


@pytest.mark.parametrize("arguments,fragment", [
    (["{missing}"], "does not exist"),
    (["{run}"], "has no keypoint encoder"),
    (["{run}", "--gain", "0"], "--gain must be a positive number"),
    (["{run}", "--gain", "nan"], "--gain must be a positive number"),
])
def test_keypoint_error_script_refuses_in_one_line(tmp_path, trained_run, arguments, fragment,
                                                    monkeypatch, capsys) -> None:
    arguments = [a.format(missing=tmp_path / "nothing", run=trained_run) for a in arguments]
    assert_one_line_error(run_script("keypoint_error.py", arguments, monkeypatch, capsys), fragment)


def run_script(script: str, arguments: list[str], monkeypatch, capsys) -> subprocess.CompletedProcess:
    """Run scripts/`script` as `python script arguments` would, in this process (no second
    start of torch), -> its exit code and output."""
    monkeypatch.setattr(sys, "argv", [script, *arguments])
    try:
        runpy.run_path(str(Path(__file__).parents[1] / "scripts" / script), run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess([script, *arguments], code, out, err)


def _script_case(tmp_path: Path, run: Path, arguments: list[str]) -> list[str]:
    """A script's arguments with {missing}, {run}, {junk} (a results.json that is not JSON)
    and {empty} (a README without markers) filled in."""
    (tmp_path / "junk").mkdir(exist_ok=True)
    (tmp_path / "junk" / "results.json").write_text("{", encoding="utf-8")
    (tmp_path / "README.md").write_text("no markers\n", encoding="utf-8")
    (tmp_path / "page.md").write_text("## Results\n", encoding="utf-8")
    return [a.format(missing=tmp_path / "nothing", run=run, junk=tmp_path / "junk", page=tmp_path / "page.md")
            for a in arguments]


@pytest.mark.parametrize("script,arguments,fragment", [
    ("orbit_radius.py", ["{missing}"], "does not exist"),
    ("orbit_radius.py", ["{run}"], "is no pixel task of bodies"),
    ("orbit_radius.py", ["{run}", "--bound", "nan"], "--bound must be a positive number"),
    ("compare_results.py", ["{missing}", "{junk}"], "cannot be read"),
    ("compare_results.py", ["{junk}", "{junk}"], "not JSON"),
    ("compare_results.py", ["{junk}", "{junk}", "--names", "one"], "--names needs two names"),
    ("distill_study.py", ["--noise", "-1", "--out", "{missing}"], "--noise must be a non-negative number"),
    ("distill_study.py", ["--systems", "lorenz", "--out", "{missing}"], "unknown system 'lorenz'"),
    ("splice_results.py", ["{missing}"], "cannot be read"),
    ("splice_results.py", ["{page}"], "README.md has no <!-- results:begin -->"),
    ("splice_results.py", ["--page", "{missing}", "{page}"], "cannot be read"),
    ("splice_results.py", ["--page", "{page}", "--block", "tuned", "{page}"],
     "page.md has no <!-- results:tuned:begin -->"),
    ("splice_results.py", ["--block", "headline", "--section", "Energy MSE", "{page}"],
     "has no section '### Energy MSE'"),
])
def test_scripts_refuse_in_one_line(tmp_path, trained_run, script, arguments, fragment, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    arguments = _script_case(tmp_path, trained_run, arguments)
    assert_one_line_error(run_script(script, arguments, monkeypatch, capsys), fragment)
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "no markers\n"  # nothing half-written
