"""``explain(loss)``: the chain rule applied to a small graph, step by step, in words and numbers.

Seed 000 says "we can differentiate programs": this prints the program (the forward pass, one op per
line) and then its derivative, one op at a time in reverse order, each line being the chain rule
``dL/d(input) += dL/d(output) * d(output)/d(input)`` with the numbers that flow. It runs its own walk
over the graph (each op's ``backward`` on copies of the gradients) and leaves every ``.grad`` alone.

>>> import chainrule
>>> x, w = chainrule.tensor(2.0, requires_grad=True), chainrule.tensor(3.0, requires_grad=True)
>>> text = explain((x * w + 1) ** 2, names={x: "x", w: "w"}, file=None)
>>> print(text.splitlines()[-1])
dL/dw = 28
"""

from __future__ import annotations

import sys

import numpy as np

from chainrule.autograd import op
from chainrule.autograd.engine import _topological_order
from chainrule.autograd.gradients import unbroadcast


def summarize(a, limit: int = 4) -> str:
    """A short text for an array: the values when few, else shape, mean, std, min and max."""
    a = np.asarray(a)
    if a.size == 1:
        return f"{float(a.reshape(())):.4g}"
    if a.size <= limit:
        return "[" + ", ".join(f"{float(v):.4g}" for v in a.ravel()) + "]"
    return (f"{tuple(a.shape)} mean {float(a.mean()):.3g}, std {float(a.std()):.3g}, "
            f"min {float(a.min()):.3g}, max {float(a.max()):.3g}")


def trace(root, names=None):
    """The graph of ``root``: ``(nodes, label)`` with ``nodes`` in forward order and ``label(tensor)`` a name.

    Every node records ``(node, output_tensor, input_tensors)``; leaves get the names in ``names``
    (a dict tensor -> str, e.g. ``{p: n for n, p in model.named_parameters()}``) or ``x1, x2, ...``,
    intermediate results ``t1, t2, ...`` and the root ``L``. Raises ValueError for a tensor without a
    graph or a graph already freed by ``backward()``.
    """
    if getattr(root, "_ctx", None) is None:
        raise ValueError("explain/draw_graph: the tensor has no graph (it does not require grad, or was made "
                         "under no_grad); build it from tensors with requires_grad=True")
    order = _topological_order([root._ctx])
    if any(n.freed for n in order):
        raise ValueError("explain/draw_graph: this graph was freed by backward(); call it before backward(), "
                         "or run backward(retain_graph=True)")
    outputs = {id(root._ctx): root}
    for n in order:
        for p in n.parents:
            if isinstance(p, op.Tensor) and p._ctx is not None:
                outputs[id(p._ctx)] = p
    labels, counts = {}, {"x": 0, "t": 0}
    given = {id(k): v for k, v in (names or {}).items()}

    def label(t):
        key = id(t)
        if key not in labels:
            if key in given:
                labels[key] = given[key]
            elif t is root:
                labels[key] = "L"
            else:
                kind = "t" if t._ctx is not None else "x"
                counts[kind] += 1
                labels[key] = f"{kind}{counts[kind]}"
        return labels[key]

    nodes = []
    for n in order:
        out = outputs.get(id(n))
        inputs = [p if isinstance(p, op.Tensor) else None for p in n.parents]
        for t in inputs:
            if t is not None and t._ctx is None:
                label(t)
        if out is not None:
            label(out)
        nodes.append((n, out, inputs))
    return nodes, label


def op_name(node) -> str:
    return node.name().removesuffix("Backward")


def backward_values(root, nodes):
    """Run the chain rule over ``nodes`` from ``root`` (seeded with ones) without touching ``.grad``.

    Returns ``(grads, steps)``: ``grads`` maps ``id(tensor)`` to its total gradient, ``steps`` lists
    ``(node, out_grad, [(input_tensor, contribution) ...])`` in backward order.
    """
    grads = {id(root): np.ones_like(root._data)}
    steps = []
    for node, out, inputs in reversed(nodes):
        g = grads.get(id(out)) if out is not None else None
        if g is None:
            continue
        result = node.backward(g.copy())
        result = result if isinstance(result, tuple) else (result,)
        parts = []
        for t, pg, need in zip(inputs, result, node.needs_input_grad):
            if t is None or pg is None or not need:
                continue
            pg = unbroadcast(np.asarray(pg), t._data.shape, node)
            grads[id(t)] = grads[id(t)] + pg if id(t) in grads else pg
            parts.append((t, pg))
        steps.append((node, g, parts))
    return grads, steps


def explain(loss, names=None, file=sys.stdout) -> str:
    """Print the forward pass and the chain rule applied step by step for ``loss``; return the text.

    Args:
        loss (Tensor): a scalar (or any tensor: the seed gradient is ones) with a graph.
        names (dict tensor -> str, optional): names for leaves (``x``, ``w`` ...). Default: ``x1, x2, ...``.
        file: where to print (None: only return the text). Default: ``sys.stdout``.

    Returns:
        str: the explanation; its last lines give ``dL/d<leaf>`` for every leaf that requires grad.
    """
    nodes, label = trace(loss, names)
    lines = ["forward (the program):"]
    for node, out, inputs in nodes:
        args = ", ".join(label(t) if t is not None else "const" for t in inputs)
        lines.append(f"  {label(out) if out is not None else '?'} = {op_name(node)}({args})"
                     f"  = {summarize(out._data) if out is not None else '?'}")
    grads, steps = backward_values(loss, nodes)
    lines.append("backward (the chain rule, last op first; dL/dL = 1):")
    for node, g, parts in steps:
        out = next(o for n, o, _ in nodes if n is node)
        for t, contribution in parts:
            lines.append(f"  dL/d{label(t)} += dL/d{label(out)} * d{label(out)}/d{label(t)}   "
                         f"[{op_name(node)}: {summarize(g)} -> {summarize(contribution)}]")
    leaves = []
    for _, _, inputs in nodes:
        for t in inputs:
            if t is not None and t._ctx is None and t._requires_grad and all(t is not s for s in leaves):
                leaves.append(t)
    lines.append("result:")
    lines += [f"dL/d{label(t)} = {summarize(grads[id(t)])}" for t in leaves if id(t) in grads]
    text = "\n".join(lines)
    if file is not None:
        print(text, file=file)
    return text
