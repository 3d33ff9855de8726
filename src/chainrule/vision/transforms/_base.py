"""What the per-image transforms share: Pillow access, sizes, resizing, cropping and padding of PIL images
and CHW tensors, ``Compose``, ``Lambda`` and the randomness of random transforms."""

from __future__ import annotations

import numbers

import numpy as np

import chainrule as cr
from chainrule.data._util import resolve_generator, rng_of


def _pil():
    try:
        from PIL import Image, ImageEnhance
    except ImportError as e:
        raise ImportError("chainrule.vision.transforms needs Pillow, which is not installed: "
                          "pip install chainrule[image]") from e
    return Image, ImageEnhance


class InterpolationMode:
    """torchvision's interpolation names (strings here), mapped to Pillow's resampling filters."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _resample(mode):
    Image, _ = _pil()
    if isinstance(mode, int):  # a Pillow constant, as older torchvision accepted
        return mode
    name = getattr(mode, "value", mode)
    try:
        return getattr(Image.Resampling, str(name).upper())
    except AttributeError:
        raise ValueError(f"unknown interpolation {mode!r}; use InterpolationMode.BILINEAR, NEAREST, ...") from None


def _is_tensor(img) -> bool:
    return isinstance(img, cr.Tensor)


def _size(img) -> tuple[int, int]:
    """(height, width) of a PIL image or a (..., H, W) tensor."""
    if _is_tensor(img):
        return int(img.shape[-2]), int(img.shape[-1])
    if not hasattr(img, "size") or not hasattr(img, "mode"):
        raise TypeError(f"expected a PIL image or a chainrule tensor (C, H, W), got {type(img).__name__}")
    return img.size[1], img.size[0]


def _pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name}: size must be an int or a (height, width) pair, got {size!r}")
    return int(size[0]), int(size[1])


def _on_channels(img, fn):
    """Run a PIL operation on each channel of a (C, H, W) float tensor (as 32-bit float images)."""
    Image, _ = _pil()
    arr = np.asarray(img.detach().numpy())
    out = np.stack([np.asarray(fn(Image.fromarray(np.ascontiguousarray(c, dtype=np.float32), mode="F")))
                    for c in arr.reshape(-1, *arr.shape[-2:])])
    return cr.from_numpy(out.reshape(*arr.shape[:-2], *out.shape[-2:]).astype(arr.dtype, copy=False))


def _resize(img, size_hw, interpolation):
    if _size(img) == tuple(size_hw):
        return img
    h, w = size_hw
    if _is_tensor(img):
        return _on_channels(img, lambda c: c.resize((w, h), _resample(interpolation)))
    return img.resize((w, h), _resample(interpolation))


def _crop(img, top, left, height, width):
    if _is_tensor(img):
        return img[..., top:top + height, left:left + width]
    return img.crop((left, top, left + width, top + height))


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _pad(img, left, top, right, bottom, fill=0, padding_mode="constant"):
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"Pad: padding_mode must be one of {', '.join(_PAD_MODES)}, got {padding_mode!r}")
    fill_kw = {"constant_values": fill} if padding_mode == "constant" else {}
    if _is_tensor(img):
        arr = img.detach().numpy()
        pad = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
        return cr.from_numpy(np.pad(arr, pad, mode=padding_mode, **fill_kw))
    Image, _ = _pil()
    arr = np.asarray(img)
    pad = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    if padding_mode == "constant" and not isinstance(fill, numbers.Number):  # one fill value per band
        return Image.fromarray(np.stack([np.pad(arr[..., c], pad[:2], constant_values=f)
                                         for c, f in enumerate(fill)], axis=-1), img.mode)
    return Image.fromarray(np.pad(arr, pad, mode=padding_mode, **fill_kw), img.mode)


def _padding(padding, name: str) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"{name}: padding must be an int or a sequence of 2 or 4 ints, got {padding!r}")


class Compose:
    """Apply transforms in order: ``Compose([Resize(32), ToTensor()])(image)``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class Lambda:
    """Wrap a function of one image as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class _Random:
    """Shared by random transforms: ``generator=`` / ``seed=``, else chainrule's global generator."""

    def _init_rng(self, generator, seed):
        self.generator = resolve_generator(generator, seed, type(self).__name__)

    def _rng(self):
        return rng_of(self.generator)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "generator")
        return f"{type(self).__name__}({args})"
