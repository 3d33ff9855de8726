"""``summary(model, input_size)``: a Keras-style table of layers, output shapes and parameter counts."""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.autograd.grad_mode import no_grad
from chainrule.tensor import Tensor


class ModelSummary:
    """What ``summary`` returns: the table as ``str(...)`` plus its numbers as attributes.

    Attributes:
        rows (list of dict): one per layer call, with ``name``, ``type``, ``output_shape``, ``num_params``.
        total_params, trainable_params, non_trainable_params (int): counts over ``model.parameters()``.
    """

    def __init__(self, model_name, rows, total_params, trainable_params):
        self.model_name = model_name
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params

    def __str__(self):
        cells = [(f"{r['name']} ({r['type']})", str(r["output_shape"]), f"{r['num_params']:,}") for r in self.rows]
        header = ("Layer (type)", "Output Shape", "Param #")
        w0 = max([len(header[0])] + [len(c[0]) for c in cells]) + 4
        w1 = max([len(header[1])] + [len(c[1]) for c in cells]) + 4
        w2 = max([len(header[2])] + [len(c[2]) for c in cells])
        rule = "=" * (w0 + w1 + w2)
        lines = [f'Model: "{self.model_name}"', rule, f"{header[0]:<{w0}}{header[1]:<{w1}}{header[2]:>{w2}}", rule]
        lines += [f"{a:<{w0}}{b:<{w1}}{c:>{w2}}" for a, b, c in cells]
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            rule,
        ]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):  # Jupyter: the same table in HTML
        from chainrule.utils.html import summary_html

        return summary_html(self)


def _shape_of(output):
    if isinstance(output, Tensor):
        return list(output.shape)
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    return type(output).__name__


def summary(model, input_size, dtype=None, verbose: bool = True) -> ModelSummary:
    """Run ``model`` once on zeros and print each layer's output shape and parameter count.

    The forward pass runs under ``no_grad()`` in eval mode (so BatchNorm statistics and Dropout are
    untouched); every module's training flag is restored afterwards.

    Args:
        model (Module): the model.
        input_size (tuple or list of tuples): the full input shape *including* the batch dimension,
            e.g. ``(1, 784)`` (as torchinfo); a list of shapes for a model with several inputs.
        dtype: the dtype of the zeros. Default None: the dtype of the model's first parameter
            (float32 for a parameter-free model). Use ``chainrule.long`` for an Embedding model.
        verbose (bool): print the table. Default True.

    Returns:
        ModelSummary: ``str()`` is the table; ``total_params``, ``trainable_params``,
        ``non_trainable_params`` and ``rows`` hold the numbers.

    >>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    >>> summary(model, (1, 784)).total_params
    203530
    """
    sizes = [tuple(input_size)] if input_size and isinstance(input_size[0], int) else [tuple(s) for s in input_size]
    if dtype is None:
        first = next(model.parameters(), None)
        dtype = first.dtype if first is not None else dtypes.get_default_dtype()
    inputs = [Tensor._wrap(np.zeros(s, dtype=dtype)) for s in sizes]

    names = {m: name for name, m in model.named_modules()}
    rows, handles = [], []

    def record(module, args, output):
        rows.append({
            "name": names[module] or "(model)",
            "type": type(module).__name__,
            "output_shape": _shape_of(output),
            "num_params": sum(p.numel() for p in module.parameters(recurse=False)),  # children have own rows
        })

    for module in model.modules():
        if module is model and model._modules:
            continue
        if not module._modules or module._parameters:
            handles.append(module.register_forward_hook(record))
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.__dict__["training"] = mode

    params = list(model.parameters())
    result = ModelSummary(type(model).__name__, rows, sum(p.numel() for p in params),
                          sum(p.numel() for p in params if p.requires_grad))
    if verbose:
        print(result)
    return result
