"""chainrule.data.photo and `chainrule predict` on photo-like images: a Fashion-MNIST test garment,
dark on a light, slightly shaded and noisy 800x450 background, off-centre and much larger than 28x28."""

import re
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.data.photo import prepare_photo, unlike_training

Image = pytest.importorskip("PIL.Image")

FASHION = Path("/usr/share/datasets/fashion-mnist")


def photo_like(garment: np.ndarray, rng, height=450, width=800) -> np.ndarray:
    """The garment (bright on black, 28x28) photographed dark on light paper, off-centre, 150-260 px wide."""
    background = 225 + 12 * np.linspace(-1, 1, width)[None, :] + rng.normal(0, 3, (height, width))
    side = int(rng.integers(150, 260))
    ink = np.asarray(Image.fromarray(garment).resize((side, side), Image.Resampling.BICUBIC), np.float64) / 255
    r, c = int(rng.integers(10, height - side - 10)), int(rng.integers(10, width - side - 10))
    # the garment darkens the paper in proportion to its brightness in the dataset image
    background[r:r + side, c:c + side] *= 1 - 0.85 * np.clip(ink, 0, 1)
    return np.clip(background, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def fashion_test():
    if not FASHION.is_dir():
        pytest.skip(f"{FASHION} is missing")
    from chainrule.cli.runs import load_raw

    X, y, classes = load_raw("fashion-mnist", False, 0)
    return X, y, classes


def test_prepared_photo_looks_like_the_dataset_image(fashion_test):
    X, _, _ = fashion_test
    rng = np.random.default_rng(0)
    for garment in X[:10]:
        pixels, notes = prepare_photo(photo_like(garment, rng), centre="box")
        assert pixels.shape == (28, 28) and pixels.dtype == np.uint8
        assert notes and notes[0].startswith("inverted")
        assert np.corrcoef(pixels.ravel().astype(float), garment.ravel().astype(float))[0, 1] > 0.6
        assert unlike_training(pixels, 0.286) is None


def test_no_inversion_for_a_dark_border_and_centring_by_mass():
    image = np.zeros((100, 100), np.uint8)
    image[10:30, 60:70] = 200  # a bright bar in the upper right
    pixels, notes = prepare_photo(image, size=28, fit=20)
    assert notes == []
    rows, cols = np.nonzero(pixels)
    weights = pixels[rows, cols].astype(float)
    assert abs(np.average(rows, weights=weights) - 13.5) <= 1 and abs(np.average(cols, weights=weights) - 13.5) <= 1
    assert rows.max() - rows.min() + 1 == 20  # the longer side fits the 20-pixel box (MNIST's)


def test_unlike_training_warns_about_clutter_and_blank_images():
    rng = np.random.default_rng(1)
    clutter = rng.integers(0, 256, (60, 80), dtype=np.uint8)
    pixels, _ = prepare_photo(clutter)
    assert unlike_training(pixels, 0.286)
    blank, notes = prepare_photo(np.full((50, 50), 128, np.uint8))
    assert not blank.any() and "no object" in notes[-1]


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory, fashion_test):
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "--subset", "6000", "--epochs", "3", "--out", str(out), "--name", "fm", "--seed", "0",
                 "--quiet"]) == 0
    return out / "fm"


def test_predict_classifies_photo_like_images_in_a_folder(photo_run, fashion_test, tmp_path, capsys):
    X, y, classes = fashion_test
    import chainrule as cr
    from chainrule.cli.predict import prepare
    from chainrule.cli.runs import load_model, preprocessing, read_config

    config = read_config(photo_run)
    model = load_model(photo_run, config)
    with cr.no_grad():
        right = model(cr.from_numpy(np.asarray(preprocessing(config)(X[:200])))).numpy().argmax(1) == y[:200]
    chosen = np.flatnonzero(right)[:20]  # garments the model classifies right as dataset images
    rng = np.random.default_rng(2)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in chosen:
        Image.fromarray(photo_like(X[i], rng)).save(folder / f"{i:04d}.jpg", quality=90)
    (folder / "notes.txt").write_text("not an image: skipped")
    assert main(["predict", str(photo_run), str(folder)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith(" ")]
    assert len(lines) == len(chosen)
    assert out.count("note: inverted") == len(chosen)
    predicted = [re.match(r".*?(\d{4})\.jpg: (.+?) \d\.\d{3},", line).groups() for line in lines]
    correct = sum(classes[y[int(i)]] == name for i, name in predicted)
    assert correct >= 18, out  # stretching the whole frame (the old way) got ~2 of 20
    probs = [float(p) for p in re.findall(r" (\d\.\d{3})", lines[0])]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True)
    del prepare


def test_predict_says_clearly_when_a_folder_has_no_images(photo_run, tmp_path, capsys):
    assert main(["predict", str(photo_run), str(tmp_path)]) == 1
    assert "folder without image files" in capsys.readouterr().err
