"""``Op``: the base class of every differentiable operation.

An op subclasses ``Op`` and writes two methods over raw NumPy arrays::

    class Mul(Op):
        def forward(ctx, a, b):
            ctx.a, ctx.b = a, b
            return a * b

        def backward(ctx, grad):
            return grad * ctx.b, grad * ctx.a

``Mul.apply(x, y)`` unwraps the tensors, runs ``forward``, wraps the result and, when gradients are
being recorded, keeps the ``Mul`` instance as the result's ``grad_fn``: the instance *is* the graph
node and the context (``ctx``) that carries what backward needs.

Rules every ``backward`` follows:
- return one gradient per ``forward`` input (``None`` where none is needed: check
  ``ctx.needs_input_grad[i]`` to skip work nobody will use);
- return gradients in the shape of the *output's* broadcast; the engine sums them back to each
  input's shape (the one place where broadcasting is undone);
- never modify ``grad`` in place: the engine may hand the same array to several consumers.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import anomaly
from chainrule.autograd.grad_mode import GradMode
from chainrule.autograd.quiet import IGNORE, reset_state, set_state

Tensor = None  # the Tensor class, handed over by chainrule.tensor (which imports the ops, never the reverse)


def bind_tensor(cls) -> None:
    """Called once by ``chainrule.tensor``: the class ``apply`` wraps its results in."""
    global Tensor
    Tensor = cls


class Op:
    # hooks: register_hook on the output tensor (autograd/hooks.py); unset until a hook is registered
    __slots__ = ("parents", "links", "needs_input_grad", "freed", "retained", "hooks", "__dict__")

    def forward(ctx, *args, **kwargs):  # noqa: N805 - `ctx` reads like the math
        raise NotImplementedError

    def backward(ctx, grad):  # noqa: N805
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (and plain Python numbers) and record it when gradients are on."""
        ctx = cls.__new__(cls)
        arrays = []
        needs = []
        links = []  # what the graph keeps of each input once this node is freed: its node, or a leaf
        any_needs = False
        for a in args:
            if type(a) is Tensor or isinstance(a, Tensor):
                arrays.append(a._data)
                need = a._requires_grad
                any_needs = any_needs or need
                needs.append(need)
                links.append(a._ctx or (a if need else None))
            else:
                arrays.append(a)
                needs.append(False)
                links.append(None)
        if not GradMode.enabled:
            any_needs = False
        ctx.needs_input_grad = needs
        token = set_state(IGNORE)  # no NumPy floating-point warnings: inf and nan are results, as in PyTorch
        try:
            out = ctx.forward(*arrays, **kwargs)
        finally:
            reset_state(token)
        if type(out) is not np.ndarray:  # NumPy turns 0-d results into scalars
            out = np.asarray(out)
        if GradMode.anomaly:
            anomaly.check_forward(ctx, arrays, out)
        result = Tensor.__new__(Tensor)
        result._data = out
        result.grad = None
        result._requires_grad = any_needs
        if any_needs:
            ctx.parents = args
            ctx.links = links
            ctx.freed = False
            ctx.retained = ctx.hooks = None
            result._ctx = ctx
        else:
            result._ctx = None
        return result

    @property
    def _ctx(self):
        """A freed node links to the next node directly; as a parent it reads like the tensor it replaced."""
        return self

    # -- introspection, for printing graphs and for error messages ---------------------------
    def name(self) -> str:
        """PyTorch-style name of the backward node, e.g. ``'MulBackward'``."""
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self):
        """The ``grad_fn`` of each input (None for leaves and constants), as in PyTorch."""
        return tuple((getattr(p, "_ctx", None), 0) for p in self.parents)

    def __repr__(self) -> str:
        return f"<{self.name()}>"

