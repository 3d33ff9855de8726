"""The `chainrule` command end to end: train writes a complete run folder; evaluate and predict reuse it;
bad arguments exit with status 2 and one error line, library errors with status 1, never a traceback."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main

FASHION = Path("/usr/share/datasets/fashion-mnist")
SRC = Path(__file__).parent.parent / "src"
RUN_FILES = ("config.json", "metrics.csv", "model.safetensors", "curves.png", "confusion.png", "report.md")
ACCURACY_WITH_CI = re.compile(r"(0\.\d{4}|1\.0000)\*\* \(95% CI (0\.\d{4}|1\.0000)-(0\.\d{4}|1\.0000)")


def _check_run(run: Path, files):
    for name in files:
        assert (run / name).is_file() and (run / name).stat().st_size > 0, name
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")], "temporary files left behind"
    report = (run / "report.md").read_text()
    return report


@pytest.fixture(scope="module")
def fashion_run(tmp_path_factory):
    if not FASHION.is_dir():
        pytest.skip(f"{FASHION} is missing")
    out = tmp_path_factory.mktemp("runs")
    rc = main(["train", "--subset", "2000", "--epochs", "2", "--out", str(out), "--name", "fm", "--seed", "0", "--quiet"])
    assert rc == 0
    return out / "fm"


def test_train_fashion_writes_a_complete_run(fashion_run):
    report = _check_run(fashion_run, RUN_FILES + ("mistakes.png",))
    acc, low, high = (float(v) for v in ACCURACY_WITH_CI.search(report).groups())
    assert low <= acc <= high and acc > 0.5  # 2 epochs on 1,800 images already beat chance (0.1) by far
    assert "**Diagnosis:**" in report and "Ankle boot" in report and "Epochs run: 2 of 2" in report
    config = json.loads((fashion_run / "config.json").read_text())
    assert config["seed"] == 0 and config["subset"] == 2000 and config["chainrule_version"]
    assert (config["hidden"], config["optimizer"], config["train_samples"]) == ([256, 128], "adam", 1800)
    rows = (fashion_run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and "val_loss" in rows[0] and len(rows) == 3

    from chainrule.io import read_metadata

    assert json.loads(read_metadata(fashion_run / "model.safetensors")["config"])["name"] == "fm"


def test_evaluate_matches_the_report(fashion_run, capsys):
    assert main(["evaluate", str(fashion_run)]) == 0
    out = capsys.readouterr().out
    acc = re.search(r"test accuracy (\d\.\d{4}) \(95% CI", out).group(1)
    assert f"**Test accuracy: {acc}**" in (fashion_run / "report.md").read_text()
    assert "Ankle boot" in out and len(out.strip().splitlines()) == 12  # headline, header, 10 classes


def _png(path, pixels):
    from PIL import Image

    Image.fromarray(pixels).save(path)
    return str(path)


def test_predict_top3_from_png(fashion_run, tmp_path, capsys):
    pytest.importorskip("PIL")
    from chainrule.data.datasets import FashionMNIST

    test = FashionMNIST(train=False)
    image = test.data.numpy()[0]
    small = _png(tmp_path / "item.png", image)
    big = _png(tmp_path / "big.png", np.kron(image, np.ones((2, 2), np.uint8)))  # 56x56: resized to 28x28
    assert main(["predict", str(fashion_run), small, big]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(small)
    found = re.findall(r"([A-Za-z/ -]+?) (\d\.\d{3})(?:,|$)", lines[0].split(": ", 1)[1])
    names, probs = [n.strip() for n, _ in found], [float(p) for _, p in found]
    assert len(names) == 3 and set(names) <= set(test.classes)
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.001
    assert main(["predict", str(fashion_run), small, "--invert", "--top", "1"]) == 0
    assert len(capsys.readouterr().out.split(": ", 1)[1].split(",")) == 1


def test_predict_without_pillow_says_what_to_install(fashion_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)
    assert main(["predict", str(fashion_run), str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert "pip install chainrule[image]" in err and "Traceback" not in err


def test_train_toy_classification_and_regression(tmp_path, capsys):
    assert main(["train", "--dataset", "circle", "--epochs", "3", "--hidden", "16", "--out", str(tmp_path),
                 "--name", "c", "--seed", "1", "--quiet"]) == 0
    report = _check_run(tmp_path / "c", RUN_FILES)
    assert not (tmp_path / "c" / "mistakes.png").exists()  # tabular data: no image grid
    assert ACCURACY_WITH_CI.search(report)
    assert main(["evaluate", str(tmp_path / "c")]) == 0
    assert re.search(r"test accuracy \d\.\d{4} \(95% CI", capsys.readouterr().out)

    assert main(["train", "--dataset", "line", "--epochs", "3", "--hidden", "8", "--out", str(tmp_path),
                 "--name", "l", "--seed", "1", "--quiet"]) == 0
    report = _check_run(tmp_path / "l", ("config.json", "metrics.csv", "model.safetensors", "curves.png", "report.md"))
    assert "**Test MSE:" in report and "R^2" in report
    # predicting classes of an image makes no sense for a regression of points: a usage error
    with pytest.raises(SystemExit) as e:
        main(["predict", str(tmp_path / "l"), "x.png"])
    assert e.value.code == 2


@pytest.mark.parametrize("argv", [
    ["train", "--epochs", "-1"],
    ["train", "--epochs", "two"],
    ["train", "--lr", "0"],
    ["train", "--dataset", "cifar10"],
    ["train", "--hidden", "256,0"],
    ["train", "--val-split", "1"],
    ["train", "--augment", "rotate"],
    ["train", "--dataset", "plane", "--loss", "cross-entropy"],
    ["train", "--dataset", "circle", "--augment", "flip"],
    ["train", "--optimizer", "adam", "--momentum", "0.9"],
    ["evaluate"],
    ["frobnicate"],
    [],
])
def test_bad_arguments_exit_2_with_one_error_line(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: chainrule") and "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and err.rstrip().endswith(errors[0])


def test_library_errors_exit_1_with_a_clear_message(tmp_path, monkeypatch, capsys):
    # a dataset that is nowhere on disk and cannot be downloaded (a mirror that refuses at once)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("CHAINRULE_DATA_MIRROR", "http://127.0.0.1:9/")
    assert main(["train", "--dataset", "mnist", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chainrule train: error: MNIST: cannot find") and "Traceback" not in err

    assert main(["evaluate", str(tmp_path)]) == 1  # a folder without config.json
    err = capsys.readouterr().err
    assert "no config.json" in err and len(err.strip().splitlines()) == 1


def test_subprocess_bad_argument():
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "chainrule", "train", "--epochs", "-1"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "chainrule train: error: argument --epochs: expected a positive integer, got '-1'")


def test_mlp_builder_layers_and_errors():
    import chainrule as cr
    from chainrule import nn
    from chainrule.models import mlp

    model = mlp(784, hidden=(32, 16), out_features=10, activation="tanh", dropout=0.5)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Flatten", "Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert tuple(model(cr.zeros(4, 1, 28, 28)).shape) == (4, 10)
    assert [type(m) for m in mlp(2, hidden=(), out_features=1)] == [nn.Flatten, nn.Linear]
    with pytest.raises(ValueError, match="activation"):
        mlp(2, activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        mlp(2, dropout=1.0)


def test_top_level_help_lists_every_subcommand_with_a_short_description():
    import argparse

    from chainrule.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert set(helps) == set(sub.choices)
    for name, text in helps.items():  # one line of `chainrule --help` (the column is 60 wide)
        assert text and len(text) <= 60 and not text.endswith("."), (name, text)
    for name in ("train", "evaluate", "predict", "runs", "search", "convert", "lr-find", "figures", "playground",
                 "embed"):
        assert name in helps


def test_under_mpirun_only_rank_zero_prints_a_usage_error(monkeypatch, capsys):
    from chainrule.cli import main

    monkeypatch.setattr("time.sleep", lambda s: None)
    for argv in (["train", "--epochs", "abc"], ["search", "--lr", "1e-3,1e-2"]):  # search: --name is missing
        monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
        with pytest.raises(SystemExit):
            main(argv)
        assert capsys.readouterr().err == ""
        monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
        with pytest.raises(SystemExit):
            main(argv)
        assert "error:" in capsys.readouterr().err
