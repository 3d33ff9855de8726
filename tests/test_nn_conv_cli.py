"""``chainrule train --model cnn`` end to end on a small subset: the run folder, evaluate and predict work,
and the CNN learns (a broken convolution or pooling gradient leaves it near chance, 0.1)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    if not FASHION.is_dir():
        pytest.skip(f"{FASHION} is missing")
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "--model", "cnn", "--subset", "1200", "--epochs", "2", "--augment", "shift", "--out",
                 str(out), "--name", "cnn", "--seed", "0", "--quiet"]) == 0
    return out / "cnn"


@pytest.mark.slow
def test_cnn_run_learns_and_writes_a_complete_run(cnn_run):
    config = json.loads((cnn_run / "config.json").read_text())
    assert (config["model"], config["hidden"], config["batch_size"], config["augment"]) == ("cnn", [128], 64, ["shift"])
    report = (cnn_run / "report.md").read_text()
    acc = float(re.search(r"\*\*Test accuracy: (\d\.\d{4})\*\*", report).group(1))
    assert acc > 0.5, f"a CNN trained on 1,080 images for 2 epochs should beat chance by far, got {acc}"
    assert "| model | CNN conv32-conv64-128-10" in report and "--model cnn" in report
    for name in ("metrics.csv", "model.safetensors", "curves.png", "confusion.png", "mistakes.png"):
        assert (cnn_run / name).is_file(), name

    import chainrule as cr
    from chainrule import io, models

    assert config["padding"] == 1
    model = models.cnn(dropout=0.2, padding=1)  # the weights load into the public model of the same shape
    io.load_into(model, cnn_run / "model.safetensors")
    assert model(cr.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.slow
def test_evaluate_and_predict_work_on_a_cnn_run(cnn_run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(cnn_run)]) == 0
    acc = re.search(r"test accuracy (\d\.\d{4})", capsys.readouterr().out).group(1)
    assert f"**Test accuracy: {acc}**" in (cnn_run / "report.md").read_text()

    pytest.importorskip("PIL")
    from PIL import Image

    from chainrule.data.datasets import FashionMNIST

    test = FashionMNIST(train=False)
    path = tmp_path / "item.png"
    Image.fromarray(test.data.numpy()[0]).save(path)
    assert main(["predict", str(cnn_run), str(path)]) == 0
    probs = [float(p) for p in re.findall(r" (\d\.\d{3})", capsys.readouterr().out)]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True)


def test_cnn_needs_an_image_dataset(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--model", "cnn", "--dataset", "circle"])
    assert e.value.code == 2 and "--model cnn needs an image dataset" in capsys.readouterr().err


def test_reference_cnn_shape():
    import chainrule as cr
    from chainrule import models, nn

    model = models.cnn()
    assert sum(p.numel() for p in model.parameters()) == 225034
    assert model(cr.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert isinstance(model[0], nn.Conv2d) and np.isclose(model[0].weight.detach().numpy().std(), 1 / 3 / np.sqrt(3),
                                                          rtol=0.2)


@pytest.mark.parametrize("argv,expected", [
    (["--model", "cnn"], ["flip"]),  # the CNN's default: mirrored images (docs/performance.md)
    (["--model", "cnn", "--augment", "none"], []),
    (["--model", "cnn", "--augment", "shift,flip"], ["shift", "flip"]),
    ([], []),  # the MLP trains on the images as they are
    (["--augment", "flip"], ["flip"]),
])
def test_cnn_augments_with_flips_by_default(argv, expected, tmp_path):
    from chainrule.cli import build_parser
    from chainrule.cli.config_file import expand
    from chainrule.cli.report import reproduce_args
    from chainrule.cli.train import resolve_config

    parser = build_parser()
    train = parser.subcommands["train"]
    config = resolve_config(parser.parse_args(["train", *argv, "--seed", "0"]), train)
    assert config["augment"] == expected
    config.update(subset=None)
    again = reproduce_args(config).split()  # the report's reproduce line and --config give the same augmentation
    assert resolve_config(parser.parse_args(["train", *again]), train)["augment"] == expected
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    from_file = parser.parse_args(expand(["train", "--config", str(path)], train))
    assert resolve_config(from_file, train)["augment"] == expected


def test_new_cnn_runs_pad_their_convs_and_older_run_folders_keep_the_reference_cnn():
    """--model cnn builds the padded CNN (0.9194-0.9225 unpadded was not reliably above 0.92); a run folder
    written before the field existed still rebuilds the unpadded reference CNN its weights belong to."""
    from chainrule import models
    from chainrule.cli import build_parser
    from chainrule.cli.models import build_model, describe
    from chainrule.cli.train import resolve_config

    parser = build_parser()
    config = resolve_config(parser.parse_args(["train", "--model", "cnn", "--seed", "0"]), parser.subcommands["train"])
    config.update(input_shape=[28, 28], in_features=784, out_features=10)  # what the run derives from the data
    assert config["padding"] == 1 and "padding 1" in describe(config)
    padded = build_model(config)
    assert sum(p.numel() for p in padded.parameters()) == 421642  # 64 x 7 x 7 features into the fc layer
    old = {k: v for k, v in config.items() if k != "padding"}
    assert sum(p.numel() for p in build_model(old).parameters()) == 225034 and "padding" not in describe(old)
    mlp = resolve_config(parser.parse_args(["train", "--seed", "0"]), parser.subcommands["train"])
    assert "padding" not in mlp
    with pytest.raises(ValueError, match=r"cnn\(padding\): expected 0 or 1, got 2"):
        models.cnn(padding=2)
