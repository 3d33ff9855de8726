"""The backward pass: order the graph, then apply the chain rule once per node in reverse.

Two steps, both iterative so a graph 20,000 ops deep never meets Python's recursion limit:

1. ``_topological_order`` lists every node that leads to the roots, each after all of its inputs'
   nodes (a depth-first post-order with an explicit stack; the order is deterministic because parents
   are visited in argument order, never through a ``set``).
2. ``run_backward`` walks that list in reverse. Each node's incoming gradient is complete by the time
   it is reached; its ``backward`` gives one gradient per input; ``_unbroadcast`` sums each back to
   its input's shape (the only place broadcasting is undone) and the result is accumulated: into a
   pending dict for inner nodes, into ``.grad`` for leaves.

Ownership: a leaf's ``.grad`` buffer is later updated in place (accumulation, clipping,
``zero_()``), so it must never be shared with another leaf or a pending gradient. Pending entries
may share an array (nobody writes into them), so ``held`` counts how many hold each one; a leaf
takes an array as its buffer only when no pending entry holds it and no other leaf owns it, and a
leaf's buffer is copied before it becomes a pending gradient. Views are always copied.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import anomaly
from chainrule.autograd.grad_mode import GradMode


def _topological_order(roots):
    order = []
    visited = set()
    stack = [(node, False) for node in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for p in reversed(node.parents):
            ctx = getattr(p, "_ctx", None)
            if ctx is not None and ctx not in visited:
                stack.append((ctx, False))
    return order


def _unbroadcast(grad, shape, node):
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it has ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0:  # before the axes below index grad.shape with it
        raise RuntimeError(f"{node.name()} returned a gradient of shape {grad.shape} for an input of shape {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(grad.shape[lead:])
    if grad.shape != shape:
        raise RuntimeError(f"{node.name()} returned a gradient of shape {grad.shape} for an input of shape {shape}")
    return grad


def run_backward(roots, root_grads, retain_graph=False, capture=None):
    """Backpropagate from ``roots`` (tensors) seeded with ``root_grads`` (arrays).

    With ``capture`` (a list of tensors) nothing is accumulated into ``.grad``; the gradients
    reaching those tensors are returned instead, in the same order (None where none arrives).
    """
    pending = {}  # node -> gradient of that node's output
    held = {}  # id of an array (its base for views) -> number of pending entries holding it
    leaf_owned = set()  # ids of arrays that became some leaf's .grad buffer
    captured = None
    capture_leaf = capture_node = None
    if capture is not None:
        captured = [None] * len(capture)
        capture_leaf = {id(t): i for i, t in enumerate(capture) if t._ctx is None}
        capture_node = {t._ctx: i for i, t in enumerate(capture) if t._ctx is not None}

    def release(g):
        """A pending entry let go of ``g``."""
        k = id(g) if g.base is None else id(g.base)
        n = held.get(k, 0)
        if n > 1:
            held[k] = n - 1
        else:
            held.pop(k, None)

    def deliver(tensor, g):
        """Add gradient ``g`` to ``tensor`` (a pending node, a captured slot, or a leaf's .grad)."""
        ctx = tensor._ctx
        if ctx is not None:
            old = pending.get(ctx)
            if old is not None:
                release(old)
                g = old + g  # never in place: `old` may be shared with another pending entry
                pending[ctx] = g
                held[id(g)] = 1
                return
            base = g if g.base is None else g.base
            if id(base) in leaf_owned:
                g = g.copy()
                base = g
            pending[ctx] = g
            k = id(base)
            held[k] = held.get(k, 0) + 1
            return
        if capture is not None:
            i = capture_leaf.get(id(tensor))
            if i is not None:
                captured[i] = g if captured[i] is None else captured[i] + g
            return
        if not tensor.requires_grad:
            return
        if tensor.grad is None:
            if g.base is not None or id(g) in held or id(g) in leaf_owned or not g.flags.writeable:
                g = g.copy()
            leaf_owned.add(id(g))
            tensor.grad = _wrap(g)
        else:
            tensor.grad._data += g

    for root, g in zip(roots, root_grads):
        if root._ctx is None:
            if capture is None and root.requires_grad:
                deliver(root, g.copy())
            elif capture is not None:
                deliver(root, g)
        else:
            deliver(root, g)

    for node in reversed(_topological_order([r._ctx for r in roots if r._ctx is not None])):
        g = pending.pop(node, None)
        if g is None:
            continue
        release(g)
        if node.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (at {node.name()}): its saved "
                "values were freed after the first backward. Call backward(retain_graph=True) the "
                "first time if you need to go through it again."
            )
        if capture is not None and node in capture_node:
            i = capture_node[node]
            captured[i] = g
        if node.retained is not None:
            t = node.retained
            t.grad = _wrap(g.copy()) if t.grad is None else _wrap(t.grad._data + g)
        grads = node.backward(g)
        if type(grads) is not tuple:
            grads = (grads,)
        if GradMode.anomaly:
            anomaly.check_backward(node, g, grads)
        for p, pg, need in zip(node.parents, grads, node.needs_input_grad):
            if not need or pg is None:
                continue
            data = p._data
            if type(pg) is not np.ndarray:
                pg = np.asarray(pg)
            if pg.shape != data.shape:
                pg = _unbroadcast(pg, data.shape, node)
            if pg.dtype != data.dtype:
                pg = pg.astype(data.dtype)
            deliver(p, pg)
        if not retain_graph:
            _free(node)
    return captured


def _free(node):
    """Drop what ``node`` saved for backward and its inputs' arrays; keep the graph's shape.

    A freed node keeps links to the next nodes (an inner input is replaced by its node) and to the
    leaves that require grad, as PyTorch does; intermediate tensors, constants and saved arrays go,
    so a loss kept after ``backward()`` no longer keeps every activation of its step alive.
    """
    node.freed = True
    node.__dict__.clear()
    node.retained = None
    links = []
    for p in node.parents:
        ctx = getattr(p, "_ctx", None)
        links.append(ctx if ctx is not None else p if getattr(p, "_requires_grad", False) else None)
    node.parents = tuple(links)


def seed_gradient(tensor, gradient):
    """The starting gradient for ``tensor.backward(gradient)``, validated like PyTorch."""
    data = tensor._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but this tensor has shape "
                f"{tuple(data.shape)}; pass a gradient of that shape, e.g. out.backward(torch.ones_like(out)), "
                "or reduce it first with .sum() or .mean()"
            )
        return np.ones_like(data)
    g = gradient._data if hasattr(gradient, "_data") else np.asarray(gradient)
    if g.shape != data.shape:
        raise RuntimeError(f"backward(gradient): expected a gradient of shape {tuple(data.shape)}, got {tuple(g.shape)}")
    return g.astype(data.dtype, copy=True)


def _wrap(array):
    """A plain Tensor around a gradient array (a Parameter's grad is a Tensor, not a Parameter)."""
    from chainrule.tensor import Tensor

    return Tensor._wrap(array)
