"""Geometric transforms: resize, crop, pad, flip, rotate (PIL images, and CHW tensors where cheap)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from chainrule.vision.transforms._base import (
    _PAD_MODES,
    InterpolationMode,
    _crop,
    _is_tensor,
    _on_channels,
    _pad,
    _padding,
    _pair,
    _pil,
    _Random,
    _resample,
    _resize,
    _size,
)


class Resize:
    """Resize to ``size``: an int matches the shorter edge (keeping the aspect ratio), (h, w) is exact.

    Args:
        size (int or (h, w)). interpolation: Default ``InterpolationMode.BILINEAR``.
        max_size (int or None): cap on the longer edge when ``size`` is an int. antialias: accepted (Pillow
            always antialiases).

    >>> Resize(28)(image_of_size(w=64, h=32)).size
    (56, 28)
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, numbers.Number) and len(size) not in (1, 2):
            raise ValueError(f"Resize: size must be an int or a (height, width) pair, got {size!r}")
        self.size, self.interpolation, self.max_size, self.antialias = size, interpolation, max_size, antialias

    def _output_size(self, h, w):
        if not isinstance(self.size, numbers.Number) and len(self.size) == 2:
            return int(self.size[0]), int(self.size[1])
        requested = int(self.size if isinstance(self.size, numbers.Number) else self.size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)

    def __call__(self, img):
        return _resize(img, self._output_size(*_size(img)), self.interpolation)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation}, max_size={self.max_size})"


class CenterCrop:
    """Crop the centre ``size`` (int or (h, w)); an image smaller than that is first padded with zeros."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        ch, cw = self.size
        h, w = _size(img)
        if ch > h or cw > w:
            img = _pad(img, (cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                       (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0)
            h, w = _size(img)
        return _crop(img, round((h - ch) / 2.0), round((w - cw) / 2.0), ch, cw)

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


class Pad:
    """Pad the borders: ``padding`` is an int (all sides), (left/right, top/bottom) or (left, top, right, bottom).

    Args:
        padding. fill (number or tuple): for ``padding_mode="constant"``. Default 0.
        padding_mode (str): ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``. Default constant.
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding, self.fill, self.padding_mode = _padding(padding, "Pad"), fill, padding_mode
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"Pad: padding_mode must be one of {', '.join(_PAD_MODES)}, got {padding_mode!r}")

    def __call__(self, img):
        return _pad(img, *self.padding, fill=self.fill, padding_mode=self.padding_mode)

    def __repr__(self):
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomResizedCrop(_Random):
    """Crop a random part (area fraction in ``scale``, aspect ratio in ``ratio``) and resize it to ``size``.

    Args:
        size (int or (h, w)). scale (pair): Default (0.08, 1.0). ratio (pair): Default (3/4, 4/3).
        interpolation: Default bilinear. generator / seed: the randomness (keyword-only).
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True, *, generator=None, seed=None):
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale and ratio must be (min, max), got {scale} and {ratio}")
        self.size, self.scale, self.ratio = _pair(size, "RandomResizedCrop"), scale, ratio
        self.interpolation = interpolation
        self._init_rng(generator, seed)

    def get_params(self, img):
        """(top, left, height, width) of a random crop, drawn as torchvision draws it (10 tries, then the centre)."""
        height, width = _size(img)
        area = height * width
        rng = self._rng()
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(rng.uniform(*log_ratio))
            w = round(math.sqrt(target_area * aspect))
            h = round(math.sqrt(target_area / aspect))
            if 0 < w <= width and 0 < h <= height:
                return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            w, h = width, round(width / min(self.ratio))
        elif in_ratio > max(self.ratio):
            h, w = height, round(height * max(self.ratio))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        return _resize(_crop(img, *self.get_params(img)), self.size, self.interpolation)


class RandomCrop(_Random):
    """Crop a random ``size`` window, after optional padding (the CIFAR recipe: ``RandomCrop(32, padding=4)``).

    Args:
        size (int or (h, w)). padding: as in :class:`Pad`, or None. pad_if_needed (bool): pad a smaller image
        to fit. fill, padding_mode: as in :class:`Pad`. generator / seed: the randomness (keyword-only).
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", *, generator=None,
                 seed=None):
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding(padding, "RandomCrop")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self._init_rng(generator, seed)

    def get_params(self, img):
        """(top, left, height, width) of a random window of ``size`` in ``img``."""
        h, w = _size(img)
        th, tw = self.size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: crop size {(th, tw)} is larger than the image {(h, w)}; "
                             "pass pad_if_needed=True or padding=")
        rng = self._rng()
        return int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1)), th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = _pad(img, *self.padding, fill=self.fill, padding_mode=self.padding_mode)
        h, w = _size(img)
        th, tw = self.size
        if self.pad_if_needed and (w < tw or h < th):  # torchvision pads both sides by the shortfall
            dw, dh = max(0, tw - w), max(0, th - h)
            img = _pad(img, dw, dh, dw, dh, fill=self.fill, padding_mode=self.padding_mode)
        return _crop(img, *self.get_params(img))


class _RandomFlip(_Random):
    """Mirror the image with probability ``p``: a tensor by indexing with ``_index``, a PIL image by ``_pil``."""

    _index = _pil = None

    def __init__(self, p=0.5, *, generator=None, seed=None):
        self.p = p
        self._init_rng(generator, seed)

    def __call__(self, img):
        if self._rng().random() >= self.p:
            return img
        if _is_tensor(img):
            return img[self._index]
        Image, _ = _pil()
        return img.transpose(getattr(Image.Transpose, self._pil))


class RandomVerticalFlip(_RandomFlip):
    """Mirror the image top-bottom with probability ``p`` (default 0.5)."""

    _index, _pil = (..., slice(None, None, -1), slice(None)), "FLIP_TOP_BOTTOM"  # img[..., ::-1, :]


class RandomHorizontalFlip(_RandomFlip):
    """Mirror the image left-right with probability ``p`` (default 0.5)."""

    _index, _pil = (..., slice(None, None, -1)), "FLIP_LEFT_RIGHT"  # img[..., ::-1]


class RandomRotation(_Random):
    """Rotate by an angle drawn uniformly from ``degrees`` (a number d means (-d, d)), counter-clockwise.

    Args:
        degrees (number or (min, max)). interpolation: Default nearest. expand (bool): grow the canvas to fit.
        center ((x, y) or None): Default the image centre. fill (number or tuple): for the corners. Default 0.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0, *,
                 generator=None, seed=None):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(f"RandomRotation: a single degrees value must be >= 0, got {degrees}")
            degrees = (-degrees, degrees)
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation, self.expand, self.center, self.fill = interpolation, expand, center, fill
        self._init_rng(generator, seed)

    def __call__(self, img):
        angle = float(self._rng().uniform(*self.degrees))
        resample = _resample(self.interpolation)
        if _is_tensor(img):
            return _on_channels(img, lambda c: c.rotate(angle, resample, self.expand, self.center,
                                                        fillcolor=float(np.mean(self.fill))))
        fill = self.fill
        if isinstance(fill, numbers.Number):
            fill = int(fill) if len(img.getbands()) == 1 else tuple([int(fill)] * len(img.getbands()))
        return img.rotate(angle, resample, self.expand, self.center, fillcolor=fill)
