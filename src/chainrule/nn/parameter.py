"""``Parameter``: a tensor that a ``Module`` registers as learnable when assigned as an attribute."""

from __future__ import annotations

import numpy as np

from chainrule.tensor import Tensor


class Parameter(Tensor):
    """A ``Tensor`` that is a module's learnable weight (``requires_grad=True`` by default).

    Assigning a ``Parameter`` to a ``Module`` attribute registers it, so it shows up in
    ``parameters()`` and ``state_dict()``. It shares memory with ``data`` (as in PyTorch) and is always
    a leaf of the graph.

    Args:
        data (Tensor or array-like): the initial values. Default: an empty float32 tensor.
        requires_grad (bool): whether gradients are accumulated into ``.grad``. Default True.

    >>> w = Parameter(chainrule.zeros(2, 3))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self._data.copy(), requires_grad=self._requires_grad)
        if self.grad is not None:
            result.grad = Tensor._wrap(self.grad._data.copy())
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (Parameter, (self._data, self._requires_grad))
