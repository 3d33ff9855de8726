"""What a run folder offers after training (results.json, metrics.csv, load_run, `chainrule runs`), and
the README's toy commands reaching their stated results with the default settings."""

import csv
import json
import math
import re

import numpy as np
import pytest

import chainrule
from chainrule.cli import build_parser, main


@pytest.fixture(scope="module")
def spiral_run(tmp_path_factory):
    # the README's command, as printed there (plus a seed and a folder)
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "--dataset", "spiral", "--hidden", "16,16", "--activation", "tanh", "--seed", "0",
                 "--out", str(out), "--name", "spiral", "--quiet"]) == 0
    return out / "spiral"


def test_readme_spiral_command_learns_the_spiral(spiral_run):
    results = json.loads((spiral_run / "results.json").read_text())
    assert results["test"]["accuracy"] >= 0.95  # the old defaults stopped at chance (0.58)
    config = json.loads((spiral_run / "config.json").read_text())
    assert (config["dropout"], config["reduce_lr"], config["early_stopping"]) == (0.0, 0, 0)


@pytest.mark.parametrize("dataset", ["circle", "xor", "gauss"])
def test_toy_datasets_reach_095_with_the_defaults(dataset, tmp_path):
    # the spiral command's small network (the default 256-128 MLP reaches >= 0.96 too, 3x slower)
    assert main(["train", "--dataset", dataset, "--hidden", "16,16", "--activation", "tanh", "--seed", "0",
                 "--out", str(tmp_path), "--name", "r", "--quiet"]) == 0
    assert json.loads((tmp_path / "r" / "results.json").read_text())["test"]["accuracy"] >= 0.95


def test_results_json_has_test_metrics_per_class_scores_and_times(spiral_run):
    results = json.loads((spiral_run / "results.json").read_text())
    test = results["test"]
    assert test["n"] == 500 and test["ci95"][0] <= test["accuracy"] <= test["ci95"][1] and test["loss"] > 0
    assert results["chainrule_version"] == chainrule.__version__
    per_class = results["per_class"]
    assert [c["class"] for c in per_class] == ["0", "1"] and sum(c["support"] for c in per_class) == 500
    for c in per_class:
        assert c["accuracy"] == c["recall"] and 0 < c["f1"] <= 1
        assert math.isclose(c["f1"], 2 * c["precision"] * c["recall"] / (c["precision"] + c["recall"]), abs_tol=2e-4)
    assert len(results["time"]["epochs"]) == results["epochs"]["run"] == 200
    assert 0 < sum(results["time"]["epochs"]) <= results["time"]["train_seconds"] <= results["time"]["total_seconds"]
    assert results["diagnosis"]["kind"] in ("converged", "still_improving")
    assert math.isclose(results["diagnosis"]["chance_loss"], math.log(2), rel_tol=0.01)


def test_metrics_csv_counts_epochs_from_one_with_a_time_column(spiral_run):
    with open(spiral_run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows[:3]] == [1, 2, 3] and int(rows[-1]["epoch"]) == len(rows)
    assert all(float(r["time"]) > 0 for r in rows)


def test_load_run_gives_model_preprocessing_classes_history_results(spiral_run):
    run = chainrule.load_run(spiral_run)
    assert run.classes == ["0", "1"] and run.config["dataset"] == "spiral"
    assert run.history["epoch"][:2] == [1, 2] and len(run.history["loss"]) == 200
    assert run.results["test"]["accuracy"] == json.loads((spiral_run / "results.json").read_text())["test"]["accuracy"]
    from chainrule.data.datasets import toy

    X, y = toy.spiral(500, noise=0.1, seed=1)  # the run's test set: seed + 1
    probs = run.predict(X)
    assert probs.shape == (500, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert math.isclose((probs.argmax(1) == y).mean(), run.results["test"]["accuracy"], abs_tol=1e-9)
    assert "spiral" in repr(run)


def test_runs_lists_best_first_and_compares(spiral_run, tmp_path, capsys):
    folder = spiral_run.parent
    assert main(["train", "--dataset", "spiral", "--hidden", "4", "--epochs", "5", "--seed", "0",
                 "--out", str(folder), "--name", "tiny", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["runs", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["run", "dataset"]
    assert lines[1].startswith("spiral ") and lines[2].startswith("tiny ")  # sorted by test accuracy
    assert re.search(r"acc 0\.\d{4} \(0\.\d{3}-", lines[1])
    assert main(["runs", "--compare", str(spiral_run), str(folder / "tiny")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\* hidden +16,16 +4$", out, re.MULTILINE)
    assert re.search(r"^  dataset +spiral +spiral$", out, re.MULTILINE)
    assert re.search(r"^\* test accuracy", out, re.MULTILINE)
    assert main(["runs", str(tmp_path / "missing")]) == 1
    capsys.readouterr()
    assert main(["runs", str(spiral_run)]) == 0  # a run folder in place of a folder of runs: say so
    assert f"it is a run itself; `chainrule runs {folder}` lists it" in capsys.readouterr().out


def test_help_prints_percent_signs_once(capsys):
    for command in ("train", "evaluate", "predict", "runs"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        out = capsys.readouterr().out
        assert "%%" not in out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--help"])
    out = capsys.readouterr().out
    assert "95%" in out and "--batch-size" in out and "memory" in out


def test_evaluate_uses_its_batch_size(spiral_run, capsys, monkeypatch):
    import chainrule.train

    seen = []
    original = chainrule.train.evaluate  # the function (the package exports it over its module's name)

    def spy(*args, **kwargs):
        seen.append(kwargs.get("batch_size"))
        return original(*args, **kwargs)

    monkeypatch.setattr("chainrule.train.evaluate", spy)
    assert main(["evaluate", str(spiral_run), "--batch-size", "7"]) == 0
    assert seen == [7]
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_readme_default_fashion_mnist_run_reaches_0885(tmp_path):
    # the README's main job, `chainrule train`, with a fixed seed: ~0.89 test accuracy in ~10 epochs
    from pathlib import Path

    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Fashion-MNIST is not installed")
    assert main(["train", "--seed", "0", "--out", str(tmp_path), "--name", "fm", "--quiet"]) == 0
    results = json.loads((tmp_path / "fm" / "results.json").read_text())
    assert results["test"]["accuracy"] >= 0.885
    assert len(results["per_class"]) == 10


def test_a_folder_of_runs_or_a_search_folder_in_place_of_a_run_says_which_folder_to_pass(spiral_run, tmp_path, capsys):
    folder = spiral_run.parent
    assert main(["evaluate", str(folder)]) == 1
    assert f"{folder} holds run folders, it is not one; pass one of them (e.g. {folder}/" in capsys.readouterr().err
    search = tmp_path / "s"
    (search / "trials" / "trial-000").mkdir(parents=True)
    (search / "search.json").write_text("{}")
    (search / "trials" / "trial-000" / "config.json").write_text((spiral_run / "config.json").read_text())
    assert main(["evaluate", str(search)]) == 1
    err = capsys.readouterr().err
    assert "is a `chainrule search` folder" in err and str(search / "trials" / "trial-000") in err
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", str(tmp_path / "empty")]) == 1
    assert "has no config.json; is it a run folder" in capsys.readouterr().err
