"""Tensor hooks: ``t.register_hook(fn)`` calls ``fn(grad)`` when the backward pass computes ``t``'s gradient.

As in PyTorch, a hook may return a tensor that replaces the gradient (what flows on to ``t``'s inputs,
what ``retain_grad()`` keeps, what a leaf accumulates into ``.grad`` and what ``autograd.grad``
returns), or None to leave it. A leaf's hook runs once per backward with the sum of everything that
reached the leaf, before it is added to ``.grad``; a non-leaf's hook runs when its node's gradient is
complete, before the node's backward. Hooks of one tensor run in the order they were registered.

Where the hooks are kept: a non-leaf's on its node (``node.hooks``); a leaf's in ``leaf_hooks``, by the
leaf's id with a weak reference (a ``WeakKeyDictionary`` would compare tensors with ``==``, elementwise),
so a hooked leaf can still be garbage-collected.
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from chainrule.autograd import op

leaf_hooks: dict = {}  # id(leaf) -> (weak reference to the leaf, {handle id: hook})


def of_leaf(tensor):
    """The hooks registered on the leaf ``tensor`` (a dict), or None."""
    entry = leaf_hooks.get(id(tensor))
    return entry[1] if entry is not None and entry[0]() is tensor else None


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook (also as ``with`` block)."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register(tensor, hook) -> RemovableHandle:
    """``tensor.register_hook(hook)``: see the module's docstring."""
    if not callable(hook):
        raise TypeError(f"register_hook expected a function of the gradient, got {type(hook).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient "
                           "(call x.requires_grad_() first, or register it on a result computed from such a tensor)")
    node = tensor._ctx
    if node is None:
        hooks = of_leaf(tensor)
        if hooks is None:
            key = id(tensor)
            hooks = {}
            leaf_hooks[key] = (weakref.ref(tensor, lambda _, key=key: leaf_hooks.pop(key, None)), hooks)
    else:
        hooks = getattr(node, "hooks", None)
        if hooks is None:
            hooks = node.hooks = {}
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def run(hooks: dict, g: np.ndarray) -> np.ndarray:
    """Pass ``g`` through the hooks in order; each sees a read-only tensor and may return a replacement."""
    for hook in list(hooks.values()):
        view = g.view()
        view.flags.writeable = False  # the engine's arrays are shared: a hook must return a new gradient
        out = hook(op.Tensor._wrap(view))
        if out is None:
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not isinstance(out, (op.Tensor, np.ndarray)):  # as PyTorch: a number or a list is not a gradient
            raise TypeError(f"hook {name!r} returned {type(out).__name__}; expected a Tensor of the gradient's "
                            f"shape {tuple(g.shape)} or None")
        new = out._data if isinstance(out, op.Tensor) else out
        if new.shape != g.shape:
            raise RuntimeError(f"hook {name!r} returned a gradient of shape {tuple(new.shape)}; expected the "
                               f"tensor's shape {tuple(g.shape)}")
        g = np.array(new, dtype=g.dtype)  # a copy the engine may own and write into
    return g
