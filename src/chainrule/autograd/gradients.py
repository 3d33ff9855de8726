"""Gradient bookkeeping of one backward pass: what reaches each node, and what lands in ``.grad``.

``Gradients`` is the ordinary pass (``loss.backward()``): it sums the gradients that reach each inner
node until the walk takes them, and accumulates leaves' gradients into ``.grad``. ``Capture`` is the
variant for ``autograd.grad(outputs, inputs)``: nothing touches ``.grad``; the gradients reaching
``inputs`` are returned.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import hooks, op


class Gradients:
    """Pending gradient sums per node, and leaf ``.grad`` buffers, for one backward pass.

    ``deliver(tensor, g, node)`` brings the gradient ``node`` computed for its input ``tensor`` to
    that input's shape and dtype (summing over broadcast axes, the one place broadcasting is undone)
    and adds it: to the pending sum of the tensor's node, or into a leaf's ``.grad``. ``take(node)``
    hands the walk a node's complete gradient (or None when none reached it).

    Ownership rules (arrays are shared, never copied without need):
    - a leaf's ``.grad`` buffer is later updated in place (accumulation, clipping, ``zero_()``), so it
      is never shared with another leaf or with a pending sum;
    - pending sums may share an array (nobody writes into them); ``held`` counts the pending entries
      holding each array (by its base, for views) so that a leaf takes an array as its buffer only
      when nothing pending holds it and no other leaf owns it;
    - a pending sum is never added to in place (``old + g``), and an array a leaf owns is copied
      before it becomes a pending sum; views and read-only arrays are copied before a leaf keeps them.
    """

    __slots__ = ("pending", "held", "leaf_owned", "hooked")

    def __init__(self):
        self.pending = {}  # node -> the sum of the gradients of its output so far
        self.held = {}  # id of an array (its base for views) -> number of pending entries holding it
        self.leaf_owned = set()  # ids of arrays that became some leaf's .grad buffer
        self.hooked = {}  # id of a leaf with hooks -> (leaf, its gradients' sum so far): hooks run in finish

    def seed(self, root, g) -> None:
        """Start the pass at ``root`` with gradient ``g`` (already of the root's shape and dtype)."""
        if root._ctx is None:
            self.to_leaf(root, g.copy())  # the caller's array never becomes a .grad buffer
        else:
            self.pend(root._ctx, g)

    def take(self, node):
        """The complete gradient of ``node``'s output (after its tensor's hooks), removed from the pending
        sums; None if none came."""
        g = self.pending.pop(node, None)
        if g is not None:
            self._release(g)
            node_hooks = getattr(node, "hooks", None)  # register_hook on the node's output tensor
            if node_hooks:
                g = hooks.run(node_hooks, g)
        return g

    def deliver(self, tensor, g, node) -> None:
        """Add ``g``, the gradient ``node`` returned for its input ``tensor``, where it belongs."""
        if type(g) is not np.ndarray:
            g = np.asarray(g)
        data = tensor._data
        if g.shape != data.shape:
            g = unbroadcast(g, data.shape, node)
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        ctx = tensor._ctx
        if ctx is None:
            self.to_leaf(tensor, g)
        else:
            self.pend(ctx, g)

    def to_leaf(self, tensor, g) -> None:
        """A gradient for a leaf: into ``leaf`` now, or, for a leaf with hooks, summed until ``finish``."""
        if hooks.leaf_hooks and hooks.of_leaf(tensor):
            old = self.hooked.get(id(tensor))
            self.hooked[id(tensor)] = (tensor, g.copy() if old is None else old[1] + g)
        else:
            self.leaf(tensor, g)

    def finish(self) -> None:
        """End of the walk: each hooked leaf's total gradient goes through its hooks, then into ``leaf``."""
        for tensor, g in self.hooked.values():
            self.leaf(tensor, hooks.run(hooks.of_leaf(tensor) or {}, g))
        self.hooked.clear()

    def pend(self, ctx, g) -> None:
        """Add ``g`` to the pending sum of node ``ctx``'s output."""
        pending = self.pending
        old = pending.get(ctx)
        if old is not None:
            self._release(old)
            g = old + g  # never in place: `old` may be shared with another pending entry
            pending[ctx] = g
            self.held[id(g)] = 1
            return
        base = g if g.base is None else g.base
        if id(base) in self.leaf_owned:
            g = base = g.copy()
        pending[ctx] = g
        held = self.held
        held[id(base)] = held.get(id(base), 0) + 1

    def leaf(self, tensor, g) -> None:
        """Accumulate ``g`` into the leaf's ``.grad`` (if it requires grad), keeping buffers unshared."""
        if not tensor._requires_grad:
            return
        if tensor.grad is None:
            if g.base is not None or id(g) in self.held or id(g) in self.leaf_owned or not g.flags.writeable:
                g = g.copy()
            self.leaf_owned.add(id(g))
            tensor.grad = op.Tensor._wrap(g)  # a plain Tensor, also for a Parameter
        else:
            tensor.grad._data += g

    def result(self):
        """What the pass returns: nothing, the gradients are in ``.grad``."""
        return None

    def _release(self, g) -> None:
        """A pending entry let go of ``g``."""
        held = self.held
        k = id(g) if g.base is None else id(g.base)
        n = held.get(k, 0)
        if n > 1:
            held[k] = n - 1
        else:
            held.pop(k, None)


class Capture(Gradients):
    """``autograd.grad``: the gradients reaching ``inputs`` are collected and returned; ``.grad`` is untouched.

    An input that is a leaf collects what is delivered to it; an inner input collects its node's
    complete gradient when the walk takes it (the walk then goes on through it, to other inputs).
    """

    __slots__ = ("captured", "at_leaf", "at_node")

    def __init__(self, inputs):
        super().__init__()
        self.captured = [None] * len(inputs)
        self.at_leaf = {id(t): i for i, t in enumerate(inputs) if t._ctx is None}
        self.at_node = {t._ctx: i for i, t in enumerate(inputs) if t._ctx is not None}

    def seed(self, root, g) -> None:
        if root._ctx is None:
            self.to_leaf(root, g)
        else:
            self.pend(root._ctx, g)

    def take(self, node):
        g = super().take(node)
        if g is not None:
            i = self.at_node.get(node)
            if i is not None:
                self.captured[i] = g
        return g

    def to_leaf(self, tensor, g) -> None:
        if id(tensor) in self.at_leaf:  # other leaves are not reached by autograd.grad: their hooks do not run
            super().to_leaf(tensor, g)

    def leaf(self, tensor, g) -> None:
        i = self.at_leaf.get(id(tensor))
        if i is not None:
            self.captured[i] = g if self.captured[i] is None else self.captured[i] + g

    def result(self):
        """The gradient reaching each input, in order (None where none arrived)."""
        return self.captured


def unbroadcast(grad, shape, node):
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it has ``shape``."""
    lead = grad.ndim - len(shape)
    if lead < 0:  # before the axes below index grad.shape with it
        raise RuntimeError(f"{node.name()} returned a gradient of shape {grad.shape} for an input of shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(grad.shape[lead:])
    if grad.shape != shape:
        raise RuntimeError(f"{node.name()} returned a gradient of shape {grad.shape} for an input of shape {shape}")
    return grad
