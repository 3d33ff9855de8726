"""``Optimizer``: the base class of every optimizer (param groups, lazy state, zero_grad, state_dict).

A subclass validates its hyperparameters, passes them to ``Optimizer.__init__`` as ``defaults`` and
writes ``step()``: one readable loop over ``param_groups`` and their parameters that updates each
``p._data`` in place from ``p.grad._data``. Updates work on raw NumPy arrays, so nothing is recorded
for backward and no ``no_grad`` block is needed.

State lives in ``self.state[p]`` as NumPy arrays in the parameter's dtype (``step`` is a Python
int); ``state_dict()`` exports it in PyTorch's layout with chainrule Tensors.
"""

from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

import chainrule as cr


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts (param groups), each with a ``"params"`` entry and
            any per-group options that override ``defaults``.
        defaults (dict): the default hyperparameters of every param group.

    >>> w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = chainrule.optim.SGD([{"params": [w], "lr": 0.1}], lr=0.01)
    >>> opt.param_groups[0]["lr"]
    0.1
    """

    # State entries kept as Python numbers (exported as 0-d tensors, as PyTorch stores them).
    _scalar_state: tuple[str, ...] = ("step",)

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        if isinstance(params, cr.Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got a Tensor of shape {tuple(params.shape)}; wrap it in a list: [param]"
            )
        self.defaults = defaults
        self.state: defaultdict[cr.Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch_buffers: dict[tuple, np.ndarray] = {}
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults).

        >>> opt.add_param_group({"params": [head.weight], "lr": 1e-3})
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, cr.Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        param_group["params"] = list(params)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in param_group["params"]:
            if not isinstance(p, cr.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if id(p) in seen:
                raise ValueError(
                    f"some parameters appear more than once (a parameter of shape {tuple(p.shape)}); "
                    "give each parameter to the optimizer only once"
                )
            seen.add(id(p))
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (``set_to_none=True``) or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data.fill(0)

    def step(self, closure=None):
        """Update every parameter that has a gradient; return the closure's loss, if one is given."""
        raise NotImplementedError

    def _params_with_grad(self, init=None, groups=None):
        """Each parameter that has a gradient, with its state and its param group: ``(p, state, group)``.

        ``groups`` (default: all param groups) limits the walk to those. ``init(p, group)``, if given,
        makes the parameter's first state (a dict of arrays and numbers) the first time it is met;
        without it, ``state`` is whatever ``self.state`` holds (None at first). So that ``step`` reads
        like the algorithm::

            for p, state, group in self._params_with_grad(lambda p, group: {"step": 0, "sum": zeros(p)}):
                state["step"] += 1
                ...
        """
        for group in self.param_groups if groups is None else groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state and init is not None:
                    state = self.state[p]
                    state.update(init(p, group))
                yield p, state, group

    @staticmethod
    def _check_non_negative(**hyperparameters) -> None:
        """Raise PyTorch's ``ValueError`` (``Invalid epsilon value: -1``) for any value below 0 (or NaN)."""
        for name, value in hyperparameters.items():
            if not 0.0 <= value:
                raise ValueError(f"Invalid {'epsilon' if name == 'eps' else name} value: {value}")

    def _closure_loss(self, closure):
        # The closure re-evaluates the model, so it must record a graph even when called from no_grad.
        if closure is None:
            return None
        with cr.enable_grad():
            return closure()

    def _scratch(self, p: cr.Tensor, slot: int | str = 0) -> np.ndarray:
        # A reusable temporary shaped like p: re-allocating large arrays every step page-faults and
        # costs more than the arithmetic. One flat buffer per (dtype, slot), as large as the largest
        # parameter, serves every parameter through a view.
        data = p._data
        key = (data.dtype, slot)
        buf = self._scratch_buffers.get(key)
        if buf is None or buf.size < data.size:
            buf = self._scratch_buffers[key] = np.empty(data.size, data.dtype)
        return buf[: data.size].reshape(data.shape)

    def _grad(self, p: cr.Tensor, maximize: bool = False, weight_decay: float = 0) -> np.ndarray:
        # p's gradient, negated to maximize and with the L2 term weight_decay * p added; p.grad itself
        # is left untouched.
        g = p.grad._data
        if weight_decay != 0:
            out = np.multiply(p._data, weight_decay, out=self._scratch(p, "grad"))
            return np.subtract(out, g, out=out) if maximize else np.add(out, g, out=out)
        return np.negative(g, out=self._scratch(p, "grad")) if maximize else g

    # --- saving and loading ---------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Return ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are numbered in the order of ``param_groups``; state arrays are copied into
        chainrule Tensors (``step`` becomes a 0-d float32 tensor, as in PyTorch).
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _export(k, v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: hyperparameters and (deep-copied) state, cast to each parameter's dtype."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)} in the state dict, {len(self.param_groups)} in the optimizer)"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group: group {i} has {len(saved['params'])} parameters in the state "
                    f"dict and {len(group['params'])} in the optimizer"
                )
        id_map = {
            saved_index: p
            for group, saved in zip(self.param_groups, saved_groups)
            for saved_index, p in zip(saved["params"], group["params"])
        }
        state: defaultdict[cr.Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key not in id_map:
                raise ValueError(
                    f"loaded state dict has state for parameter {key}, which none of its param_groups lists"
                )
            p = id_map[key]
            state[p] = {name: self._import(name, value, p, key) for name, value in values.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
        self.param_groups = saved_groups
        self.state = state

    def _import(self, name: str, value: Any, p: cr.Tensor, index: int) -> Any:
        if isinstance(value, cr.Tensor):
            value = value._data
        if name in self._scalar_state:
            return int(value) if name == "step" else float(value)
        array = np.array(value, dtype=p._data.dtype, copy=True)
        if array.shape != p._data.shape:
            raise ValueError(
                f"loaded state dict has state '{name}' of shape {array.shape} for parameter {index}, "
                f"but that parameter has shape {p._data.shape}"
            )
        return array


def check_lr(lr: Any, where: str) -> None:
    """Validate a learning rate in ``__init__``: PyTorch's message, plus what is expected and an example."""
    if isinstance(lr, bool) or not isinstance(lr, (numbers.Real, cr.Tensor)):
        raise TypeError(f"{where}: lr must be a number, got {lr!r} ({type(lr).__name__}); e.g. lr=0.01")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr} ({where} needs lr >= 0, e.g. lr=0.01)")


def _export(name: str, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return cr.tensor(value)  # a copy
    if name == "step":
        return cr.tensor(np.array(value, dtype=np.float32))
    if isinstance(value, float):
        return cr.tensor(np.array(value, dtype=np.float64))
    return copy.deepcopy(value)
