"""Colour and conversion transforms: jitter, grayscale, ToTensor, Normalize."""

from __future__ import annotations

import numbers

import numpy as np

import chainrule as cr
from chainrule.vision.transforms._base import _is_tensor, _pil, _Random


class ColorJitter(_Random):
    """Randomly change brightness, contrast and saturation (each factor drawn from [max(0, 1 - v), 1 + v]
    or a given (min, max)), in a random order, as torchvision does. PIL images only; hue is not supported.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, *, generator=None, seed=None):
        if hue:
            raise NotImplementedError("ColorJitter(hue=...) is not supported by chainrule; use brightness, "
                                      "contrast and saturation")
        self.brightness = self._range("brightness", brightness)
        self.contrast = self._range("contrast", contrast)
        self.saturation = self._range("saturation", saturation)
        self.hue = None
        self._init_rng(generator, seed)

    @staticmethod
    def _range(name, value):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"ColorJitter: {name} must be non-negative, got {value}")
            value = (max(0.0, 1.0 - value), 1.0 + value)
        low, high = float(value[0]), float(value[1])
        if not 0 <= low <= high:
            raise ValueError(f"ColorJitter: {name} must be a range (min, max) with 0 <= min <= max, got {value}")
        return None if low == high == 1.0 else (low, high)

    def __call__(self, img):
        if _is_tensor(img):
            raise TypeError("ColorJitter works on PIL images; apply it before ToTensor()")
        _, ImageEnhance = _pil()
        rng = self._rng()
        order = rng.permutation(4)
        factors = [None if r is None else float(rng.uniform(*r)) for r in (self.brightness, self.contrast,
                                                                           self.saturation)] + [None]
        enhancers = (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color, None)
        for i in order:
            if factors[i] is not None:
                img = enhancers[i](img).enhance(factors[i])
        return img


class Grayscale:
    """Convert to grayscale (ITU-R 601-2 luma); ``num_output_channels=3`` repeats it into RGB."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3, got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        if _is_tensor(img):
            arr = img.detach().numpy()
            gray = arr[..., :1, :, :] if arr.shape[-3] == 1 else (
                0.299 * arr[..., 0:1, :, :] + 0.587 * arr[..., 1:2, :, :] + 0.114 * arr[..., 2:3, :, :])
            return cr.from_numpy(np.repeat(gray, self.num_output_channels, axis=-3).astype(arr.dtype, copy=False))
        Image, _ = _pil()
        gray = img.convert("L")
        if self.num_output_channels == 3:
            return Image.fromarray(np.dstack([np.asarray(gray)] * 3), "RGB")
        return gray

    def __repr__(self):
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class ToTensor:
    """A PIL image or an (H, W[, C]) array -> a float32 (C, H, W) tensor; 8-bit values are scaled to [0, 1].

    >>> ToTensor()(PIL.Image.new("RGB", (4, 2))).shape
    Size([3, 2, 4])
    """

    def __call__(self, pic):
        if isinstance(pic, np.ndarray):
            arr = pic
        elif hasattr(pic, "mode") and hasattr(pic, "getbands"):
            arr = np.asarray(pic.convert("L") if pic.mode == "1" else pic)
        else:
            raise TypeError(f"ToTensor: expected a PIL image or a NumPy array, got {type(pic).__name__}")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got {arr.shape}")
        out = arr.transpose(2, 0, 1).astype(np.float32)
        if arr.dtype == np.uint8:
            out /= 255.0
        return cr.from_numpy(np.ascontiguousarray(out))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """Standardise each channel of a (..., C, H, W) tensor: ``(x - mean[c]) / std[c]``.

    Args:
        mean (sequence), std (sequence): one value per channel (or one for all). inplace (bool): Default False.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = list(np.atleast_1d(mean)), list(np.atleast_1d(std)), inplace
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to float, leading to "
                             f"division by zero (std={self.std})")

    def __call__(self, tensor):
        if not _is_tensor(tensor):
            raise TypeError(f"Normalize: expected a tensor (apply ToTensor() first), got {type(tensor).__name__}")
        if tensor.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of shape (..., C, H, W), got {tuple(tensor.shape)}")
        channels = tensor.shape[-3]
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            raise ValueError(f"Normalize: mean/std have {len(self.mean)}/{len(self.std)} values for an image "
                             f"with {channels} channels")
        dtype = tensor.detach().numpy().dtype
        mean = cr.from_numpy(np.asarray(self.mean, dtype=dtype).reshape(-1, 1, 1))
        std = cr.from_numpy(np.asarray(self.std, dtype=dtype).reshape(-1, 1, 1))
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"
