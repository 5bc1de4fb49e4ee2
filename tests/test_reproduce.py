"""A tiny end-to-end `reproduce`: every record has the fields outside tools rely on."""

from __future__ import annotations

import csv
import json

from hamnet.report import render_markdown
from hamnet.reproduce import reproduce

REQUIRED = ["task", "model", "seed", "train_loss", "train_loss_se", "test_loss", "test_loss_se",
            "energy_mse", "energy_mse_se", "train_seconds", "paper_test_loss", "paper_energy_mse"]


def test_tiny_reproduce(tmp_path) -> None:
    records = reproduce(["spring"], "quick", seeds=2, out_dir=tmp_path, steps=30, show_progress=False)
    assert [(r["model"], r["seed"]) for r in records] == [("baseline", 0), ("baseline", 1), ("hnn", 0), ("hnn", 1)]
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved == json.loads(json.dumps(records))
    for record in saved:
        assert all(key in record for key in REQUIRED)
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert len(rows) == 4 and float(rows[0]["test_loss"]) == saved[0]["test_loss"]
    markdown = (tmp_path / "results.md").read_text()
    assert "| spring |" in markdown and "Quick preset: a smoke test" in markdown.split("###")[0]
    assert "(paper)" not in markdown and "3.593e-02" not in markdown  # no paper numbers, no ratios
    full = render_markdown(saved, reference="paper")
    assert "3.593e-02" in full and "ours/paper" in full  # the paper's HNN test loss beside ours
    assert (tmp_path / "figures" / "spring-vector_field.png").exists()
    assert (tmp_path / "figures" / "spring-rollouts.png").exists()
    assert (tmp_path / "runs" / "spring-hnn-seed1" / "rollouts.safetensors").exists()


def test_results_do_not_depend_on_the_number_of_jobs(tmp_path) -> None:
    one = reproduce(["spring"], "quick", seeds=1, out_dir=tmp_path / "one", steps=30, show_progress=False, jobs=1)
    two = reproduce(["spring"], "quick", seeds=1, out_dir=tmp_path / "two", steps=30, show_progress=False, jobs=2)
    drop = {"train_seconds"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in one] == \
        [{k: v for k, v in r.items() if k not in drop} for r in two]


def test_a_registered_model_reaches_reproduce_the_tables_and_the_figures(tmp_path, monkeypatch) -> None:
    """A model is one class plus one registry line: reproduce, results.md and the figures
    take its name, title and colour from the registry."""
    from hamnet import models
    from hamnet.models.baseline import Baseline
    from hamnet.figure_files import color_of

    class Toy(Baseline):
        kind, title, color = "toy", "Toy MLP", "tab:green"

    monkeypatch.setitem(models._REGISTRY, Toy.kind, Toy)
    records = reproduce(["spring"], "quick", seeds=1, out_dir=tmp_path, steps=20, show_progress=False, jobs=1,
                        models=["toy", "hnn"])
    assert [r["model"] for r in records] == ["toy", "hnn"]
    markdown = (tmp_path / "results.md").read_text()
    assert "| task | HNN | Toy MLP |" in markdown  # registry order, registry titles
    assert color_of("toy") == "tab:green" and (tmp_path / "runs" / "spring-toy-seed0" / "metrics.json").exists()


def test_presets_name_their_tasks_seeds_and_published_numbers(tmp_path) -> None:
    """`dhnn-paper` runs the D-HNN paper's protocol on the real pendulum with its three
    models and 5 seeds by default, and sets that paper's numbers beside ours; `dissipative`
    compares the same three models on two damped tasks, with no published numbers."""
    import pytest

    from hamnet import experiments
    from hamnet.data.real_pendulum import find_data_file
    from hamnet.errors import DataFileError

    dhnn = experiments.preset("dhnn-paper")
    assert dhnn.seeds == 5 and experiments.tasks("dhnn-paper") == ["real-pendulum"]
    assert experiments.get("real-pendulum", "dhnn-paper").models == ("baseline", "hnn", "dhnn")
    assert experiments.tasks("dissipative") == ["real-pendulum", "damped-spring"]
    assert experiments.get("real-pendulum", "dissipative").recipe == {"derivative": "central"}
    try:
        find_data_file()
    except DataFileError as exc:
        pytest.skip(f"needs the measured series: {exc}")
    records = reproduce(None, "dhnn-paper", seeds=1, out_dir=tmp_path, steps=10, show_progress=False, jobs=1)
    assert [r["model"] for r in records] == ["baseline", "hnn", "dhnn"]
    assert records[2]["paper_energy_mse"] == 1.07e-3 and records[1]["paper_test_loss"] == 1.40e-3
    config = json.loads((tmp_path / "runs" / "real-pendulum-dhnn-seed0" / "config.json").read_text())
    assert config["hidden"] == [256, 256] and config["residual"] is True
    assert config["train"]["batch_order"] == "sequential" and config["recipe"]["derivative"] == "central"
    markdown = (tmp_path / "results.md").read_text()
    assert "| D-HNN (ours) | D-HNN (D-HNN paper) | ours/D-HNN paper |" in markdown
    assert "1.070e-03" in markdown and "Quick preset" not in markdown


