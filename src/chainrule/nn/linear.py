"""``Linear`` (a fully connected layer) and the shape-only layers ``Identity``, ``Flatten``, ``Unflatten``."""

from __future__ import annotations

import math

import numpy as np

from chainrule import dtypes
from chainrule.errors import ShapeError
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops.matmul import Linear as _LinearOp
from chainrule.ops.matmul import LinearRelu as _LinearReluOp


class Identity(Module):
    """Return the input unchanged (a placeholder layer); any constructor arguments are ignored.

    >>> nn.Identity()(chainrule.ones(2)) is not None
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """A fully connected layer: ``y = x @ weight.T + bias``.

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool): learn an additive bias. Default True.
        dtype: parameter dtype. Default None (the default dtype, float32).

    Attributes:
        weight: shape (out_features, in_features), initialised U(-1/sqrt(in_features), 1/sqrt(in_features))
            (PyTorch's kaiming_uniform_ with a=sqrt(5)).
        bias: shape (out_features,), initialised from the same range.

    Shape: input (*, in_features) -> output (*, out_features).

    >>> layer = nn.Linear(784, 256)
    >>> layer(chainrule.zeros(64, 784)).shape
    Size([64, 256])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
                raise TypeError(f"Linear: {name} must be an int, got {size!r} ({type(size).__name__}); "
                                f"e.g. nn.Linear(784, 10)")
            if size < 0:
                raise ValueError(f"Linear: {name} must be >= 0, got {size}")
        self.in_features = in_features
        self.out_features = out_features
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        nbytes = int(out_features) * int(in_features) * dtype.itemsize
        if nbytes > 1 << 30:  # a weight beyond the machine fails here, not lazily in the middle of init
            from chainrule.utils.memory import check_fits

            check_fits(nbytes, f"Linear({in_features}, {out_features})'s {dtype} weight")
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._reset_linear_like(self.weight, self.bias)  # PyTorch's default

    def forward(self, input):
        try:
            return _LinearOp.apply(input, self.weight, self.bias)
        except ValueError:  # NumPy's matmul shape error: explain it in the layer's terms
            raise ShapeError(self._shape_error(input)) from None

    def _forward_relu(self, input):
        """``relu(self(input))`` as one fused node (how ``Sequential`` runs a Linear followed by a ReLU)."""
        try:
            return _LinearReluOp.apply(input, self.weight, self.bias)
        except ValueError:
            raise ShapeError(self._shape_error(input)) from None

    def _shape_error(self, input):
        shape = tuple(input.shape)
        n = self.in_features
        head = f"Linear(in_features={n}) got input of shape {shape}"
        if len(shape) > 2 and math.prod(shape[1:]) == n:
            return f"{head}; flatten it first (x.view(-1, {n}) or nn.Flatten())"
        return f"{head}; the last dimension must be {n}"

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flatten dimensions ``start_dim`` to ``end_dim`` into one (by default all but the batch dimension).

    Args:
        start_dim (int): first dimension to flatten. Default 1.
        end_dim (int): last dimension to flatten. Default -1.

    Shape: (N, *dims) -> (N, prod(dims)) with the defaults.

    >>> nn.Flatten()(chainrule.zeros(64, 1, 28, 28)).shape
    Size([64, 784])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size``, the inverse of ``Flatten``.

    Args:
        dim (int): the dimension to expand.
        unflattened_size (tuple of int): its new shape (may contain one -1).

    >>> nn.Unflatten(1, (1, 28, 28))(chainrule.zeros(64, 784)).shape
    Size([64, 1, 28, 28])
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
