"""Batch transforms for preprocessing and augmentation, named after torchvision's: chainrule's fast path.

Each transform here works on a whole batch at once, so augmenting a batch costs a few vectorised
NumPy calls instead of a Python loop over images. Their meaning is still torchvision's, per sample:

- given to a dataset as ``transform=``, a transform means what torchvision's does: it is applied to
  each sample (``apply_to_sample``). When every part of it is *batchable* (applying it to a batch
  equals applying it to each sample, which holds for all of these except ``Lambda``), the
  ``DataLoader`` applies it to whole batches instead: same result, one call per batch;
- ``Lambda`` (and any plain function) in a dataset's ``transform`` sees one sample, a Tensor, as in
  torchvision: ``Lambda(lambda x: torch.flatten(x))`` flattens one image. Functions of a whole batch
  go to ``DataLoader(batch_transform=...)``;
- ``chainrule.vision.transforms`` holds the torchvision-compatible per-sample transforms (PIL images in).

Shapes and types of the batch form:

- images: ``(N, H, W)`` or ``(N, C, H, W)``; features: ``(N, D)`` where it makes sense;
- an array in gives an array out, a Tensor in gives a Tensor out (the loader wraps at the end);
- random transforms draw from ``generator`` (a call argument, which the DataLoader passes, else the
  one given at construction, else the global generator), each sample getting its own draw.

>>> import numpy as np
>>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,)), RandomCrop(28, padding=2)])
>>> t(np.zeros((64, 28, 28), np.uint8)).shape
(64, 1, 28, 28)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._util import as_array, is_tensor, rng_of, wrap

__all__ = [
    "apply_to_sample", "is_batchable", "Transform", "Compose", "Lambda", "ToFloat", "ToTensor", "Normalize",
    "RandomCrop", "RandomShift", "RandomHorizontalFlip", "GaussianNoise",
]


def apply_transform(transform, x, generator=None):
    """Call ``transform`` on batch ``x``, passing ``generator`` only to chainrule transforms."""
    if isinstance(transform, Transform):
        return transform(x, generator)
    return transform(x)


def is_batchable(transform) -> bool:
    """Whether applying ``transform`` to a batch gives the same as applying it to each sample."""
    if isinstance(transform, Compose):
        return all(is_batchable(t) for t in transform.transforms)
    return isinstance(transform, Transform) and transform.batchable


def apply_to_sample(transform, x, generator=None):
    """Apply a dataset's ``transform`` to one sample, with torchvision's meaning.

    Batchable chainrule transforms see the sample with a batch axis of 1 (taken off again); functions
    and ``Lambda`` see the sample itself, as a Tensor when it is an array (PIL images stay images).
    """
    if isinstance(transform, Compose):
        for t in transform.transforms:
            x = apply_to_sample(t, x, generator)
        return x
    if isinstance(transform, Transform) and transform.batchable:
        return wrap(transform.forward(np.asarray(as_array(x))[None], generator)[0])
    if isinstance(x, np.ndarray):
        x = wrap(x)
    if isinstance(transform, Lambda):
        return transform.lambd(x)
    return transform(x)


class Transform:
    """Base class: subclasses implement ``forward(x, generator)`` on a NumPy batch.

    ``batchable`` (True by default) promises that the batch form equals the per-sample one.
    """

    batchable = True

    def __call__(self, x, generator=None):
        if is_tensor(x):
            return wrap(self.forward(as_array(x), generator))
        return self.forward(np.asarray(x), generator)

    def forward(self, x: np.ndarray, generator=None) -> np.ndarray:
        raise NotImplementedError

    def _rng(self, generator):
        return rng_of(generator if generator is not None else getattr(self, "generator", None))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "generator")
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply several transforms in order.

    Args:
        transforms (list of callables): chainrule transforms or plain functions of one array.

    >>> Compose([ToFloat(), GaussianNoise(0.1)])(np.zeros((2, 3), np.uint8)).dtype
    dtype('float32')
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def forward(self, x, generator=None):
        for t in self.transforms:
            x = t.forward(x, generator) if isinstance(t, Transform) else as_array(t(x))
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda(Transform):
    """Apply a user function (torchvision's ``Lambda``): to each sample as a dataset's ``transform``, to
    the whole batch as a ``DataLoader``'s ``batch_transform``.

    Args:
        lambd (callable): function of one sample (a Tensor) or of one batch.

    >>> Lambda(lambda x: x * 2)(np.ones(3)).tolist()
    [2.0, 2.0, 2.0]
    """

    batchable = False  # a function may mix samples (flatten, mean ...): per sample in a dataset

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: lambd must be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def forward(self, x, generator=None):
        return as_array(self.lambd(x))


class ToFloat(Transform):
    """Convert to float32: uint8 images are scaled from 0..255 to [0, 1]; floats pass unchanged.

    >>> ToFloat()(np.array([[0, 51, 255]], np.uint8)).tolist()
    [[0.0, 0.20000000298023224, 1.0]]
    """

    def forward(self, x, generator=None):
        if x.dtype == np.uint8:
            return np.divide(x, np.float32(255), dtype=np.float32)  # as torchvision: float() / 255
        return x.astype(np.float32, copy=False)


class ToTensor(ToFloat):
    """torchvision's ``ToTensor`` for batches: ``ToFloat`` plus a channel axis for ``(N, H, W)`` images.

    Shape:
        - input: ``(N, H, W)`` or ``(N, C, H, W)``, uint8 or float.
        - output: ``(N, 1, H, W)`` or ``(N, C, H, W)``, float32.

    >>> ToTensor()(np.zeros((5, 28, 28), np.uint8)).shape
    (5, 1, 28, 28)
    """

    def forward(self, x, generator=None):
        x = super().forward(x)
        return x[:, None] if x.ndim == 3 else x


class Normalize(Transform):
    """Standardise per channel: ``(x - mean[c]) / std[c]``, channel axis 1.

    Args:
        mean (float or sequence): one value, or one per channel (per feature for ``(N, D)``).
        std (float or sequence): likewise; must be non-zero.
        inplace (bool): overwrite the input batch. Default: False.

    Shape:
        - input: ``(N, C, H, W)``, ``(N, H, W)`` (one value only) or ``(N, D)``; float.

    >>> Normalize((0.5,), (0.5,))(np.ones((2, 1, 2, 2), np.float32)).max()
    np.float32(1.0)
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if self.mean.size == 0 or self.std.size == 0:
            raise ValueError("Normalize: mean and std must not be empty")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std.tolist()}")
        self.inplace = inplace

    def forward(self, x, generator=None):
        if x.dtype.kind != "f":
            raise TypeError(f"Normalize: expected a float batch, got {x.dtype}; put ToFloat() or ToTensor() first")
        n = max(self.mean.size, self.std.size)
        fits = x.ndim in (2, 4) and x.shape[1] == n and self.mean.size in (1, n) and self.std.size in (1, n)
        if n > 1 and not fits:
            raise ValueError(
                f"Normalize: got {self.mean.size} mean and {self.std.size} std values, but the input of shape "
                f"{x.shape} needs one value, or one per channel on axis 1 of an (N, C, H, W) or (N, D) batch"
            )
        shape = (1, n) + (1,) * (x.ndim - 2)
        mean = self.mean[0] if self.mean.size == 1 else self.mean.reshape(shape)
        std = self.std[0] if self.std.size == 1 else self.std.reshape(shape)
        out = x if self.inplace else np.empty_like(x)
        np.subtract(x, mean, out=out)
        np.divide(out, std, out=out)
        return out


