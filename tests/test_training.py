"""Training: determinism, resume after interruption, divergence detection."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import hamnet
from hamnet.errors import InvalidValueError, TrainingDivergedError
from hamnet.runs import CHECKPOINT, RunConfig, evaluate_run, train_run
from hamnet.train import TrainSettings, flush_denormals, flushing_denormals, train


def small_config(model: str = "hnn", steps: int = 120) -> RunConfig:
    config = RunConfig.for_task("spring", model, seed=0, steps=steps)
    return dataclasses.replace(config, train=dataclasses.replace(config.train, eval_every=40,
                                                                 checkpoint_every=50))


class Interrupt(Exception):
    pass


def test_same_seed_gives_identical_metrics(tmp_path) -> None:
    config = small_config()
    train_run(config, tmp_path / "a", show_progress=False)
    train_run(config, tmp_path / "b", show_progress=False)
    a, b = evaluate_run(tmp_path / "a"), evaluate_run(tmp_path / "b")
    a.pop("train_seconds"), b.pop("train_seconds")
    assert a == b


@pytest.mark.parametrize("model", ["baseline", "hnn"])
def test_resume_after_interruption_gives_identical_weights(tmp_path, model: str) -> None:
    config = small_config(model, steps=130)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=100))
    reference, _ = train_run(config, tmp_path / "full", show_progress=False)

    def stop_at_70(step: int) -> None:
        if step == 70:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_run(config, tmp_path / "cut", show_progress=False, on_step=stop_at_70)
    assert (tmp_path / "cut" / CHECKPOINT).exists()
    resumed, history = train_run(config, tmp_path / "cut", resume=True, show_progress=False)
    for p, q in zip(reference.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(p, q)
    assert len(history.train_loss) == 130
    assert not (tmp_path / "cut" / CHECKPOINT).exists()


def test_divergence_names_the_step() -> None:
    config = small_config("baseline")
    data = config.dataset()
    model = config.build_model()
    with pytest.raises(TrainingDivergedError, match=r"at step \d+"):
        train(model, data.train_tensors(), data.test_tensors(),
              TrainSettings(steps=40, lr=1e20, eval_every=10), seed=0, show_progress=False)


def test_invalid_settings() -> None:
    with pytest.raises(InvalidValueError, match="steps"):
        TrainSettings(steps=0).validate()
    with pytest.raises(InvalidValueError, match="steps"):
        RunConfig.for_task("spring", "hnn", steps=-5)


def test_training_reduces_loss() -> None:
    config = small_config("hnn", steps=200)
    data = config.dataset()
    model = config.build_model()
    history = train(model, data.train_tensors(), data.test_tensors(),
                    config.train, seed=0, show_progress=False)
    assert history.train_loss[-1] < 0.2 * history.train_loss[0]
    assert history.eval_steps[-1] == 200 and len(history.test_loss) == len(history.eval_steps)
    assert hamnet.metrics.loss_estimates(model, data.test_tensors())["loss"].mean < 0.06


def test_runs_trained_together_match_one_by_one_and_are_deterministic(tmp_path) -> None:
    from hamnet.runs import train_runs

    configs = [dataclasses.replace(small_config("hnn", steps=60), seed=seed) for seed in (0, 1)]
    configs = [dataclasses.replace(c, train=dataclasses.replace(c.train, batch_size=128)) for c in configs]
    alone = [train_run(c, tmp_path / f"alone{c.seed}", show_progress=False)[0] for c in configs]
    together = train_runs(configs, [tmp_path / f"together{c.seed}" for c in configs], show_progress=False)
    again = train_runs(configs, [tmp_path / f"again{c.seed}" for c in configs], show_progress=False)
    for single, (stacked, history), (repeat, _) in zip(alone, together, again):
        assert len(history.train_loss) == 60
        for p, q, r in zip(single.state_dict().values(), stacked.state_dict().values(), repeat.state_dict().values()):
            torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-6)
            assert torch.equal(q, r)
    a, b = evaluate_run(tmp_path / "alone1"), evaluate_run(tmp_path / "together1")
    assert abs(a["test_loss"] / b["test_loss"] - 1) < 1e-3


def test_runs_trained_together_name_the_diverging_run() -> None:
    from hamnet.train_many import train_many

    config = small_config("baseline")
    data = config.dataset()
    models = [config.build_model() for _ in range(2)]
    with pytest.raises(TrainingDivergedError, match=r"batch seed 7.*at step \d+"):
        train_many(models, [data.train_tensors()] * 2, [data.test_tensors()] * 2,
                   TrainSettings(steps=40, lr=1e20, eval_every=10), seeds=[7, 8], show_progress=False)


@pytest.mark.parametrize("before", [False, True])
def test_flush_denormals_flushes_and_restores_the_previous_setting(before: bool) -> None:
    torch.set_flush_denormal(before)
    try:
        assert flushing_denormals() == before
        with flush_denormals():
            assert flushing_denormals()
            assert float(torch.tensor(2e-38) * 0.25) == 0.0
        assert flushing_denormals() == before
    finally:
        torch.set_flush_denormal(False)
