"""End to end: ``chainrule train --data FOLDER`` on a generated ImageFolder, ``predict`` on its images, and
``chainrule convert`` for PyTorch checkpoints."""

import csv
import json
import re
import sys

import numpy as np
import pytest

from chainrule.cli import main

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")
pytest.importorskip("safetensors")

CLASSES = ["circle", "square", "triangle"]


def make_shapes(root, per_class=10, seed=0):
    """White shapes drawn dark on light paper (as a phone photo would be), PNG and JPEG, RGB and grayscale."""
    rng = np.random.default_rng(seed)
    for name in CLASSES:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            img = Image.new("L", (40, 36), 235)
            draw = ImageDraw.Draw(img)
            cx, cy, r = 20 + rng.integers(-4, 5), 18 + rng.integers(-3, 4), rng.integers(9, 13)
            box = [cx - r, cy - r, cx + r, cy + r]
            if name == "circle":
                draw.ellipse(box, fill=20)
            elif name == "square":
                draw.rectangle(box, fill=20)
            else:
                draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=20)
            img = img.convert("RGB") if i % 3 == 0 else img
            img.save(root / name / f"{name}{i}.{'jpg' if i % 2 else 'png'}")
    (root / "square" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return root


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("folder")
    data = make_shapes(tmp / "shapes")
    rc = main(["train", "--data", str(data), "--model", "fashion_cnn", "--pretrained", "fashion7", "--freeze",
               "--epochs", "20", "--val-split", "0.3", "--seed", "0", "--out", str(tmp / "runs"), "--name", "run",
               "--quiet"])
    assert rc == 0
    return tmp / "runs" / "run", data


def test_train_on_a_folder_writes_a_complete_run(folder_run, capsys):
    run, data = folder_run
    for name in ("config.json", "metrics.csv", "model.safetensors", "curves.png", "confusion.png", "mistakes.png",
                 "mistakes.csv", "report.md"):
        assert (run / name).is_file() and (run / name).stat().st_size > 0, name
    config = json.loads((run / "config.json").read_text())
    assert config["classes"] == CLASSES and config["freeze"] and config["pretrained"] == "fashion7"
    assert config["train_samples"] + config["val_samples"] == 30  # the broken file was skipped
    assert config["inverted_images"] == 30  # light paper, dark shapes: inverted to Fashion-MNIST's convention
    report = (run / "report.md").read_text()
    assert re.search(r"\*\*Validation accuracy: (0\.\d{4}|1\.0000)\*\* \(95% CI", report)
    with open(run / "mistakes.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "true", "predicted", "probability"]
    assert all(r[0].split("/")[0] in CLASSES and r[1] != r[2] for r in rows[1:])
    assert all(f"| {r[0]} | {r[1]} | {r[2]} |" in report for r in rows[1:26])  # mistakes listed by file name


def test_predict_prints_top3_with_the_training_preprocessing(folder_run, capsys):
    run, data = folder_run
    images = [str(data / "circle" / "circle0.png"), str(data / "triangle" / "triangle1.jpg")]
    assert main(["predict", str(run), *images]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "light background" in err
    assert main(["predict", str(run), str(data / "circle")]) == 0  # a folder: every image in it
    assert len(capsys.readouterr().out.strip().splitlines()) == 10
    for line, path in zip(lines, images):
        assert line.startswith(path + ": ")
        pairs = re.findall(r"(circle|square|triangle) (\d\.\d{3})", line)
        assert sorted(name for name, _ in pairs) == CLASSES
        assert abs(sum(float(p) for _, p in pairs) - 1) < 0.01


def test_evaluate_repeats_the_validation_result(folder_run, capsys):
    run, _ = folder_run
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 0
    headline = capsys.readouterr().out.splitlines()[0]
    accuracy = re.search(r"Validation accuracy: (\d\.\d{4})", (run / "report.md").read_text()).group(1)
    assert headline.startswith(f"validation accuracy {accuracy} (95% CI")


def test_shapes_are_learned_by_the_frozen_features(folder_run):
    run, _ = folder_run
    metrics = list(csv.DictReader(open(run / "metrics.csv")))
    assert float(metrics[-1]["accuracy"]) > 0.6  # well above chance (1/3) with only a linear head


def test_fine_tune_and_argument_errors(tmp_path, capsys):
    data = make_shapes(tmp_path / "shapes", per_class=4)
    rc = main(["train", "--data", str(data), "--model", "fashion_cnn", "--pretrained", "fashion7", "--epochs", "1",
               "--val-split", "0.25", "--seed", "1", "--out", str(tmp_path / "runs"), "--name", "ft", "--quiet"])
    assert rc == 0 and "broken.png" in capsys.readouterr().err  # the unreadable file is named
    config = json.loads((tmp_path / "runs" / "ft" / "config.json").read_text())
    assert not config["freeze"]
    for argv, message in [(["--freeze"], "give --pretrained"),
                          (["--model", "resnet18", "--pretrained", "fashion7"], "weights for --model fashion_cnn"),
                          (["--model", "alexnet"], "unknown model 'alexnet'"),
                          (["--model", "cnn"], "cannot train on --data")]:
        with pytest.raises(SystemExit) as exc:
            main(["train", "--data", str(data), *argv])
        assert exc.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--model", "resnet18", "--epochs", "1"])  # the folder models need --data
    assert "need --data FOLDER" in capsys.readouterr().err


def test_convert_pytorch_checkpoint_to_safetensors(tmp_path, capsys, monkeypatch):
    torch = pytest.importorskip("torch")
    import chainrule as cr

    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    torch.save({"epoch": 3, "state_dict": net.state_dict()}, tmp_path / "model.pth")
    assert main(["convert", str(tmp_path / "model.pth"), str(tmp_path / "model.safetensors")]) == 0
    ours = cr.nn.Sequential(cr.nn.Conv2d(1, 2, 3), cr.nn.BatchNorm2d(2))
    ours.load_state_dict(cr.load(tmp_path / "model.safetensors"))
    np.testing.assert_array_equal(ours[0].weight.detach().numpy(), net[0].weight.detach().numpy())
    torch.save(net, tmp_path / "whole.pth")  # a pickled module: the restricted unpickler refuses it
    assert main(["convert", str(tmp_path / "whole.pth"), str(tmp_path / "w.safetensors")]) == 1
    assert "weights_only=True" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    assert main(["convert", str(tmp_path / "model.pth"), str(tmp_path / "x.safetensors")]) == 1
    assert "safetensors.torch" in capsys.readouterr().err
