"""A training step replayed as one CUDA graph, so a GPU step pays no launch or Python overhead.

`StepRunner(step, graph)` calls `step(*inputs) -> Tensor` once per training step. With no
graph (the CPU, batches whose shape changes) every call is eager. With a graph, the first
`WARMUP` calls run eagerly through `graph.warm_up` (CUDA wants this: they create Adam's
state and autograd's buffers outside the capture), the next one copies its inputs into
static buffers and captures `step` reading them, and from then on each call copies its
inputs into those buffers and replays: forward, double backward and Adam in one launch.
A replay's output is the graph's own tensor, overwritten by the next replay.

The CUDA part is `CudaGraph`, a thin wrapper of `torch.cuda.CUDAGraph`; `EagerGraph` has
the same semantics on any device (capture records without running, replay runs), so
everything but the capture itself runs and is tested on the CPU. A capture that fails
(an operation CUDA cannot capture) leaves the runner eager, with one line on stderr.
"""

from __future__ import annotations

import sys
from typing import Callable, Protocol

import torch
from torch import Tensor

#: Eager calls before the capture.
WARMUP = 3

Step = Callable[..., Tensor]


class Graph(Protocol):
    """What `StepRunner` needs of a graph: eager warm-up calls, one capture, replays."""

    def warm_up(self, call: Callable[[], Tensor]) -> Tensor: ...

    def capture(self, call: Callable[[], Tensor]) -> None: ...

    def replay(self) -> Tensor: ...


class CudaGraph:
    """`torch.cuda.CUDAGraph`: warm-up calls on a side stream, one capture, replays."""

    def __init__(self) -> None:
        self.graph, self.stream = torch.cuda.CUDAGraph(), torch.cuda.Stream()
        self.output: Tensor | None = None

    def warm_up(self, call: Callable[[], Tensor]) -> Tensor:
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            output = call()
        torch.cuda.current_stream().wait_stream(self.stream)
        return output

    def capture(self, call: Callable[[], Tensor]) -> None:
        with torch.cuda.graph(self.graph):
            self.output = call()

    def replay(self) -> Tensor:
        self.graph.replay()
        assert self.output is not None, "replay before capture"
        return self.output


class EagerGraph:
    """A graph's semantics without CUDA: `capture` records the call, `replay` runs it."""

    def __init__(self) -> None:
        self.call: Callable[[], Tensor] | None = None

    def warm_up(self, call: Callable[[], Tensor]) -> Tensor:
        return call()

    def capture(self, call: Callable[[], Tensor]) -> None:
        self.call = call

    def replay(self) -> Tensor:
        assert self.call is not None, "replay before capture"
        return self.call()


def graph_for(device: str, fixed_shapes: bool) -> Graph | None:
    """The graph a training step on `device` is replayed with: a CUDA graph on a CUDA device
    when every step's inputs have one shape, else None (eager)."""
    return CudaGraph() if device.startswith("cuda") and fixed_shapes else None


class StepRunner:
    """Calls `step(*inputs)`: eagerly, or replayed through `graph` after `warmup` eager calls.

    Every call's inputs must have the first replayed call's shapes and dtypes.
    """

    def __init__(self, step: Step, graph: Graph | None, warmup: int = WARMUP):
        self.step, self.graph, self.warmup = step, graph, warmup
        self.calls = 0
        self.static: tuple[Tensor, ...] | None = None

    @property
    def replaying(self) -> bool:
        """Whether the step has been captured and calls now replay it."""
        return self.graph is not None and self.static is not None

    def __call__(self, *inputs: Tensor) -> Tensor:
        if self.graph is None:
            return self.step(*inputs)
        self.calls += 1
        if self.calls <= self.warmup:
            return self.graph.warm_up(lambda: self.step(*inputs))
        if self.static is None:
            return self._capture(inputs)
        for buffer, value in zip(self.static, inputs):
            buffer.copy_(value)
        return self.graph.replay()

    def _capture(self, inputs: tuple[Tensor, ...]) -> Tensor:
        assert self.graph is not None
        static = tuple(t.clone() for t in inputs)
        try:
            self.graph.capture(lambda: self.step(*static))
        except RuntimeError as error:  # an op CUDA cannot capture: stay eager
            print(f"note: training step not captured as a CUDA graph ({str(error).splitlines()[0]}); "
                  "running it eagerly", file=sys.stderr)
            self.graph = None
            return self.step(*inputs)
        self.static = static
        return self.graph.replay()
