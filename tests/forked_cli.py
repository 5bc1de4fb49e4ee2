"""Command lines run in processes forked from a warm parent, for the bad-input corpus.

Starting Python and importing PyTorch take ~1.3 s of the ~1.5 s most bad command lines
cost. A `ForkedCli` starts a few parent processes that import hamnet (PyTorch, Matplotlib,
SymPy, the CLI) once and never run a tensor operation, so they hold no threads; each
command line then runs `hamnet.cli.main()` in a fresh process forked from one of them,
with its own working directory, stdin from /dev/null and stdout/stderr to files. The
child is a real process: its exit code, its files and any traceback are its own.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PARENT = r"""
import json, os, sys, traceback
os.environ["CI"] = "true"
import torch, sympy, matplotlib.pyplot  # the costly imports, once
import hamnet.cli, hamnet.pipeline, hamnet.simulate, hamnet.sweeps.run
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(request["cwd"])
            for fd, name, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_CREAT),
                                    (2, request["stderr"], os.O_WRONLY | os.O_CREAT)):
                os.dup2(os.open(name, flags, 0o600), fd)
            sys.argv = ["hamnet", *request["args"]]
            try:
                hamnet.cli.main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps(os.waitstatus_to_exitcode(status)), flush=True)
"""


class ForkedCli:
    """`run(*args, cwd=)` -> a `subprocess.CompletedProcess`, like `conftest.run_cli`; up to
    `parents` command lines at once (one per parent process)."""

    def __init__(self, parents: int):
        self._folder = Path(tempfile.mkdtemp(prefix="hamnet-forked-cli-"))
        self._parents: queue.Queue = queue.Queue()
        for _ in range(parents):
            self._parents.put(subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE,
                                               stdout=subprocess.PIPE, text=True, env=dict(os.environ, CI="true")))
        self._numbers = itertools.count()

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        parent = self._parents.get()
        try:
            number = next(self._numbers)
            out, err = self._folder / f"{number}.out", self._folder / f"{number}.err"
            parent.stdin.write(json.dumps({"args": list(args), "cwd": str(cwd), "stdout": str(out),
                                           "stderr": str(err)}) + "\n")
            parent.stdin.flush()
            code = json.loads(parent.stdout.readline())
        finally:
            self._parents.put(parent)
        return subprocess.CompletedProcess(["hamnet", *args], code, out.read_text(), err.read_text())

    def close(self) -> None:
        while not self._parents.empty():
            parent = self._parents.get()
            parent.stdin.close()
            parent.wait(timeout=60)
        shutil.rmtree(self._folder, ignore_errors=True)
