"""``Function``: PyTorch's contract for user-defined differentiable operations, on tensors.

As in PyTorch's tutorials::

    class LegendreP3(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x**3 - 3 * x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * x**2 - 1)

    y = LegendreP3.apply(x)

``forward`` runs with gradient recording off and sees the arguments as given (tensors and anything
else); ``backward`` gets one gradient tensor per output and returns one gradient (or None) per
``forward`` argument. The new-style form, ``forward(*args)`` plus ``setup_context(ctx, inputs,
output)``, works too.

Underneath, the node in the graph is a ``FunctionCtx``: an ``Op`` (the NumPy-level base every
built-in op uses) whose ``backward`` converts between arrays and tensors and calls the user's. A
function with several outputs hangs them off one node through a small "slot" node per output; the
node's incoming gradient is then an object array holding each output's gradient (0 where none came).
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import op
from chainrule.autograd.grad_mode import GradMode, no_grad
from chainrule.autograd.op import Op

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx(Op):
    """The ``ctx`` of a custom ``Function``: what ``forward`` saves for ``backward``, and the graph node."""

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for ``backward``, which reads them from ``ctx.saved_tensors``."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        try:
            return tuple(self._saved)
        except AttributeError:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after "
                "they have already been freed). Specify retain_graph=True the first time."
            ) from None

    def mark_non_differentiable(self, *tensors):
        """Outputs that carry no gradient (indices, masks): they get ``requires_grad=False``."""
        self._non_diff = self._non_diff + tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """Accepted for compatibility; chainrule does not track in-place changes."""

    def set_materialize_grads(self, value: bool):
        """With False, outputs that got no gradient pass None to ``backward`` instead of zeros."""
        self._materialize = bool(value)

    # -- the engine's side ------------------------------------------------------------------------
    def backward(self, grad):  # noqa: D102 - called by the engine with arrays, not by users
        Tensor = op.Tensor
        if self._n_out == 1:
            grads_in = [grad]
        else:  # object array: one entry per output, 0 where no gradient arrived
            grads_in = [None if isinstance(g, int) else g for g in grad]
        grads = []
        for g, shape, dtype in zip(grads_in, self._out_shapes, self._out_dtypes):
            if g is None and self._materialize:
                g = np.zeros(shape, dtype)
            grads.append(None if g is None else Tensor._wrap(g))
        with no_grad():
            result = self._fn.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.parents)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        return tuple(r._data if isinstance(r, Tensor) else r for r in result)


class _OutputSlot(Op):
    """Output ``index`` of a multi-output Function: routes its gradient into the shared node."""

    def backward(self, grad):
        g = np.zeros(self.count, dtype=object)
        g[self.index] = grad
        return (g,)

    def name(self) -> str:
        return self.fn_name + "Backward"


_NODE_CLASSES: dict = {}


def _node_class(fn):
    """A ``FunctionCtx`` subclass named after ``fn``, so that ``grad_fn.name()`` reads ``'FnBackward'``."""
    cls = _NODE_CLASSES.get(fn)
    if cls is None:
        cls = type(fn.__name__, (FunctionCtx,), {"__slots__": (), "_fn": fn})
        _NODE_CLASSES[fn] = cls
    return cls


class Function:
    """Base class of custom differentiable operations, as ``torch.autograd.Function``.

    Subclasses define static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` and are
    called through ``apply``; ``ctx.save_for_backward``, ``ctx.saved_tensors``,
    ``ctx.needs_input_grad`` and ``ctx.mark_non_differentiable`` work as in PyTorch.

    >>> class Double(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         return g * 2
    >>> x = chainrule.ones(3, requires_grad=True)
    >>> Double.apply(x).sum().backward(); x.grad
    tensor([2., 2., 2.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method: call MyFunction.apply(...)."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and, when an input requires grad, record ``backward`` in the graph."""
        Tensor = op.Tensor
        ctx = _node_class(cls).__new__(_node_class(cls))
        ctx._non_diff, ctx._materialize, ctx._saved = (), True, ()
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.needs_input_grad = needs
        with no_grad():
            if cls.setup_context is not Function.setup_context:  # new style: forward without ctx
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        record = GradMode.enabled and any(needs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        # fresh output tensors: forward may return an input itself, whose own history must stay intact
        results = [Tensor._wrap(o._data) if isinstance(o, Tensor) else o for o in outs]
        if record:
            tensors = [(i, o, r) for i, (o, r) in enumerate(zip(outs, results)) if isinstance(o, Tensor)]
            ctx.parents, ctx.freed, ctx.retained, ctx.hooks = args, False, None, None
            ctx._n_out = len(tensors)
            ctx._out_shapes = [r._data.shape for _, _, r in tensors]
            ctx._out_dtypes = [r._data.dtype for _, _, r in tensors]
            live = [(k, r) for k, (i, o, r) in enumerate(tensors)
                    if id(o) not in ctx._non_diff and r._data.dtype.kind in "fc"]
            if ctx._n_out == 1:
                for _, r in live:
                    r._requires_grad, r._ctx = True, ctx
            elif live:
                carrier = Tensor._wrap(np.zeros(ctx._n_out, dtype=object))
                carrier._requires_grad, carrier._ctx = True, ctx
                for k, r in live:
                    slot = _OutputSlot.__new__(_OutputSlot)
                    slot.parents, slot.needs_input_grad, slot.freed, slot.retained = (carrier,), [True], False, None
                    slot.hooks = None
                    slot.index, slot.count, slot.fn_name = k, ctx._n_out, cls.__name__
                    r._requires_grad, r._ctx = True, slot
        return results[0] if single else tuple(results)


def once_differentiable(fn):
    """PyTorch's decorator for backward functions that cannot be differentiated again; chainrule never
    differentiates a backward, so it returns ``fn`` unchanged."""
    return fn
