"""The most confidently wrong predictions: the examples worth looking at first ("examine your data")."""

from __future__ import annotations

import math

import numpy as np

from chainrule.viz import new_figure, save_figure, to_numpy


def plot_mistakes(images, y_true, y_pred, probs, class_names, path=None, n=25):
    """Show a grid of the ``n`` misclassified images the model was most sure about.

    Each image is titled ``"true: Bag, predicted: Sneaker (0.97)"`` (on two lines), with the probability the model
    gave to its (wrong) prediction; the most confident mistakes come first. They are often mislabelled
    examples, or a class pair the model confuses (shirt vs T-shirt).

    Args:
        images (array or Tensor): ``(N, H, W)``, ``(N, 1, H, W)`` or flattened ``(N, H*W)`` with a square H*W.
        y_true (array or Tensor): ``(N,)`` true class indices.
        y_pred (array or Tensor): ``(N,)`` predicted class indices.
        probs (array or Tensor): ``(N, C)`` predicted class probabilities (softmax outputs).
        class_names (sequence of str): the C class names.
        path (str or Path, optional): write the figure there as a PNG. Default: None.
        n (int): at most this many mistakes are shown. Default: 25.

    Returns:
        matplotlib.figure.Figure (with a "no mistakes" note when every prediction is right).

    Raises:
        ImportError: matplotlib is not installed (``pip install chainrule[plot]``).
        ValueError: the arrays disagree in length, or the images are not images.

    >>> fig = plot_mistakes(x_test, y_test, pred, proba, test_set.classes, "mistakes.png")  # doctest: +SKIP
    """
    images, probs = to_numpy(images), to_numpy(probs)
    y_true, y_pred = to_numpy(y_true).astype(np.int64).ravel(), to_numpy(y_pred).astype(np.int64).ravel()
    images = _as_images(images)
    count = len(images)
    if not (len(y_true) == len(y_pred) == len(probs) == count) or probs.ndim != 2:
        raise ValueError(f"plot_mistakes: expected images, y_true, y_pred of the same length N and probs of shape "
                         f"(N, C); got {count} images, {len(y_true)} y_true, {len(y_pred)} y_pred, probs {probs.shape}")
    if n < 1:
        raise ValueError(f"plot_mistakes(n): expected a positive number of images, got {n}")
    wrong = np.flatnonzero(y_true != y_pred)
    confidence = probs[wrong, y_pred[wrong]]
    chosen = wrong[np.argsort(-confidence, kind="stable")][:n]

    cols = max(1, math.ceil(math.sqrt(len(chosen))))
    rows = max(1, math.ceil(len(chosen) / cols))
    # fixed margins instead of a layout engine: constrained layout costs seconds with 25 axes
    width, height = 1.9 * cols + 0.2, 2.1 * rows + 0.5
    fig = new_figure(figsize=(width, height))
    fig.subplots_adjust(left=0.1 / width, right=1 - 0.1 / width, bottom=0.1 / height, top=1 - 0.9 / height,
                        wspace=0.15, hspace=0.5)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    scale = {"vmin": 0, "vmax": 255} if images.dtype == np.uint8 else {}  # no contrast stretching per image
    for ax, i in zip(axes, chosen):
        ax.imshow(images[i], cmap="gray", **scale)
        ax.set_title(f"true: {_name(class_names, y_true[i])},\npredicted: {_name(class_names, y_pred[i])} "
                     f"({probs[i, y_pred[i]]:.2f})", fontsize=8)
    if len(chosen):
        fig.suptitle(f"Most confident mistakes ({len(chosen)} of {len(wrong)} wrong out of {count})",
                     y=1 - 0.15 / height, va="top")
    else:
        axes[0].text(0.5, 0.5, f"no mistakes in {count} images", ha="center", va="center", transform=axes[0].transAxes)
    if path is not None:
        save_figure(fig, path)
    return fig


def _as_images(images: np.ndarray) -> np.ndarray:
    if images.ndim == 4 and images.shape[1] in (1, 3):  # (N, C, H, W) -> (N, H, W[, C])
        images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    elif images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"plot_mistakes(images): flattened images need a square number of pixels, got {images.shape[1]}")
        images = images.reshape(len(images), side, side)
    if images.ndim not in (3, 4):
        raise ValueError(f"plot_mistakes(images): expected (N, H, W), (N, 1, H, W) or (N, H*W), got shape {images.shape}")
    return images


def _name(class_names, index) -> str:
    return str(class_names[index]) if 0 <= index < len(class_names) else str(index)
