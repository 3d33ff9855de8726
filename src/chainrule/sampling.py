"""Random sampling with PyTorch's signatures: ``normal``, ``multinomial``, ``bernoulli``, ``poisson``.

Every draw comes from ``generator=`` (a ``chainrule.Generator``) or the global generator seeded by
``manual_seed``. The distributions are PyTorch's; the numbers for a given seed are not (chainrule's
generator is NumPy's PCG64). Samples carry no gradient: PyTorch's are zero anyway.
"""

from __future__ import annotations

import numbers

import numpy as np

from chainrule import dtypes
from chainrule.devices import check as _check_device
from chainrule.random import rng_of
from chainrule.tensor import Tensor, _shape_arg

__all__ = ["normal", "multinomial", "bernoulli", "poisson"]


def _float_dtype(*arrays):
    kinds = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return np.result_type(*kinds) if kinds else dtypes.get_default_dtype()


def _out(arr, out, name):
    if out is None:
        return Tensor._wrap(arr)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    out._data = np.ascontiguousarray(arr, dtype=out._data.dtype) if out._data.shape != arr.shape else out._data
    out._data[...] = arr
    return out


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    """Samples from N(mean, std²), as ``torch.normal`` in all its forms.

    - ``normal(mean: Tensor, std: Tensor)``: one sample per element of the broadcast shape;
    - ``normal(mean: Tensor, std=1.0)`` and ``normal(mean: float, std: Tensor)``;
    - ``normal(mean: float, std: float, size)``: ``size`` samples of the default float dtype.

    Args:
        mean (Tensor or float): the means. Default: 0.
        std (Tensor or float): the standard deviations, >= 0. Default: 1.
        size (tuple of int, optional): the shape, when mean and std are both numbers.
        generator (Generator, optional): the random stream. Default: the global one.

    >>> normal(torch.zeros(2, 3), 1.0).shape
    Size([2, 3])
    """
    _check_device(device, "normal")
    m = mean._data if isinstance(mean, Tensor) else None
    s = std._data if isinstance(std, Tensor) else None
    if m is None and s is None:
        if size is None:
            raise TypeError("normal(): with a float mean and std, give the output size: normal(0.0, 1.0, size=(2, 3))")
        shape = _shape_arg((size,))
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        mean_arr, std_arr = np.float64(mean), np.float64(std)
    else:
        arrays = [a for a in (m, s) if a is not None]
        if dtype is None:
            dtype = _float_dtype(*arrays)
        mean_arr = m if m is not None else np.float64(mean)
        std_arr = s if s is not None else np.float64(std)
        shape = np.broadcast_shapes(np.shape(mean_arr), np.shape(std_arr))
    if np.any(np.asarray(std_arr) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(std_arr)}")
    z = rng_of(generator).standard_normal(shape)
    arr = (z * std_arr + mean_arr).astype(dtype, copy=False)
    t = _out(arr, out, "normal")
    if requires_grad:
        t.requires_grad = True
    return t


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Draw category indices with probabilities proportional to the rows of ``input``.

    Without replacement each row is sampled like drawing from an urn (the Gumbel top-k trick: the
    largest ``log w + Gumbel noise`` give exactly that distribution, in one vectorised step).

    Args:
        input (Tensor): non-negative weights, shape ``(C,)`` or ``(N, C)``; need not sum to 1.
        num_samples (int): samples per row.
        replacement (bool): draw with replacement. Default: False.
        generator (Generator, optional): the random stream. Default: the global one.

    Shape:
        - output: ``(num_samples,)`` or ``(N, num_samples)``, int64.

    >>> multinomial(torch.tensor([0.0, 1.0]), 2, replacement=True).tolist()
    [1, 1]
    """
    w = input._data if isinstance(input, Tensor) else np.asarray(input)
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {w.dtype}")
    if w.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {w.ndim} dims")
    if not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (num_samples={num_samples})")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n_cat = rows.shape[1]
    rng = rng_of(generator)
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((len(rows), num_samples)) * totals
        # side="right" skips zero-weight categories; u < total never selects past the last non-zero one
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
    else:
        if num_samples > n_cat:
            raise RuntimeError(
                f"cannot sample n_sample > prob_dist.size(-1) samples without replacement ({num_samples} > {n_cat})"
            )
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + rng.gumbel(size=rows.shape)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    return _out(idx if w.ndim == 2 else idx[0], out, "multinomial")


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """1 with probability ``input`` (or ``p`` when given), else 0, elementwise; same dtype as ``input``.

    >>> bernoulli(torch.tensor([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    probs = x if p is None else np.broadcast_to(np.asarray(p._data if isinstance(p, Tensor) else p), x.shape)
    if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1] (Expected p_in >= 0 && p_in <= 1)")
    arr = (rng_of(generator).random(x.shape) < probs).astype(x.dtype)
    return _out(arr, out, "bernoulli")


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (non-negative), in ``input``'s dtype.

    >>> poisson(torch.zeros(3)).tolist()
    [0.0, 0.0, 0.0]
    """
    rates = input._data
    if np.any(rates < 0) or np.any(np.isnan(rates)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return Tensor._wrap(rng_of(generator).poisson(rates).astype(rates.dtype))
