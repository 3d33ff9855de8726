"""``nn.RMSNorm`` and ``F.rms_norm``: x / sqrt(mean(x^2) + eps) * weight over the last dimensions."""

from __future__ import annotations

import numpy as np

from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor

__all__ = ["RMSNorm", "rms_norm"]


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions.

    ``eps`` defaults to the dtype's machine epsilon, as PyTorch's.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[-len(shape):]) != shape:
        raise RuntimeError(f"rms_norm: expected input with shape [*, {', '.join(map(str, shape))}], "
                           f"but got input of size {list(input.shape)}")
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    dims = tuple(range(-len(shape), 0))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


class RMSNorm(Module):
    """RMS normalisation (Zhang and Sennrich, 2019) with a learned scale.

    Args:
        normalized_shape (int or tuple): the trailing dimensions normalised together.
        eps (float, optional): added under the root. Default: the dtype's machine epsilon.
        elementwise_affine (bool): learn a per-element scale (initialised to 1). Default: True.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            from chainrule.creation import ones

            self.weight = Parameter(ones(*self.normalized_shape, dtype=dtype))
        else:
            self.weight = None

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
