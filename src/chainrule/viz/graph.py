"""The computation graph of a tensor, like micrograd's ``draw_dot``: ops, shapes, values and gradients.

Tensors are boxes (name, shape, value summary, gradient summary), ops are ellipses, arrows go from
inputs to outputs, left to right. The gradients are those ``backward()`` would give (computed by
``autograd.explain``'s walk, so ``.grad`` is left alone and the graph stays usable). Drawn with
Graphviz's ``dot`` program when it is installed, otherwise with matplotlib.
"""

from __future__ import annotations

import shutil
import subprocess

from chainrule.autograd.explain import backward_values, op_name, summarize, trace
from chainrule.viz import new_figure, save_figure


def graph_data(root, names=None) -> dict:
    """The graph as plain data: ``tensors`` (id -> dict) and ``ops`` (list of dicts), in forward order.

    A tensor dict holds ``label``, ``shape``, ``value``, ``grad`` (summaries; grad None when no gradient
    reaches it), ``leaf``; an op dict ``name``, ``inputs`` and ``output`` (tensor ids).
    """
    nodes, label = trace(root, names)
    grads, _ = backward_values(root, nodes)
    tensors, ops = {}, []

    def add(t):
        if id(t) not in tensors:
            g = grads.get(id(t))
            tensors[id(t)] = {"label": label(t), "shape": tuple(t._data.shape), "value": summarize(t._data),
                              "grad": None if g is None else summarize(g), "leaf": t._ctx is None,
                              "grad_array": g}
        return id(t)

    for node, out, inputs in nodes:
        ins = [add(t) for t in inputs if t is not None]
        ops.append({"name": op_name(node), "inputs": ins, "output": add(out) if out is not None else None})
    return {"tensors": tensors, "ops": ops}


def to_dot(data) -> str:
    """Graphviz DOT source for ``graph_data``'s result (left to right)."""
    lines = ["digraph G {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for key, t in data["tensors"].items():
        grad = "" if t["grad"] is None else f" | grad {t['grad']}"
        color = "#cfe2f3" if t["leaf"] else "white"
        text = f"{t['label']} | {t['shape']} | value {t['value']}{grad}".replace('"', "'").replace("{", "(").replace(
            "}", ")").replace("<", "(").replace(">", ")")
        lines.append(f'  t{key} [shape=record, style=filled, fillcolor="{color}", label="{text}"];')
    for i, o in enumerate(data["ops"]):
        lines.append(f'  op{i} [shape=ellipse, label="{o["name"]}"];')
        for k in o["inputs"]:
            lines.append(f"  t{k} -> op{i};")
        if o["output"] is not None:
            lines.append(f"  op{i} -> t{o['output']};")
    lines.append("}")
    return "\n".join(lines)


def _layout(data):
    col = {}
    op_col = []
    for o in data["ops"]:
        c = 1 + max((col[k] for k in o["inputs"] if k in col), default=0)
        op_col.append(c)
        if o["output"] is not None:
            col[o["output"]] = c + 1
    for o, c in zip(data["ops"], op_col):  # a leaf sits just left of the first op that reads it
        for k in o["inputs"]:
            col.setdefault(k, c - 1)
    columns: dict[int, list] = {}
    for k, c in col.items():
        columns.setdefault(c, []).append(("t", k))
    for i, c in enumerate(op_col):
        columns.setdefault(c, []).append(("op", i))
    pos = {}
    for c, items in columns.items():
        for r, item in enumerate(items):
            pos[item] = (c, (len(items) - 1) / 2 - r)
    return pos, max(columns) + 1, max(len(v) for v in columns.values())


def _draw_matplotlib(data, title):
    pos, ncols, nrows = _layout(data)
    fig = new_figure(figsize=(max(4.0, 1.9 * ncols), max(2.5, 1.25 * nrows + 0.8)))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    ax = fig.subplots()
    ax.axis("off")
    box = {"t": dict(boxstyle="round,pad=0.35", fc="#cfe2f3", ec="#0072B2"),
           "i": dict(boxstyle="round,pad=0.35", fc="white", ec="#0072B2"),
           "op": dict(boxstyle="circle,pad=0.3", fc="#FDE9C9", ec="#E69F00")}
    artists = {}
    for (kind, key), (x, y) in pos.items():
        if kind == "t":
            t = data["tensors"][key]
            grad = "" if t["grad"] is None else f"\ngrad {t['grad']}"
            text = f"{t['label']}  {t['shape'] if t['shape'] else 'scalar'}\nvalue {t['value']}{grad}"
            artists[kind, key] = ax.text(x, y, text, ha="center", va="center", fontsize=7,
                                         bbox=box["t" if t["leaf"] else "i"])
        else:
            artists[kind, key] = ax.text(x, y, data["ops"][key]["name"], ha="center", va="center", fontsize=7,
                                         bbox=box["op"])
    fig.canvas.draw()  # the boxes get their sizes; arrows then start and end at their edges

    def arrow(a, b):
        ax.annotate("", xy=pos[b], xytext=pos[a], arrowprops=dict(
            arrowstyle="->", color="gray", patchA=artists[a].get_bbox_patch(), patchB=artists[b].get_bbox_patch()))

    for i, o in enumerate(data["ops"]):
        for k in o["inputs"]:
            arrow(("t", k), ("op", i))
        if o["output"] is not None:
            arrow(("op", i), ("t", o["output"]))
    ax.set_xlim(-0.7, ncols - 0.3)
    ax.set_ylim(-nrows / 2 - 0.3, nrows / 2 + 0.3)
    ax.set_title(title or "Computation graph (blue: leaves; grad = dL/d·)", fontsize=9)
    return fig


def draw_graph(root, path=None, names=None, engine: str = "auto", title=None):
    """Draw the computation graph of ``root`` with each tensor's shape, value and gradient.

    Args:
        root (Tensor): the output (a loss) with a graph; not yet through ``backward()`` (or retained).
        path (str or Path, optional): write a PNG there.
        names (dict tensor -> str, optional): names for the leaves, e.g. ``{p: n for n, p in
            model.named_parameters()}``.
        engine (str): ``"dot"`` (Graphviz's program), ``"matplotlib"``, or ``"auto"``: dot when it is
            on the PATH. Default: ``"auto"``.

    Returns:
        (Figure or None, dict): the matplotlib Figure (None when dot drew it) and ``graph_data``'s
        result with ``dot`` (the DOT source) and ``engine`` (the one used).

    >>> fig, data = draw_graph(loss, "graph.png", names={x: "x", w: "w"})  # doctest: +SKIP
    """
    if engine not in ("auto", "dot", "matplotlib"):
        raise ValueError(f"draw_graph(engine): expected 'auto', 'dot' or 'matplotlib', got {engine!r}")
    data = graph_data(root, names)
    data["dot"] = to_dot(data)
    dot = shutil.which("dot")
    if engine == "dot" and dot is None:
        raise RuntimeError("draw_graph(engine='dot'): Graphviz's dot program is not installed "
                           "(apt-get install graphviz), use engine='matplotlib'")
    if engine != "matplotlib" and dot is not None and path is not None:
        from chainrule.io import atomic_write

        png = subprocess.run([dot, "-Tpng", "-Gdpi=80"], input=data["dot"].encode(), capture_output=True,
                             check=True, timeout=60).stdout
        with atomic_write(path) as f:
            f.write(png)
        data["engine"] = "dot"
        return None, data
    fig = _draw_matplotlib(data, title)
    data["engine"] = "matplotlib"
    if path is not None:
        save_figure(fig, path)
    return fig, data
