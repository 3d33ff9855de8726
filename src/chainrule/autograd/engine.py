"""The backward pass: order the graph, then apply the chain rule once per node in reverse.

Two steps, both iterative so a graph 20,000 ops deep never meets Python's recursion limit:

1. ``_topological_order`` lists every node that leads to the roots, each after all of its inputs'
   nodes (a depth-first post-order with an explicit stack; the order is deterministic because parents
   are visited in argument order, never through a ``set``).
2. ``_walk`` goes through that list in reverse. Each node's incoming gradient is complete by the time
   it is reached; its ``backward`` gives one gradient per input, and the bookkeeping object
   (``gradients.Gradients``, or ``gradients.Capture`` for ``autograd.grad``) sums each into place.

After a node's backward the node is freed (unless ``retain_graph``): its saved arrays go, and only the
graph's links stay (``_free``).
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import anomaly, op
from chainrule.autograd.grad_mode import GradMode
from chainrule.autograd.gradients import Capture, Gradients
from chainrule.autograd.quiet import IGNORE, reset_state, set_state


def run_backward(roots, root_grads, retain_graph=False, capture=None):
    """Backpropagate from ``roots`` (tensors) seeded with ``root_grads`` (arrays).

    With ``capture`` (a list of tensors) nothing is accumulated into ``.grad``; the gradients
    reaching those tensors are returned instead, in the same order (None where none arrives).
    NumPy's floating-point warnings are off during the pass (``detect_anomaly`` reports inf and nan).
    """
    grads = Gradients() if capture is None else Capture(capture)
    token = set_state(IGNORE)
    try:
        result = _walk(roots, root_grads, grads, retain_graph)
    finally:
        reset_state(token)
    if capture is None and post_backward_callbacks:
        for callback in list(post_backward_callbacks):
            callback()
    return result


# Called after every .backward() once all .grad are final (DistributedDataParallel averages them here).
post_backward_callbacks: list = []


def _walk(roots, root_grads, grads, retain_graph):
    """micrograd's loop: order the graph, then apply each node's backward in reverse."""
    for root, g in zip(roots, root_grads):
        grads.seed(root, g)
    take, deliver = grads.take, grads.deliver
    for node in reversed(_topological_order([r._ctx for r in roots if r._ctx is not None])):
        g = take(node)
        if g is None:
            continue  # nothing reaches this node from the roots
        if node.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (at {node.name()}): its saved "
                "values were freed after the first backward. Call backward(retain_graph=True) the "
                "first time if you need to go through it again.")
        if node.retained is not None:  # retain_grad() on the node's output
            t = node.retained
            t.grad = op.Tensor._wrap(g.copy() if t.grad is None else t.grad._data + g)
        input_grads = node.backward(g)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if GradMode.anomaly:
            anomaly.check_backward(node, g, input_grads)
        for p, pg, need in zip(node.parents, input_grads, node.needs_input_grad):
            if need and pg is not None:
                deliver(p, pg, node)
        if not retain_graph:
            _free(node)
    grads.finish()  # leaves with hooks: their total gradient, through the hooks, into .grad
    return grads.result()


def _topological_order(roots):
    tensor = op.Tensor
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
            ctx = p._ctx if isinstance(p, tensor) else getattr(p, "_ctx", None)  # (constants have none)
            if ctx is not None and ctx not in visited:
                stack.append((ctx, False))
    return order


def _free(node):
    """Drop what ``node`` saved for backward and its inputs' arrays; keep the graph's shape.

    A freed node keeps links to the next nodes (an inner input is replaced by its node) and to the
    leaves that require grad, as PyTorch does; intermediate tensors, constants and saved arrays go,
    so a loss kept after ``backward()`` no longer keeps every activation of its step alive.
    """
    node.freed = True
    node.__dict__.clear()
    node.retained = None
    links = getattr(node, "links", None)  # made by Op.apply: the inputs' nodes, leaves that require grad
    if links is None:  # a node made another way (autograd.Function): the same links, worked out here
        links = [(p._ctx or (p if p._requires_grad else None)) if isinstance(p, op.Tensor) else None
                 for p in node.parents]
    node.parents = links


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
        return np.ones(data.shape, data.dtype)  # (np.ones_like: 1.2 us, three times as long)
    g = gradient._data if hasattr(gradient, "_data") else np.asarray(gradient)
    if g.shape != data.shape:
        raise RuntimeError(f"backward(gradient): expected a gradient of shape {tuple(data.shape)}, "
                           f"got {tuple(g.shape)}")
    return g.astype(data.dtype, copy=True)