def _check_images(name: str, x: np.ndarray) -> None:
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected images of shape (N, H, W) or (N, C, H, W), got shape {x.shape}")


def _pad_hw(x: np.ndarray, top, bottom, left, right, fill, padding_mode) -> np.ndarray:
    """Pad the last two axes of a batch."""
    if not (top or bottom or left or right):
        return x
    if padding_mode != "constant":
        width = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(x, width, mode=padding_mode)
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + top + bottom, w + left + right), fill, dtype=x.dtype)
    out[..., top:top + h, left:left + w] = x
    return out


def _random_windows(x: np.ndarray, h: int, w: int, rng) -> np.ndarray:
    """One ``h`` x ``w`` window per sample at a random position, with a single gather."""
    n = len(x)
    oy = rng.integers(0, x.shape[-2] - h + 1, size=n)
    ox = rng.integers(0, x.shape[-1] - w + 1, size=n)
    windows = sliding_window_view(x, (h, w), axis=(-2, -1))  # (N, [C,] H', W', h, w), no copy
    rows = np.arange(n)
    return windows[rows, oy, ox] if x.ndim == 3 else windows[rows, :, oy, ox]


_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


class RandomCrop(Transform):
    """Crop a random ``size`` window from each image, after optional padding (random translation).

    Args:
        size (int or (h, w)): output size.
        padding (int or sequence, optional): pad all sides by ``padding``; ``(lr, tb)`` or
            ``(left, top, right, bottom)`` as torchvision. Default: None.
        pad_if_needed (bool): pad images smaller than ``size``. Default: False.
        fill (number): value for ``padding_mode="constant"``. Default: 0.
        padding_mode (str): "constant", "edge", "reflect" or "symmetric". Default: "constant".
        generator (Generator, optional): used when the call passes none. Default: None.

    Shape:
        - input: ``(N, H, W)`` or ``(N, C, H, W)``; output: ``(N, h, w)`` or ``(N, C, h, w)``.

    >>> RandomCrop(28, padding=4)(np.zeros((8, 1, 28, 28), np.float32)).shape
    (8, 1, 28, 28)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", *, generator=None):
        self.size = (int(size), int(size)) if np.isscalar(size) else tuple(int(s) for s in size)
        if len(self.size) != 2 or min(self.size) <= 0:
            raise ValueError(f"RandomCrop: size must be a positive int or (h, w), got {size!r}")
        if padding is None:
            pad = (0, 0, 0, 0)
        elif np.isscalar(padding):
            pad = (int(padding),) * 4
        elif len(padding) == 2:
            pad = (int(padding[0]), int(padding[1])) * 2
        elif len(padding) == 4:
            pad = tuple(int(p) for p in padding)
        else:
            raise ValueError(f"RandomCrop: padding must be an int or a sequence of 2 or 4 ints, got {padding!r}")
        if min(pad) < 0:
            raise ValueError(f"RandomCrop: padding must be non-negative, got {padding!r}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode
        self._pad = pad  # left, top, right, bottom
        self.generator = generator

    def forward(self, x, generator=None):
        _check_images("RandomCrop", x)
        left, top, right, bottom = self._pad
        h, w = self.size
        if self.pad_if_needed:
            extra_h = max(0, h - (x.shape[-2] + top + bottom))
            extra_w = max(0, w - (x.shape[-1] + left + right))
            top, bottom, left, right = top + extra_h, bottom + extra_h, left + extra_w, right + extra_w
        x = _pad_hw(x, top, bottom, left, right, self.fill, self.padding_mode)
        if x.shape[-2] < h or x.shape[-1] < w:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the (padded) image size {x.shape[-2:]}"
            )
        return _random_windows(x, h, w, self._rng(generator))


class RandomShift(Transform):
    """Translate each image by a random whole number of pixels in ``[-max_shift, max_shift]`` per axis.

    Pixels shifted in are ``fill``; the image size is unchanged. Equivalent to
    ``RandomCrop((H, W), padding=max_shift, fill=fill)``.

    Args:
        max_shift (int): largest shift in pixels. Default: 2.
        fill (number): value shifted in. Default: 0.
        generator (Generator, optional): used when the call passes none. Default: None.

    Shape:
        - input and output: ``(N, H, W)`` or ``(N, C, H, W)``.

    >>> RandomShift(2)(np.ones((4, 28, 28), np.float32)).shape
    (4, 28, 28)
    """

    def __init__(self, max_shift=2, fill=0, *, generator=None):
        if int(max_shift) != max_shift or max_shift < 0:
            raise ValueError(f"RandomShift: max_shift must be a non-negative int, got {max_shift!r}")
        self.max_shift, self.fill, self.generator = int(max_shift), fill, generator

    def forward(self, x, generator=None):
        _check_images("RandomShift", x)
        s = self.max_shift
        h, w = x.shape[-2:]
        return _random_windows(_pad_hw(x, s, s, s, s, self.fill, "constant"), h, w, self._rng(generator))


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p`` (independently per sample).

    Args:
        p (float): flip probability. Default: 0.5.
        generator (Generator, optional): used when the call passes none. Default: None.

    Shape:
        - input and output: ``(N, H, W)`` or ``(N, C, H, W)``.

    >>> RandomHorizontalFlip(p=1.0)(np.array([[[1, 2, 3]]])).tolist()
    [[[3, 2, 1]]]
    """

    def __init__(self, p=0.5, *, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p!r}")
        self.p, self.generator = p, generator

    def forward(self, x, generator=None):
        _check_images("RandomHorizontalFlip", x)
        flip = self._rng(generator).random(len(x)) < self.p
        return np.where(flip.reshape((-1,) + (1,) * (x.ndim - 1)), x[..., ::-1], x)


class GaussianNoise(Transform):
    """Add independent Gaussian noise ``N(mean, std**2)`` to every value (Keras's ``GaussianNoise``).

    Args:
        std (float): standard deviation of the noise. Default: 0.1.
        mean (float): mean of the noise. Default: 0.0.
        generator (Generator, optional): used when the call passes none. Default: None.

    Shape:
        - input and output: any ``(N, *)`` float batch.

    >>> GaussianNoise(0.0)(np.ones((2, 3), np.float32)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, std=0.1, mean=0.0, *, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std!r}")
        self.std, self.mean, self.generator = std, mean, generator

    def forward(self, x, generator=None):
        if x.dtype.kind != "f":
            raise TypeError(f"GaussianNoise: expected a float batch, got {x.dtype}; put ToFloat() first")
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
        noise = self._rng(generator).standard_normal(x.shape, dtype=dtype)
        noise *= self.std
        if self.mean:
            noise += self.mean
        if dtype != x.dtype:
            return (x + noise).astype(x.dtype)
        return np.add(x, noise, out=noise)
