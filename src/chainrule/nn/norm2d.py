"""Normalisation layers for images: ``BatchNorm2d`` (per channel over N, H, W) and ``GroupNorm`` (per sample)."""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.nn import functional_cnn as FN
from chainrule.nn.module import Module
from chainrule.nn.norm import BatchNorm1d, _affine_parameters, _reset_affine


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of (N, C, H, W) images: each channel uses statistics over N, H and W.

    Arguments, parameters (``weight``, ``bias``), buffers (``running_mean``, ``running_var``,
    ``num_batches_tracked``) and train/eval behaviour are those of ``BatchNorm1d`` and PyTorch's
    ``BatchNorm2d``, so PyTorch state_dicts load unchanged.

    Shape: (N, C, H, W) -> same shape.

    >>> bn = nn.BatchNorm2d(32)
    >>> bn(chainrule.randn(8, 32, 14, 14)).shape
    Size([8, 32, 14, 14])
    """

    def _check_input_dim(self, input):
        if input.ndim != 4:
            hint = "; add the channel dimension (x.unsqueeze(1)) for (N, H, W) images" if input.ndim == 3 else ""
            raise ValueError(f"BatchNorm2d(num_features={self.num_features}): expected 4D input (N, C, H, W) "
                             f"(got {input.ndim}D input of shape {tuple(input.shape)}){hint}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d(num_features={self.num_features}) got input of shape "
                             f"{tuple(input.shape)}; dimension 1 must be the {self.num_features} channels")


class GroupNorm(Module):
    """Normalise each sample over groups of channels (Wu & He, 2018); independent of the batch size.

    Args:
        num_groups (int): number of groups; must divide num_channels (1 = LayerNorm over C, H, W;
            num_channels = InstanceNorm).
        num_channels (int): C.
        eps (float): added to the variance. Default 1e-5.
        affine (bool): learn a per-channel ``weight`` (ones) and ``bias`` (zeros). Default True.
        bias (bool): learn the bias (when affine). Default True.

    Shape: (N, C, *) -> same shape.

    >>> nn.GroupNorm(4, 32)(chainrule.randn(2, 32, 8, 8)).shape
    Size([2, 32, 8, 8])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_groups={num_groups} must divide num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        _affine_parameters(self, (num_channels,), dtype, affine, bias)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm(num_channels={self.num_channels}) got input of shape {tuple(input.shape)}; "
                             f"expected (N, {self.num_channels}, *)")
        return FN.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