def test_a_model_with_another_objective_runs_beside_the_others(tmp_path) -> None:
    """`hnn+rollout` is the HNN trained with the rollout objective: its own runs, label,
    title and colour, and a dx/dt test MSE comparable with the others' test loss."""
    from hamnet.figure_files import color_of

    records = reproduce(["spring"], "quick", seeds=1, out_dir=tmp_path, steps=5, show_progress=False, jobs=1,
                        models=["hnn+rollout", "hnn"], objective_options={"unroll": 2})
    assert [r["model"] for r in records] == ["hnn+rollout", "hnn"]
    config = json.loads((tmp_path / "runs" / "spring-hnn+rollout-seed0" / "config.json").read_text())
    assert config["model"] == "hnn" and config["objective"] == "rollout" and config["objective_options"]["unroll"] == 2
    plain = json.loads((tmp_path / "runs" / "spring-hnn-seed0" / "config.json").read_text())
    assert plain["objective"] == "derivative"
    rollout, hnn = records
    assert "test_dxdt_mse" in rollout and "test_dxdt_mse" not in hnn
    assert rollout["test_dxdt_mse"] != rollout["test_loss"]  # unrolled states' MSE vs the field's dx/dt MSE
    markdown = (tmp_path / "results.md").read_text()
    dxdt = markdown.split("### Test dx/dt MSE")[1].split("###")[0]
    assert "| task | HNN | HNN, rollout objective |" in dxdt
    assert f"{hnn['test_loss']:.3e}" in dxdt and f"{rollout['test_dxdt_mse']:.3e}" in dxdt
    assert color_of("hnn+rollout") != color_of("hnn")
    assert (tmp_path / "figures" / "spring-horizon.png").exists()


def test_the_successor_suite_is_data() -> None:
    """tasks × models × objectives in the presets table, with a quick form; no code per suite."""
    import pytest

    from hamnet import experiments
    from hamnet.errors import UnknownNameError
    from hamnet.experiments import presets, variants

    suite = experiments.preset("successors")
    assert suite.seeds == 3 and suite.tasks == ("spring", "pendulum", "double-pendulum", "pendulum-chain:3")
    assert presets.quick_form("successors") == "successors-quick" and experiments.preset("successors-quick").smoke_test
    for name in ("successors", "successors-quick"):
        for task in suite.tasks:
            models = experiments.get(task, name).models
            assert models == ("baseline", "hnn", "dhnn", "second-order", "lnn", "hnn+rollout")
            variants.check(list(models))
    with pytest.raises(UnknownNameError, match="no quick form"):
        presets.quick_form("dissipative")
    assert presets.quick_form("quick") == "quick" and presets.quick_form("full") == "quick"


def test_variant_names() -> None:
    import pytest

    from hamnet.errors import UnknownNameError
    from hamnet.experiments import variants

    assert variants.parse("hnn") == ("hnn", None) and variants.parse("lnn+rollout") == ("lnn", "rollout")
    assert variants.name("hnn", "rollout", "derivative") == "hnn+rollout"
    assert variants.name("hnn", "autoencoder", "autoencoder") == "hnn"
    assert variants.title("hnn+rollout") == "HNN, rollout objective"
    assert variants.ordered(["toy", "lnn", "hnn+rollout", "baseline", "hnn"]) == \
        ["baseline", "hnn", "hnn+rollout", "lnn", "toy"]
    with pytest.raises(UnknownNameError, match="unknown objective 'x'"):
        variants.check(["hnn+x"])
    with pytest.raises(UnknownNameError, match="unknown model 'x'"):
        variants.check(["x+rollout"])
