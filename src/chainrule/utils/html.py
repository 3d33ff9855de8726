"""HTML views for Jupyter: what ``_repr_html_`` of a Tensor, Module, History, summary and Evaluation returns.

A notebook shows an object's ``_repr_html_()`` when it has one, and its ``repr`` elsewhere (a terminal, a
log). These functions build small, dependency-free tables (no pandas); every value is escaped. The
classes keep only a one-line method that calls in here, so the rendering lives in one place.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

__all__ = ["table", "tensor_html", "module_html", "summary_html", "history_html", "evaluation_html"]

_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd"
MAX_HISTORY_ROWS = 30  # longer histories show their first and last epochs around a "…" row


def table(header, rows, caption: str | None = None, footer=None, right=()) -> str:
    """An HTML table: ``header`` a list of column names, ``rows`` lists of cells (str() of each, escaped).

    ``right`` holds the indices of right-aligned (numeric) columns; ``footer`` lines go under the table.
    """
    def cells(values, tag):
        return "".join(f'<{tag} style="{_CELL};text-align:{"right" if i in right else "left"}">{escape(str(v))}</{tag}>'
                       for i, v in enumerate(values))

    parts = [f'<table style="{_STYLE}">']
    if caption:
        parts.append(f'<caption style="text-align:left;font-weight:bold">{escape(caption)}</caption>')
    parts.append(f"<thead><tr>{cells(header, 'th')}</tr></thead><tbody>")
    parts += [f"<tr>{cells(row, 'td')}</tr>" for row in rows]
    parts.append("</tbody></table>")
    if footer:
        parts.append('<div style="font-family:monospace;font-size:12px">'
                     + "<br>".join(escape(line) for line in footer) + "</div>")
    return "".join(parts)


def _number(value, key: str = "") -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(value)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(value):
        return "nan"
    return f"{value:.3g}" if key == "lr" else f"{value:.4f}"


def tensor_html(t) -> str:
    """A header (shape, dtype, gradient status; min/mean/max of a float tensor) over the values as ``repr`` prints."""
    data = t._data
    facts = [f"shape {tuple(data.shape)}", str(data.dtype)]
    if t.grad_fn is not None:
        facts.append(f"grad_fn={t.grad_fn.name()}")
    elif t.requires_grad:
        facts.append("requires_grad")
    if data.dtype.kind == "f" and data.size > 1:
        finite = data[np.isfinite(data)]
        if finite.size:
            facts.append(f"min {finite.min():.4g} · mean {finite.mean(dtype=np.float64):.4g} · max {finite.max():.4g}")
        if finite.size < data.size:
            facts.append(f"{data.size - finite.size} not finite")
    header = f'<div style="font-family:monospace;font-size:12px;color:#555">Tensor · {escape(" · ".join(facts))}</div>'
    return header + f'<pre style="margin:2px 0">{escape(repr(t))}</pre>'


def _module_rows(model):
    rows = []
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if module._modules and not own:
            continue  # a container: its layers have rows of their own
        rows.append([name or "(model)", type(module).__name__, module.extra_repr().replace("\n", " "), f"{own:,}"])
    return rows


def _totals(params):
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}"]


def module_html(model) -> str:
    """The model's layers (name, type, settings, own parameters) with the totals, and its ``repr`` folded below."""
    body = table(["Layer", "Type", "Settings", "Param #"], _module_rows(model), caption=type(model).__name__,
                 footer=_totals(list(model.parameters())), right=(3,))
    return body + f"<details><summary>repr</summary><pre>{escape(repr(model))}</pre></details>"


def summary_html(summary) -> str:
    """``chainrule.summary``'s table: each layer call with its output shape and parameter count."""
    rows = [[f"{r['name']} ({r['type']})", str(r["output_shape"]), f"{r['num_params']:,}"] for r in summary.rows]
    footer = [f"Total params: {summary.total_params:,}", f"Trainable params: {summary.trainable_params:,}",
              f"Non-trainable params: {summary.non_trainable_params:,}"]
    return table(["Layer (type)", "Output Shape", "Param #"], rows, caption=f'Model: "{summary.model_name}"',
                 footer=footer, right=(2,))


def history_html(logs: dict, epochs=None) -> str:
    """One row per epoch (counted from 1, as the training log prints them), one column per logged value."""
    keys = [k for k in logs if k != "epoch"]
    n = max((len(logs[k]) for k in keys), default=0)
    numbers = [e + 1 for e in epochs] if epochs is not None and len(epochs) == n else list(range(1, n + 1))
    rows = [[numbers[i]] + [_number(logs[k][i], k) if i < len(logs[k]) else "" for k in keys] for i in range(n)]
    if n > MAX_HISTORY_ROWS:
        half = MAX_HISTORY_ROWS // 2
        rows = rows[:half] + [["…"] * (len(keys) + 1)] + rows[-half:]
    return table(["epoch"] + keys, rows, caption=f"History: {n} epoch{'s' if n != 1 else ''}",
                 right=tuple(range(len(keys) + 1)))


def evaluation_html(result, class_names=None) -> str:
    """The accuracy with its 95% interval (and the loss), then the accuracy within each true class."""
    lo, hi = result.accuracy_ci
    overall = [["accuracy", f"{result.accuracy:.4f}", f"{result.correct}/{result.n}"],
               ["95% CI", f"{lo:.4f} – {hi:.4f}", "Wilson"]]
    if result.loss is not None:
        overall.append(["loss", f"{result.loss:.4f}", ""])
    cm = result.confusion_matrix
    names = [str(c) for c in (class_names if class_names is not None else range(len(cm)))]
    if len(names) != len(cm):
        raise ValueError(f"Evaluation.to_html: got {len(names)} class_names for {len(cm)} classes")
    per_class = [[name, "n/a" if math.isnan(acc) else f"{acc:.4f}", f"{int(cm[i, i])}/{int(cm[i].sum())}"]
                 for i, (name, acc) in enumerate(zip(names, result.per_class_accuracy))]
    return (table(["", "value", ""], overall, caption="Evaluation", right=(1, 2))
            + table(["class", "accuracy", "correct"], per_class, right=(1, 2)))
