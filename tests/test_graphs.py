"""The training step replayed as a graph (`hamnet.training.graphs`).

A CUDA graph cannot be made on the CPU, so the loop is run here with `EagerGraph`, which
has a CUDA graph's semantics (capture records without running; each replay runs what was
captured, reading the static input buffers). Everything a GPU run does apart from the
capture itself (warm-up calls, static buffers refilled each step, the replayed step's
output copied out, Adam with its step count on the device) then runs on the CPU, and must
train exactly as the eager loop does: the same operations in the same order.
"""

from __future__ import annotations

import pytest
import torch

from hamnet.models import build
from hamnet.training import BatchSampler, TrainSettings, train
from hamnet.training import loop as loop_module
from hamnet.training.graphs import WARMUP, EagerGraph, StepRunner, graph_for


class CountingGraph(EagerGraph):
    """`EagerGraph` counting its captures and replays."""

    def __init__(self) -> None:
        super().__init__()
        self.captures = self.replays = 0

    def capture(self, call):  # noqa: ANN001
        self.captures += 1
        super().capture(call)

    def replay(self) -> torch.Tensor:
        self.replays += 1
        return super().replay()


def spring_data(seed: int, n: int = 96) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=generator)
    return x, torch.stack([x[:, 1], -x[:, 0]], dim=1)


def trained(runs: int, settings: TrainSettings, graphs: bool) -> tuple[list[torch.Tensor], list]:
    models = [build("hnn", 2, (16, 16), generator=torch.Generator().manual_seed(r)) for r in range(runs)]
    histories = train(models, [spring_data(r) for r in range(runs)], [spring_data(10 + r) for r in range(runs)],
                      settings, list(range(runs)), show_progress=False, graphs=graphs)
    return [torch.cat([p.detach().flatten() for p in m.parameters()]) for m in models], histories


@pytest.mark.parametrize("runs", [1, 2])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_a_replayed_step_trains_exactly_as_the_eager_loop(monkeypatch: pytest.MonkeyPatch, runs: int,
                                                          batch_size: int | None) -> None:
    """Full batch and random batches, one run and a stack of two: the weights and every
    loss bit-identical, and all steps after the warm-up and the capture are replays."""
    graphs: list[CountingGraph] = []

    def counting_graph(device: str, fixed_shapes: bool) -> CountingGraph:
        graphs.append(CountingGraph())
        return graphs[-1]

    settings = TrainSettings(steps=12, batch_size=batch_size, eval_every=5)
    eager_weights, eager_histories = trained(runs, settings, graphs=False)
    assert not graphs
    monkeypatch.setattr(loop_module, "graph_for", counting_graph)
    replayed_weights, replayed_histories = trained(runs, settings, graphs=True)
    assert len(graphs) == 1 and graphs[0].captures == 1 and graphs[0].replays == settings.steps - WARMUP
    for eager, replayed in zip(eager_weights, replayed_weights):
        assert torch.equal(eager, replayed)
    for eager, replayed in zip(eager_histories, replayed_histories):
        assert eager.train_loss == replayed.train_loss and eager.test_loss == replayed.test_loss


def test_the_runner_refills_its_static_inputs_before_every_replay() -> None:
    """A captured call reads the buffers, not the arguments of the call it was captured in."""
    calls: list[float] = []

    def step(x: torch.Tensor) -> torch.Tensor:
        calls.append(float(x))
        return x * 2

    graph = CountingGraph()
    runner = StepRunner(step, graph, warmup=2)
    outputs = [float(runner(torch.tensor(float(k)))) for k in range(6)]
    assert outputs == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert calls == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # the capture itself ran nothing
    assert runner.replaying and graph.captures == 1 and graph.replays == 4


def test_a_capture_that_fails_leaves_the_step_eager(capsys: pytest.CaptureFixture[str]) -> None:
    class Uncapturable(EagerGraph):
        def capture(self, call):  # noqa: ANN001
            raise RuntimeError("operation not permitted when stream is capturing\nmore detail")

    runner = StepRunner(lambda x: x + 1, Uncapturable(), warmup=1)
    assert [float(runner(torch.tensor(float(k)))) for k in range(4)] == [1.0, 2.0, 3.0, 4.0]
    assert not runner.replaying
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not captured" in err and "operation not permitted" in err


def test_graphs_are_made_only_for_cuda_and_fixed_batch_shapes() -> None:
    assert graph_for("cpu", True) is None
    assert graph_for("cuda", False) is None
    generator = torch.Generator()
    assert BatchSampler(100, None, generator).fixed_size
    assert BatchSampler(100, 30, generator).fixed_size  # random: always 30
    assert BatchSampler(100, 25, generator, "sequential").fixed_size
    assert not BatchSampler(100, 30, generator, "sequential").fixed_size  # a slice of 10 at the end


def test_sequential_slices_of_changing_size_are_not_replayed(monkeypatch: pytest.MonkeyPatch) -> None:
    """graph_for is asked with fixed_shapes False, so the real one gives no graph anywhere."""
    asked: list[bool] = []
    monkeypatch.setattr(loop_module, "graph_for", lambda device, fixed: asked.append(fixed))
    settings = TrainSettings(steps=3, batch_size=40, batch_order="sequential")
    trained(1, settings, graphs=True)
    assert asked == [False]
