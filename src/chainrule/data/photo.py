"""Turn a real photo into an image like the training set's: what ``chainrule predict`` does first.

Fashion-MNIST and MNIST images are bright objects on a black 28x28 background, cropped to the
object and centred. A photo of a garment on a table is the opposite: a dark object somewhere in a
large light frame. Stretching that whole frame to 28x28 gives a tiny gray blob that any model
classifies confidently and wrongly. ``prepare_photo`` repeats the steps that made the datasets:

1. gray levels; **invert** when the border is light (a dark object on a light background);
2. **autocontrast**: the background level (the border's median) becomes 0, the brightest object
   pixels 255;
3. **crop** to the object's bounding box (pixels above ``OBJECT_LEVEL`` of the maximum);
4. **pad** to a square and **resize** so the longer side is ``fit`` pixels (28 for Fashion-MNIST,
   whose garments fill the frame; 20 for MNIST);
5. **centre by mass** in the ``size`` frame, as MNIST was made (shifted only as far as the object
   stays inside), or centre the padded square, as Fashion-MNIST was made ("extend the shortest edge
   to 28 and put the image in the centre of the canvas").

``unlike_training`` then compares the result with the training set's statistics and says why a
prediction may not be trusted. Needs Pillow for reading and resizing (``pip install chainrule[image]``).

>>> from chainrule.data.photo import prepare_photo
>>> pixels, notes = prepare_photo("shirt.jpg")   # doctest: +SKIP
>>> pixels.shape, notes
((28, 28), ['inverted: the border is light, so the object was taken as dark on light'])
"""

from __future__ import annotations

import numpy as np

__all__ = ["PRESETS", "load_gray", "prepare_photo", "unlike_training"]

BORDER = 0.05          # the outer 5% of each side is the "border" that tells the background
OBJECT_LEVEL = 0.2     # a pixel belongs to the object above this share of the brightest level
# how the datasets were made: fit the object into fit x fit, place it in size x size
PRESETS = {"fashion-mnist": {"size": 28, "fit": 28, "centre": "box"},
           "mnist": {"size": 28, "fit": 20, "centre": "mass"}}


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("reading images needs Pillow, which is not installed: pip install chainrule[image]") from e
    return Image


def load_gray(path) -> np.ndarray:
    """An image file as a float64 ``(H, W)`` array of gray levels in [0, 255].

    Read through ``chainrule.io.images.read_gray``: 16-bit and float images are scaled, not clipped,
    and a decompression bomb or a FIFO is refused before anything is decoded.
    """
    from chainrule.io.images import ImageFileError, read_gray

    try:
        return np.asarray(read_gray(path), dtype=np.float64)
    except ImageFileError as e:
        raise ValueError(str(e)) from None


