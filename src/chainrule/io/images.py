"""Reading an image file as gray levels, safely: regular files only, no decompression bombs, deep and float
images scaled (not clipped).

Pillow's ``convert("L")`` clips a 16-bit image (``I;16``: values up to 65535) to 255, so a normal 16-bit
scan reads as all white; float images (``F``) in [0, 1] read as black. ``read_gray`` scales 16- and 32-bit
integer images from their full range and float images from [0, 1] (or from their own minimum and
maximum when outside it). A file declaring more than ``MAX_PIXELS`` pixels is refused from its header,
before anything is decoded.
"""

from __future__ import annotations

import warnings

import numpy as np

from chainrule.io.files import open_regular

__all__ = ["ImageFileError", "MAX_PIXELS", "read_gray"]

MAX_PIXELS = 50_000_000  # about 7000 x 7000: far more than any input here needs; larger is a bomb or a mistake


class ImageFileError(ValueError):
    """An image file that cannot be read: not an image, truncated, or declaring too many pixels."""


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("reading images needs Pillow, which is not installed: pip install chainrule[image]") from e
    return Image


def read_gray(path, max_pixels: int = MAX_PIXELS):
    """Read ``path`` as an 8-bit grayscale Pillow image (mode ``"L"``), scaling deep and float images.

    Args:
        path (str or PathLike): the image file (PNG, JPEG, TIFF, ... anything Pillow reads).
        max_pixels (int): refuse images declaring more pixels than this. Default: ``MAX_PIXELS``.

    Raises:
        ImageFileError: not an image, a decompression bomb, too large, or truncated / corrupt.
        NotARegularFileError: a FIFO, device or folder (an ``OSError``).

    >>> np.asarray(read_gray("scan-16bit.png")).max()  # doctest: +SKIP
    255
    """
    Image = _pil()
    from PIL import UnidentifiedImageError

    with open_regular(path) as f:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(f)  # reads the header only
        except UnidentifiedImageError:
            raise ImageFileError(f"{path}: not an image file Pillow can read") from None
        except Image.DecompressionBombError as e:
            raise ImageFileError(f"{path}: refused as a decompression bomb ({e})") from None
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageFileError(f"{path}: the image declares {width}x{height} pixels ({width * height:,}), more "
                                     f"than the {max_pixels:,} chainrule decodes (a decompression bomb, or a huge "
                                     "picture: shrink it first)")
            try:
                return _to_gray(image, Image)
            except (OSError, SyntaxError, ValueError) as e:  # truncated or corrupt data
                raise ImageFileError(f"{path}: cannot decode the image ({e})") from None


def _to_gray(image, Image):
    """An 8-bit grayscale ('L') image; deep and float images are scaled, not clipped (Pillow's convert clips)."""
    if image.mode.startswith("I;16"):
        values = np.asarray(image, dtype=np.float64) / 65535.0
    elif image.mode == "I":  # 32-bit ints; 16-bit PNGs open so in some Pillow versions
        values = np.asarray(image, dtype=np.float64)
        values = values / (65535.0 if values.min(initial=0) >= 0 and values.max(initial=0) <= 65535 else 2**32 - 1)
        values = np.clip(values, 0.0, 1.0)
    elif image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise ValueError("the float image holds no finite values")
        low, high = float(finite.min()), float(finite.max())
        if low < 0.0 or high > 1.0:  # not in [0, 1]: stretch its own range
            values = (values - low) / (high - low) if high > low else np.zeros_like(values)
        values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)
    else:
        gray = image.convert("L")
        gray.load()
        return gray
    return Image.fromarray(np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8), mode="L")
