"""Gradient and parameter utilities, as ``torch.nn.utils``: clipping and flattening parameters.

>>> loss.backward()
>>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # before optimizer.step()
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad._data for p in parameters if p.grad is not None]


def _norm(arr, norm_type):
    if norm_type == math.inf:
        return np.abs(arr).max(initial=0.0)
    if norm_type == 2.0:
        flat = arr.reshape(-1)
        return math.sqrt(float(np.dot(flat, flat)))
    return float((np.abs(arr) ** norm_type).sum()) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector."""
    arrays = [t._data for t in ([tensors] if isinstance(tensors, Tensor) else tensors)]
    return _total_norm(arrays, float(norm_type), error_if_nonfinite)


def _total_norm(arrays, norm_type, error_if_nonfinite):
    if not arrays:
        return Tensor._wrap(np.array(0.0, dtype=np.float32))
    norms = [float(_norm(a, norm_type)) for a in arrays]
    if norm_type == math.inf:
        total = max(norms)
    elif norm_type == 2.0:
        total = math.sqrt(math.fsum(n * n for n in norms))
    else:
        total = math.fsum(n**norm_type for n in norms) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor._wrap(np.array(total, dtype=np.result_type(*arrays)))


def _scale(arrays, max_norm, total):
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    if coef < 1.0 or math.isnan(coef):
        with np.errstate(invalid="ignore"):  # inf * 0 -> nan, silently, as in PyTorch
            for g in arrays:
                g *= g.dtype.type(coef)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    _scale(_grads(parameters), max_norm, total_norm)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale gradients in place so that their total norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector; when it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``.

    Args:
        parameters (iterable of Tensor or a Tensor): parameters whose ``.grad`` is clipped.
        max_norm (float): the largest allowed total norm.
        norm_type (float or 'inf'): the p of the p-norm. Default 2.0.
        error_if_nonfinite (bool): raise if the total norm is nan or inf. Default False.
        foreach: accepted for compatibility.

    Returns:
        Tensor: the total norm before clipping (a 0-d tensor).

    >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    grads = _grads(parameters)
    total = _total_norm(grads, float(norm_type), error_if_nonfinite)
    _scale(grads, max_norm, total._data)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    v = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -v, v, out=g)


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the parameters, flattened, into one 1-D tensor (differentiable)."""
    from chainrule.functions import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place (the inverse of the above)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got: {type(vec).__name__}")
    data = vec._data
    if data.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape {tuple(data.shape)}")
    offset = 0
    params = list(parameters)
    needed = sum(p._data.size for p in params)
    if needed != data.size:
        raise ValueError(f"vector_to_parameters: the vector has {data.size} elements, the parameters {needed}")
    for p in params:
        n = p._data.size
        p._data[...] = data[offset:offset + n].reshape(p._data.shape)
        offset += n

from chainrule.nn.utils import rnn  # noqa: E402, F401  (a subpackage, as torch.nn.utils.rnn)
