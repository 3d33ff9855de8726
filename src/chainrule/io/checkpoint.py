"""Training checkpoints: model, optimizer and scheduler state in one safetensors file.

Layout (readable by any safetensors reader, including ``safetensors.torch.load_file``):

- tensor ``model.<key>`` for each entry of ``model.state_dict()``;
- tensor ``optim.<index>.<name>`` for each tensor in ``optimizer.state_dict()["state"][index]``;
- tensor ``arrays.<name>`` for each entry of ``arrays`` (other arrays of the run, e.g. the data order);
- metadata ``"chainrule"``: one JSON document with everything else: the optimizer's class,
  ``param_groups`` and number-valued state, the scheduler's class and ``state_dict()``, and ``extra``
  (epoch, step, config, random generator states, ...).

JSON has no tuples, non-string keys or infinities, which optimizer and scheduler states contain
(``betas=(0.9, 0.999)``, ``Counter({30: 1})``, ``best=inf``); they are written as one-key objects
``{"__tuple__": [...]}``, ``{"__dict__": [[key, value], ...]}``, ``{"__counter__": [...]}`` and
``{"__float__": "inf"}``, so that they load back as the same Python values.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.io.weights import (
    WeightsFileError, _check_expected, _is_int, _load_arrays, _read_header, _reject_constant, _reject_duplicates,
    save_state_dict,
)
from chainrule.tensor import Tensor

__all__ = ["save_checkpoint", "load_checkpoint"]

_FORMAT, _VERSION, _KEY = "chainrule.checkpoint", 1, "chainrule"
_TAGS = ("__tuple__", "__dict__", "__counter__", "__float__")
_INFO_KEYS = {"format", "version", "model", "optimizer", "scheduler", "extra"}


# --- JSON with tuples, non-string keys and infinities ----------------------------------------

def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, Mapping):
        if isinstance(value, Counter) or not all(isinstance(k, str) and k not in _TAGS for k in value):
            tag = "__counter__" if isinstance(value, Counter) else "__dict__"
            return {tag: [[_encode(k, where), _encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        return {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
    hint = " (store generator.get_state() instead)" if hasattr(value, "get_state") else ""
    raise TypeError(
        f"save_checkpoint: {where} is a {type(value).__name__}{hint}; a checkpoint's metadata holds only "
        "None, bool, int, float, str, list, tuple and dict (tensors belong to the model)"
    )


class _BadValue(ValueError):
    pass


def _decode(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    tag = next(iter(value), None)
    if len(value) != 1 or tag not in _TAGS:
        if any(k in _TAGS for k in value):
            raise _BadValue(f"{where} mixes the tag {[k for k in value if k in _TAGS][0]!r} with other keys")
        return {k: _decode(v, f"{where}[{k!r}]") for k, v in value.items()}
    payload = value[tag]
    if tag == "__float__":
        if payload not in ("inf", "-inf", "nan"):
            raise _BadValue(f"{where} is {{'__float__': {payload!r}}}, expected 'inf', '-inf' or 'nan'")
        return float(payload)
    if not isinstance(payload, list):
        raise _BadValue(f"{where}: {tag!r} holds a {type(payload).__name__}, expected a list")
    if tag == "__tuple__":
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(payload))
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in payload):
        raise _BadValue(f"{where}: {tag!r} must hold [key, value] pairs")
    items = {}
    for k, v in payload:
        k = _decode(k, where)
        try:
            items[k] = _decode(v, f"{where}[{k!r}]")
        except TypeError:  # an unhashable key
            raise _BadValue(f"{where}: key {k!r} cannot be a dict key") from None
    return Counter(items) if tag == "__counter__" else items


def _same_kind(saved: Any, current: Any) -> bool:
    # Loose type agreement between a saved value and the live object's value: catches `lr: "abc"`
    # without failing on int/float or list/tuple differences.
    if saved is None or current is None:
        return True
    if isinstance(saved, bool) or isinstance(current, bool):
        return isinstance(saved, (bool, np.bool_)) and isinstance(current, (bool, np.bool_))
    for kinds in (numbers.Real, (list, tuple), Mapping, str):
        if isinstance(current, kinds):
            return isinstance(saved, kinds)
    return True


# --- saving ----------------------------------------------------------------------------------

def save_checkpoint(path: str | os.PathLike, *, model: Any = None, optimizer: Any = None,
                    scheduler: Any = None, extra: Mapping[str, Any] | None = None,
                    arrays: Mapping[str, Any] | None = None) -> None:
    """Save a training run's state to one safetensors file, atomically.

    Args:
        path (str | PathLike): the file to write.
        model (optional): an ``nn.Module`` (anything with ``state_dict()``). Default None.
        optimizer (optional): an ``optim.Optimizer`` (PyTorch's ``state_dict()`` layout). Default None.
        scheduler (optional): a learning-rate scheduler (``state_dict()`` of plain values). Default None.
        extra (dict, optional): anything else JSON-like: epoch, step, config, random generator states
            (``chainrule.get_rng_state()``). Default None.
        arrays (dict, optional): named arrays or Tensors that are not model or optimizer state (the
            data loader's order, a callback's best weights); ``load_checkpoint(..., return_arrays=True)``
            gives them back. Default None.

    >>> save_checkpoint("ckpt.safetensors", model=model, optimizer=opt, scheduler=sched,
    ...                 extra={"epoch": 3, "rng": chainrule.get_rng_state()})
    """
    if extra is not None and not isinstance(extra, Mapping):
        raise TypeError(f"save_checkpoint: extra must be a dict, got {type(extra).__name__}")
    if arrays is not None and not isinstance(arrays, Mapping):
        raise TypeError(f"save_checkpoint: arrays must be a dict of arrays, got {type(arrays).__name__}")
    tensors: dict[str, Any] = {}
    for name, value in (arrays or {}).items():
        if not isinstance(name, str) or not name or not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"save_checkpoint: arrays must map names to arrays or Tensors, got {name!r}: "
                            f"{type(value).__name__}")
        tensors[f"arrays.{name}"] = value
    info: dict[str, Any] = {"format": _FORMAT, "version": _VERSION, "model": model is not None,
                            "optimizer": None, "scheduler": None,
                            "extra": _encode(dict(extra or {}), "extra")}
    if model is not None:
        tensors.update((f"model.{key}", value) for key, value in model.state_dict().items())
    if optimizer is not None:
        state_dict = optimizer.state_dict()
        numbers_state: dict[str, dict[str, Any]] = {}
        for index, values in state_dict["state"].items():
            if not _is_int(index):
                raise TypeError(f"save_checkpoint: optimizer state keys must be parameter indices, got {index!r}")
            for name, value in values.items():
                if isinstance(value, (Tensor, np.ndarray)):
                    tensors[f"optim.{index}.{name}"] = value
                else:
                    numbers_state.setdefault(str(index), {})[name] = value
        info["optimizer"] = {
            "class": type(optimizer).__name__,
            "param_groups": _encode(state_dict["param_groups"], "optimizer.state_dict()['param_groups']"),
            "state": _encode(numbers_state, "optimizer.state_dict()['state']"),
        }
    if scheduler is not None:
        info["scheduler"] = {"class": type(scheduler).__name__,
                             "state": _encode(scheduler.state_dict(), "scheduler.state_dict()")}
    document = json.dumps(info, allow_nan=False, separators=(",", ":"))
    save_state_dict(tensors, path, metadata={_KEY: document})


# --- loading ---------------------------------------------------------------------------------

def _read_info(path: str, metadata: Mapping[str, str]) -> dict[str, Any]:
    if _KEY not in metadata:
        raise WeightsFileError(path, f"not a chainrule checkpoint (no {_KEY!r} entry in its metadata); "
                                     "plain weight files load with chainrule.io.load_into")

    try:
        info = json.loads(metadata[_KEY], object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
        if not isinstance(info, dict) or set(info) != _INFO_KEYS:
            keys = sorted(info) if isinstance(info, dict) else type(info).__name__
            raise _BadValue(f"expected an object with keys {sorted(_INFO_KEYS)}, got {keys}")
        if info["format"] != _FORMAT or not _is_int(info["version"]) or info["version"] != _VERSION:
            raise _BadValue(f"format {info['format']!r} version {info['version']!r} is not "
                            f"{_FORMAT!r} version {_VERSION}")
        if not isinstance(info["model"], bool):
            raise _BadValue(f"'model' is {info['model']!r}, expected true or false")
        if not isinstance(info["extra"], dict):
            raise _BadValue(f"'extra' is a {type(info['extra']).__name__}, expected an object")
        for part, fields in (("optimizer", {"class", "param_groups", "state"}), ("scheduler", {"class", "state"})):
            if info[part] is not None and (not isinstance(info[part], dict) or set(info[part]) != fields):
                raise _BadValue(f"{part!r} must be null or an object with keys {sorted(fields)}")
            if info[part] is not None and not isinstance(info[part]["class"], str):
                raise _BadValue(f"'{part}.class' must be a string")
        info = _decode(info, "metadata")
        if info["optimizer"] is not None:
            _check_optimizer_layout(info["optimizer"])
        return info
    except (ValueError, RecursionError) as e:
        raise WeightsFileError(path, f"metadata {_KEY!r} is not a valid checkpoint description ({e})") from e


def _check_optimizer_layout(saved: dict[str, Any]) -> None:
    groups, seen = saved["param_groups"], set()
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise _BadValue("'optimizer.param_groups' must be a list of objects")
    for i, group in enumerate(groups):
        params = group.get("params")
        if not (isinstance(params, list) and all(_is_int(p) for p in params)) \
                or len(set(params)) != len(params) or seen & set(params):
            raise _BadValue(f"optimizer param_groups[{i}]['params'] must be a list of distinct parameter "
                            f"indices, got {params!r}")
        seen.update(params)
    state = saved["state"]
    if not isinstance(state, dict):
        raise _BadValue(f"'optimizer.state' must be an object, got {type(state).__name__}")
    for index, values in state.items():
        if not (isinstance(index, str) and index.isdecimal() and int(index) in seen
                and isinstance(values, dict) and all(isinstance(k, str) for k in values)):
            raise _BadValue(f"optimizer state entry {index!r} is not an object for a parameter index of the "
                            "param groups")


def _check_optimizer_fits(path: str, optimizer: Any, saved: dict[str, Any]) -> None:
    def fail(problem: str) -> WeightsFileError:
        return WeightsFileError(path, f"optimizer state: {problem}")

    if saved["class"] != type(optimizer).__name__:
        raise fail(f"the checkpoint holds {saved['class']} state, but the optimizer is {type(optimizer).__name__}")
    groups, live_groups = saved["param_groups"], optimizer.param_groups
    if len(groups) != len(live_groups):
        raise fail(f"{len(groups)} param groups saved, but the optimizer has {len(live_groups)}")
    for i, (group, live) in enumerate(zip(groups, live_groups)):
        if len(group["params"]) != len(live["params"]):
            raise fail(f"param_groups[{i}] has {len(group['params'])} parameters saved, but the optimizer's "
                       f"group has {len(live['params'])}")
        for key, value in group.items():
            if key != "params" and key in live and not _same_kind(value, live[key]):
                raise fail(f"param_groups[{i}][{key!r}] is {value!r}, but the optimizer has a "
                           f"{type(live[key]).__name__} there")


def _check_scheduler_fits(path: str, scheduler: Any, saved: dict[str, Any]) -> None:
    def fail(problem: str) -> WeightsFileError:
        return WeightsFileError(path, f"scheduler state: {problem}")

    if saved["class"] != type(scheduler).__name__:
        raise fail(f"the checkpoint holds {saved['class']} state, but the scheduler is {type(scheduler).__name__}")
    if not isinstance(saved["state"], dict):
        raise fail(f"expected an object, got {type(saved['state']).__name__}")
    live = scheduler.state_dict()
    for key, value in saved["state"].items():
        if key in live and not _same_kind(value, live[key]):
            raise fail(f"{key!r} is {value!r}, but the scheduler has a {type(live[key]).__name__} there")


def _optimizer_state(path: str, saved: dict[str, Any], tensors: dict[str, np.ndarray]) -> dict[str, Any]:
    """Rebuild ``optimizer.state_dict()``: numbers from the JSON, tensors from the file."""
    state = {int(index): dict(values) for index, values in saved["state"].items()}
    for name, array in tensors.items():
        index, key = name.split(".", 2)[1:]
        entry = state.setdefault(int(index), {})
        if key in entry:
            raise WeightsFileError(path, f"optimizer state: '{key}' of parameter {index} is saved both as "
                                         f"tensor {name!r} and in the metadata")
        entry[key] = Tensor._wrap(array)
    return {"state": dict(sorted(state.items())), "param_groups": saved["param_groups"]}


def _split_names(path: str, names, param_indices) -> tuple[list[str], list[str], list[str]]:
    model_names, optim_names, array_names = [], [], []
    for name in names:
        if name.startswith("model."):
            model_names.append(name)
            continue
        if name.startswith("arrays.") and len(name) > len("arrays."):
            array_names.append(name)
            continue
        parts = name.split(".", 2)
        if parts[0] != "optim" or len(parts) != 3 or not parts[1].isdecimal() or not parts[2]:
            raise WeightsFileError(path, f"tensor {name!r} is neither 'model.<key>' nor 'optim.<index>.<name>' "
                                         "(nor 'arrays.<name>')")
        if int(parts[1]) not in param_indices:
            raise WeightsFileError(path, f"tensor {name!r} is state of parameter {parts[1]}, which no saved "
                                         "param group holds")
        optim_names.append(name)
    return model_names, optim_names, array_names


def load_checkpoint(path: str | os.PathLike, *, model: Any = None, optimizer: Any = None,
                    scheduler: Any = None, return_arrays: bool = False, check: Any = None):
    """Restore what ``save_checkpoint`` saved into the given objects and return its ``extra``.

    Everything is read and checked (tensor names, shapes and dtypes against the model, param groups
    against the optimizer, the classes of optimizer and scheduler) before any object is changed.

    Args:
        path (str | PathLike): the checkpoint file.
        model (optional): restored with ``model.load_state_dict``. Default None (not restored).
        optimizer (optional): restored with ``optimizer.load_state_dict``. Default None.
        scheduler (optional): restored with ``scheduler.load_state_dict``. Default None.
        return_arrays (bool): also return the ``arrays`` given to ``save_checkpoint``. Default False.
        check (callable, optional): called with the ``extra`` as soon as the file's description is
            read, before anything is checked against the objects or changed; raise in it to refuse
            the checkpoint (the file is read once). Default None.

    Returns:
        dict: the ``extra`` given to ``save_checkpoint``; with ``return_arrays=True`` the pair
        ``(extra, arrays)``, ``arrays`` a dict of NumPy arrays.

    Raises:
        WeightsFileError: the file is damaged, not a checkpoint, lacks a requested part, or does not
            fit the given model / optimizer / scheduler.

    >>> extra = load_checkpoint("ckpt.safetensors", model=model, optimizer=opt, scheduler=sched)
    >>> start_epoch = extra["epoch"] + 1
    """
    path = os.fspath(path)
    entries, metadata = _read_header(path)
    info = _read_info(path, metadata)
    if check is not None:
        check(info["extra"])
    for part, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None and not info[part]:
            raise WeightsFileError(path, f"the checkpoint has no {part} state, but a {part} was given to restore")
    saved_opt = info["optimizer"]
    param_indices = set() if saved_opt is None else {p for g in saved_opt["param_groups"] for p in g["params"]}
    model_names, optim_names, array_names = _split_names(path, entries, param_indices)
    if model_names and not info["model"]:
        raise WeightsFileError(path, f"tensor {model_names[0]!r} is model state, but the metadata says "
                                     "the checkpoint has no model")
    if model is not None:
        expected = {f"model.{key}": value for key, value in model.state_dict().items()}
        _check_expected(path, {n: entries[n] for n in model_names}, expected)
    if optimizer is not None:
        _check_optimizer_fits(path, optimizer, saved_opt)
    if scheduler is not None:
        _check_scheduler_fits(path, scheduler, info["scheduler"])

    names = ((model_names if model is not None else []) + (optim_names if optimizer is not None else [])
             + (array_names if return_arrays else []))
    arrays = _load_arrays(path, entries, names)
    # The model goes last: its tensors were checked above, while the optimizer and the scheduler may
    # still reject their state (PyTorch-style load_state_dict validates before changing anything).
    updates = []
    if optimizer is not None:
        updates.append((optimizer, _optimizer_state(path, saved_opt, {n: arrays[n] for n in optim_names})))
    if scheduler is not None:
        updates.append((scheduler, info["scheduler"]["state"]))
    if model is not None:
        updates.append((model, {name[len("model."):]: Tensor._wrap(arrays[name]) for name in model_names}))
    for obj, state in updates:
        try:
            obj.load_state_dict(state)
        except Exception as e:
            raise WeightsFileError(path, f"{type(obj).__name__}.load_state_dict rejected the saved state "
                                         f"({type(e).__name__}: {e})") from e
    if return_arrays:
        return info["extra"], {name[len("arrays."):]: arrays[name] for name in array_names}
    return info["extra"]
