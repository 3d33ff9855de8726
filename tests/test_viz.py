"""The plots: each writes a non-empty PNG atomically, leaves no open figure, and fails clearly without matplotlib."""

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from chainrule.viz import plot_confusion_matrix, plot_mistakes, plot_training_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "loss": [1.0, 0.6, 0.45, 0.4, 0.35, 0.3, 0.26, 0.22],
    "accuracy": [0.6, 0.78, 0.83, 0.85, 0.87, 0.89, 0.9, 0.92],
    "val_loss": [0.8, 0.55, 0.48, 0.47, 0.5, 0.54, 0.58, 0.62],
    "val_accuracy": [0.7, 0.8, 0.82, 0.83, 0.83, 0.82, 0.82, 0.81],
}


def _assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "temporary file left behind"


def _mistake_data(n=40, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y_true = rng.integers(0, classes, n)
    logits = rng.standard_normal((n, classes))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return images, y_true, probs.argmax(1), probs


def test_training_curves_png_and_diagnosis_subtitle(tmp_path):
    fig = plot_training_curves(HISTORY, tmp_path / "curves.png", title="run 1")
    _assert_png(tmp_path / "curves.png")
    assert "run 1" in fig._suptitle.get_text()
    assert "overfitting since epoch 4" in fig._suptitle.get_text()
    loss_ax, acc_ax = fig.axes[:2]
    labels = [line.get_label() for line in loss_ax.lines]
    assert {"train", "validation"} <= set(labels)
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), HISTORY["val_loss"])
    assert acc_ax.get_ylabel() == "accuracy"


def test_training_curves_without_validation_or_accuracy(tmp_path):
    class History:  # anything with a .history dict, like fit's History
        history = {"loss": [2.0, 1.0, 0.7, 0.6, 0.55]}

    fig = plot_training_curves(History(), tmp_path / "sub" / "c.png")  # creates the folder
    _assert_png(tmp_path / "sub" / "c.png")
    labels = [ln.get_label() for ln in fig.axes[0].lines if not ln.get_label().startswith("_")]
    assert labels == ["train", "best loss (epoch 5)"]
    assert not [ln for ln in fig.axes[1].lines if not ln.get_label().startswith("_")]
    with pytest.raises(ValueError, match="loss"):
        plot_training_curves({"loss": []})


def test_training_curves_mark_the_best_epoch_and_show_the_lr(tmp_path):
    history = {"loss": [1.0, 0.6, 0.5, 0.45, 0.4], "val_loss": [1.0, 0.7, 0.62, 0.65, 0.7],
               "lr": [1e-3, 1e-3, 1e-3, 5e-4, 5e-4]}
    fig = plot_training_curves(history, tmp_path / "c.png")
    loss_ax = fig.axes[0]
    star = [line for line in loss_ax.lines if line.get_label().startswith("best")]
    assert star and star[0].get_label() == "best val_loss (epoch 3)"
    assert list(star[0].get_xdata()) == [3] and list(star[0].get_ydata()) == [0.62]
    lr_axes = [ax for ax in fig.axes if ax.get_ylabel().startswith("learning rate")]
    assert len(lr_axes) == 1 and lr_axes[0].get_yscale() == "log"
    np.testing.assert_allclose(lr_axes[0].lines[0].get_ydata(), history["lr"])


def test_confusion_matrix_counts_and_normalized(tmp_path):
    cm = np.array([[8, 2, 0], [1, 9, 0], [0, 3, 7]])
    fig = plot_confusion_matrix(cm, ["a", "b", "c"], tmp_path / "cm.png")
    _assert_png(tmp_path / "cm.png")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"8", "9", "7", "3"} <= texts
    assert "0.800" in fig.axes[0].get_title()  # 24 / 30
    fig = plot_confusion_matrix(cm, ["a", "b", "c"], tmp_path / "cmn.png", normalize=True)
    _assert_png(tmp_path / "cmn.png")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), cm / cm.sum(1, keepdims=True))
    with pytest.raises(ValueError, match="3x3"):
        plot_confusion_matrix(cm[:2], ["a", "b", "c"])


def test_mistakes_most_confident_first(tmp_path):
    images, y_true, y_pred, probs = _mistake_data()
    names = ["zero", "one", "two", "three"]
    fig = plot_mistakes(images, y_true, y_pred, probs, names, tmp_path / "m.png", n=6)
    _assert_png(tmp_path / "m.png")
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 6
    wrong = np.flatnonzero(y_true != y_pred)
    top = wrong[np.argmax(probs[wrong, y_pred[wrong]])]
    assert titled[0].get_title() == (f"true: {names[y_true[top]]},\npredicted: {names[y_pred[top]]} "
                                     f"({probs[top, y_pred[top]]:.2f})")
    ps = [float(ax.get_title().rsplit("(", 1)[1].rstrip(")")) for ax in titled]
    assert ps == sorted(ps, reverse=True)


def test_mistakes_accepts_flat_images_and_no_mistakes(tmp_path):
    images, y_true, _, probs = _mistake_data(n=10)
    flat = images.reshape(10, 784)
    fig = plot_mistakes(flat, y_true, y_true, probs, list("abcd"), tmp_path / "none.png")
    _assert_png(tmp_path / "none.png")
    assert any("no mistakes" in t.get_text() for ax in fig.axes for t in ax.texts)
    with pytest.raises(ValueError, match="same length"):
        plot_mistakes(images, y_true[:5], y_true, probs, list("abcd"))


def test_no_pyplot_figures_left_open(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_training_curves(HISTORY, tmp_path / "c.png")
    plot_confusion_matrix(np.eye(2), ["x", "y"], tmp_path / "m.png")
    assert plt.get_fignums() == before


@pytest.mark.parametrize("call", [
    lambda: plot_training_curves(HISTORY),
    lambda: plot_confusion_matrix(np.eye(2), ["x", "y"]),
    lambda: plot_mistakes(*_mistake_data(), ["a", "b", "c", "d"]),
])
def test_missing_matplotlib_gives_install_hint(monkeypatch, tmp_path, call):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install chainrule\[plot\]"):
        call()
