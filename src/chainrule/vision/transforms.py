"""torchvision's per-image transforms: a PIL image in, a CHW float tensor out.

Each transform works on one image (``ImageFolder`` applies it in ``__getitem__``), with torchvision's
names, arguments and semantics: geometry and colour transforms take PIL images (and CHW tensors where
cheap), ``ToTensor`` gives float32 in [0, 1], ``Normalize`` standardises a tensor. Random transforms draw
from ``generator=`` (or a fresh one from ``seed=``) when given, else from chainrule's global generator, so
``chainrule.manual_seed(0)`` makes a pipeline repeatable. (``chainrule.data.transforms`` holds the
batch-at-once transforms for arrays already in memory.)

>>> from chainrule.vision import transforms as T
>>> tf = T.Compose([T.Grayscale(), T.Resize(28), T.CenterCrop(28), T.ToTensor(), T.Normalize((0.286,), (0.353,))])
>>> tf(PIL.Image.open("shoe.jpg")).shape  # doctest: +SKIP
Size([1, 28, 28])
"""

from __future__ import annotations

import math
import numbers

import numpy as np

import chainrule as cr
from chainrule.data._util import resolve_generator, rng_of

__all__ = ["CenterCrop", "ColorJitter", "Compose", "Grayscale", "InterpolationMode", "Lambda", "Normalize", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop", "RandomRotation", "RandomVerticalFlip", "Resize",
           "ToTensor"]


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


class RandomVerticalFlip(_Random):
    """Mirror the image top-bottom with probability ``p`` (default 0.5)."""

    def __init__(self, p=0.5, *, generator=None, seed=None):
        self.p = p
        self._init_rng(generator, seed)

    def __call__(self, img):
        if self._rng().random() >= self.p:
            return img
        if _is_tensor(img):
            return img[..., ::-1, :]
        Image, _ = _pil()
        return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


class RandomHorizontalFlip(_Random):
    """Mirror the image left-right with probability ``p`` (default 0.5)."""

    def __init__(self, p=0.5, *, generator=None, seed=None):
        self.p = p
        self._init_rng(generator, seed)

    def __call__(self, img):
        if self._rng().random() >= self.p:
            return img
        if _is_tensor(img):
            return img[..., ::-1]
        Image, _ = _pil()
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


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
