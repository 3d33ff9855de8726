"""Image embeddings of a trained run: the penultimate layer, PCA, neighbour agreement, `chainrule embed`."""

import json
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.cli import main
from chainrule.embeddings import image_embeddings, neighbour_agreement, pca_2d

FASHION = Path("/usr/share/datasets/fashion-mnist")


def test_image_embeddings_are_the_input_of_the_last_linear_layer():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 7), nn.ReLU(), nn.Dropout(0.5), nn.Linear(7, 3))
    x = np.random.default_rng(0).normal(size=(10, 3, 4)).astype(np.float32)
    emb = image_embeddings(model, x, batch_size=4)  # three batches; dropout off (eval) for the call
    with cr.no_grad():
        expected = model[2](model[1](model[0](cr.tensor(x)))).numpy()
    np.testing.assert_allclose(emb, expected, rtol=1e-6)
    assert model.training  # restored
    with pytest.raises(ValueError, match="no Linear layer"):
        image_embeddings(nn.Sequential(nn.Flatten()), x)


def test_pca_2d_matches_the_svd_and_orders_the_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * [5.0, 2.0, 0.5, 0.1, 0.1]
    coords, explained = pca_2d(x)
    assert coords.shape == (200, 2)
    np.testing.assert_allclose(coords.var(0), np.sort(np.linalg.eigvalsh(np.cov(x.T, bias=True)))[::-1][:2], rtol=1e-8)
    assert explained[0] > explained[1] > 0 and explained.sum() < 1
    line = np.outer(np.arange(10.0), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(pca_2d(line)[1], [1.0, 0.0], atol=1e-12)


def test_neighbour_agreement_sees_clusters():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 25)
    clustered = rng.normal(size=(4, 8))[labels] * 10 + rng.normal(size=(100, 8))
    assert neighbour_agreement(clustered, labels, k=5) == 1.0
    assert neighbour_agreement(rng.normal(size=(100, 8)), labels, k=5) < 0.5


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    if not FASHION.is_dir():
        pytest.skip(f"{FASHION} is missing")
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "--subset", "600", "--epochs", "1", "--hidden", "32", "--out", str(out), "--name", "tiny",
                 "--seed", "0", "--quiet"]) == 0
    return out / "tiny"


@pytest.mark.slow  # trains a tiny run first (about 15 s on 2 busy cores)
def test_embed_writes_the_map_the_neighbour_grid_and_the_numbers(tiny_run, tmp_path, capsys):
    out = tmp_path / "emb"
    assert main(["embed", str(tiny_run), "--samples", "500", "--queries", "3", "--neighbours", "4",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "500 test images, 32-number embeddings" in printed
    for name in ("embedding_map.png", "neighbours.png", "embeddings.json"):
        assert (out / name).stat().st_size > 1000 or name.endswith(".json")
    result = json.loads((out / "embeddings.json").read_text())
    assert result["embedding_dim"] == 32 and result["test_images"] == 500
    agree = result["neighbour_agreement_k10"]
    assert 0.3 < agree["embedding_cosine"] <= 1 and 0.3 < agree["pixels_euclidean"] <= 1  # 10 classes: chance is 0.1
    assert not (tiny_run / "embeddings.json").exists()  # --out was honoured
    from PIL import Image

    width, height = Image.open(out / "neighbours.png").size
    assert width > height  # 3 rows of 1 + 4 images


def test_embed_errors_are_one_line(tmp_path, capsys):
    assert main(["embed", str(tmp_path / "missing")]) == 1
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["embed", str(tmp_path), "--neighbours", "0"])
    capsys.readouterr()
    assert main(["train", "--dataset", "spiral", "--epochs", "1", "--out", str(tmp_path), "--name", "sp", "--seed", "0",
                 "--quiet"]) == 0
    assert main(["embed", str(tmp_path / "sp")]) == 1
    assert "was trained on 'spiral'; `chainrule embed` needs a classifier trained on an image dataset" in \
        capsys.readouterr().err


def test_embed_of_a_linear_model_says_its_embeddings_are_the_pixels(tmp_path, capsys):
    assert main(["train", "--subset", "300", "--epochs", "1", "--hidden", "none", "--out", str(tmp_path), "--name",
                 "lin", "--seed", "0", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["embed", str(tmp_path / "lin"), "--samples", "100", "--out", str(tmp_path / "e")]) == 0
    out = capsys.readouterr().out
    assert "784-number embeddings" in out and "no hidden layer (--hidden none)" in out
    numbers = json.loads((tmp_path / "e" / "embeddings.json").read_text())
    assert numbers["layer"] == "preprocessed pixels (no hidden layer)"


@pytest.mark.parametrize("rows", [1, 6, 10])
def test_neighbour_grid_title_clears_the_first_rows_labels(rows):
    pytest.importorskip("matplotlib")
    from chainrule.viz.embeddings import plot_neighbours

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (40, 28, 28), dtype=np.uint8), np.arange(40) % 4
    fig = plot_neighbours(images, labels, ["a", "b", "c", "d"], list(range(rows)),
                          [list(range(20, 28))] * rows, title="nearest test images")
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(renderer)
    top_labels = max(ax.title.get_window_extent(renderer).y1 for ax in fig.axes)
    assert title.y0 > top_labels, (rows, title.y0, top_labels)


def test_embed_out_that_is_a_file_is_refused(tiny_run, tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["embed", str(tiny_run), "--out", str(tmp_path / "f")]) == 1
    assert f"--out {tmp_path / 'f'} is a file; pass a folder" in capsys.readouterr().err