def _border(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    bh, bw = max(1, round(h * BORDER)), max(1, round(w * BORDER))
    return np.concatenate([gray[:bh].ravel(), gray[-bh:].ravel(), gray[:, :bw].ravel(), gray[:, -bw:].ravel()])


def prepare_photo(image, size: int = 28, fit: int | None = None, invert: bool | None = None,
                  centre: str = "mass"):
    """Preprocess a photo like the training images: returns ``(uint8 (size, size) array, notes)``.

    Args:
        image (str, PathLike or array): an image file, or a 2-D array of gray levels in [0, 255].
        size (int): the side of the result. Default: 28.
        fit (int, optional): the object's longer side in the result. Default: ``size``.
        invert (bool, optional): True/False forces the choice; None inverts when the border is light.
        centre (str): ``"mass"`` puts the centre of mass in the middle (MNIST), ``"box"`` the object's
            padded square (Fashion-MNIST). Default: ``"mass"``.

    Returns:
        tuple: the image as uint8 ``(size, size)``, bright object on black, and a list of notes for
        the user (what was inferred, e.g. the inversion).
    """
    if centre not in ("mass", "box"):
        raise ValueError(f"prepare_photo: centre must be 'mass' or 'box', got {centre!r}")
    gray = load_gray(image) if not isinstance(image, np.ndarray) else np.asarray(image, dtype=np.float64)
    if gray.ndim != 2 or min(gray.shape) < 2:
        raise ValueError(f"prepare_photo: expected a 2-D gray image, got shape {gray.shape}")
    fit = size if fit is None else fit
    notes = []
    if invert is None:
        invert = float(np.median(_border(gray))) > 127
        if invert:
            notes.append("inverted: the border is light, so the object was taken as dark on light "
                         "(the training images are light on black; --no-invert turns this off)")
    if invert:
        gray = 255.0 - gray
    # autocontrast: background to 0, the brightest object pixels to 255; the object's extent and its
    # brightest level are read on a blurred copy, so that sensor noise and hot pixels count for nothing
    border = _border(gray)
    background = float(np.median(border))
    noise = 1.4826 * float(np.median(np.abs(border - background)))
    radius = max(1, min(gray.shape) // 150)
    smooth = _box_blur(gray, radius)
    top = float(smooth.max())
    if top - background < max(1.0, 4 * noise):
        return np.zeros((size, size), np.uint8), notes + ["no object found: the image is (nearly) one gray level"]
    level = max(OBJECT_LEVEL, 4 * noise / (top - background))
    rows, cols = np.nonzero((smooth - background) / (top - background) > level)
    gray = np.clip((gray - background) / (top - background), 0, 1) * 255
    if len(rows):
        top_row, left = max(rows.min() - radius, 0), max(cols.min() - radius, 0)
        gray = gray[top_row:rows.max() + radius + 1, left:cols.max() + radius + 1]
    h, w = gray.shape
    side = max(h, w)
    square = np.zeros((side, side))
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = gray
    Image = _pil()
    small = Image.fromarray(square.astype(np.float32), mode="F").resize((fit, fit), Image.Resampling.LANCZOS)
    small = np.clip(np.asarray(small, dtype=np.float64), 0, 255)
    if centre == "box":
        out = np.zeros((size, size))
        at = (size - fit) // 2
        out[at:at + fit, at:at + fit] = small
        return np.round(out).astype(np.uint8), notes
    return _centre_by_mass(small, size), notes


def _box_blur(a: np.ndarray, r: int) -> np.ndarray:
    """The mean over a (2r+1)^2 window (edge-padded), from cumulative sums."""
    k = 2 * r + 1
    c = np.pad(a, r + 1, mode="edge").cumsum(0).cumsum(1)
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k])[:a.shape[0], :a.shape[1]] / (k * k)


def _centre_by_mass(obj: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, size))
    fit = obj.shape[0]
    mass = obj.sum()
    start = [(size - fit) // 2] * 2
    if mass > 0:
        for axis in (0, 1):
            profile = obj.sum(axis=1 - axis)
            centre = float(profile @ np.arange(fit)) / mass
            # put the centre of mass at the frame's centre, but keep the object (its nonzero extent) inside
            nz = np.flatnonzero(profile > 0)
            want = round((size - 1) / 2 - centre)
            start[axis] = int(np.clip(want, -nz[0], size - 1 - nz[-1]))
    r, c = start
    rs, cs = max(r, 0), max(c, 0)
    re, ce = min(r + fit, size), min(c + fit, size)
    out[rs:re, cs:ce] = obj[rs - r:re - r, cs - c:ce - c]
    return np.round(out).astype(np.uint8)


def unlike_training(pixels: np.ndarray, mean: float, std: float | None = None) -> str | None:
    """Why a prepared image looks unlike the training images, or None.

    Args:
        pixels: the prepared uint8 image (bright object on black).
        mean, std: the training images' pixel mean and standard deviation in [0, 1] units (a run's
            config.json ``normalize``).
    """
    x = np.asarray(pixels, dtype=np.float64) / 255
    if x.max() == 0:
        return "the image is blank after preprocessing"
    ink = float((x > OBJECT_LEVEL).mean())
    reasons = []
    # Fashion-MNIST's test images have means from 0.05 to 0.67 (0.1 and 99.9 percentiles) around 0.29
    if not mean / 7 <= x.mean() <= mean * 2.5:
        reasons.append(f"its mean brightness {x.mean():.2f} is far from the training images' {mean:.2f}")
    if ink < 0.05:
        reasons.append(f"the object covers only {ink:.0%} of the frame")
    edge = _border(x)
    if float((edge > OBJECT_LEVEL).mean()) > 0.5:
        reasons.append("the object fills the border: no plain background was found")
    return "; ".join(reasons) or None
