"""Normalisation layers: ``BatchNorm1d`` (per channel, over the batch) and ``LayerNorm`` (per sample)."""

from __future__ import annotations

import numbers

import numpy as np

from chainrule import dtypes
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor


class BatchNorm1d(Module):
    """Normalise each channel with the batch's mean and variance, then scale and shift (Ioffe & Szegedy, 2015).

    Training: y = (x - mean_batch) / sqrt(var_batch + eps) * weight + bias (biased variance), and the
    running statistics move towards the batch's: running = (1 - momentum) * running + momentum * batch
    (unbiased variance). Evaluation (``model.eval()``): the running statistics replace the batch's.

    Args:
        num_features (int): number of channels C.
        eps (float): added to the variance for stability. Default 1e-5.
        momentum (float or None): weight of the newest batch in the running statistics; None means a
            cumulative average over all batches seen. Default 0.1.
        affine (bool): learn ``weight`` (ones) and ``bias`` (zeros) per channel. Default True.
        track_running_stats (bool): keep ``running_mean``, ``running_var`` and ``num_batches_tracked``;
            if False the batch statistics are used in eval mode too. Default True.
        dtype: parameter and buffer dtype. Default None (float32).
        bias (bool, keyword-only): learn the bias (when affine). Default True.

    Shape: input (N, C) or (N, C, L) -> same shape.

    >>> bn = nn.BatchNorm1d(3)
    >>> bn(chainrule.randn(8, 3)).shape
    Size([8, 3])
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d(num_features={self.num_features}): expected 2D or 3D input (N, C) or "
                             f"(N, C, L) (got {input.ndim}D input of shape {tuple(input.shape)})"
                             + ("; flatten it first (x.view(x.shape[0], -1))" if input.ndim > 3 else ""))
        if input.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d(num_features={self.num_features}) got input of shape "
                             f"{tuple(input.shape)}; dimension 1 must be the {self.num_features} channels")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch_stats, factor, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys, error_msgs,
                              **kwargs):
        # PyTorch accepts checkpoints without num_batches_tracked (older format) and keeps the counter at 0
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            state_dict = dict(state_dict)
            state_dict[key] = np.array(0, dtype=np.int64)
        super()._load_from_state_dict(state_dict, prefix, strict, missing_keys, unexpected_keys, error_msgs, **kwargs)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalise each sample over its last dimensions, then scale and shift elementwise (Ba et al., 2016).

    y = (x - mean) / sqrt(var + eps) * weight + bias, with the mean and (biased) variance taken over
    the last ``len(normalized_shape)`` dimensions. Unlike BatchNorm it behaves the same in training and
    evaluation.

    Args:
        normalized_shape (int or tuple): the trailing shape to normalise over, e.g. 256 or (8, 256).
        eps (float): added to the variance for stability. Default 1e-5.
        elementwise_affine (bool): learn ``weight`` (ones) and ``bias`` (zeros) of that shape. Default True.
        bias (bool): learn the bias (when elementwise_affine). Default True.
        dtype: parameter dtype. Default None (float32).

    Shape: input (*, *normalized_shape) -> same shape.

    >>> ln = nn.LayerNorm(10)
    >>> ln(chainrule.randn(4, 10)).shape
    Size([4, 10])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        _affine_parameters(self, self.normalized_shape, dtype, elementwise_affine, bias)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


def _affine_parameters(module, shape, dtype, affine: bool, bias: bool) -> None:
    """A normalisation layer's optional scale (ones) and shift (zeros), registered as None when absent."""
    module.register_parameter("weight", Parameter(np.empty(shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(np.empty(shape, dtype=dtype)) if affine and bias else None)
    _reset_affine(module)


def _reset_affine(module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)
