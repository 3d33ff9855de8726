"""``chainrule.save`` / ``chainrule.load``: PyTorch's two calls, on safetensors instead of pickle.

``torch.save(model.state_dict(), PATH)`` and ``model.load_state_dict(torch.load(PATH))`` work as
on the slides. What can be saved is what a state_dict is made of: tensors (and NumPy arrays) inside
dicts, lists and tuples, with numbers, strings, booleans and None beside them. So an optimizer's
state_dict and the usual ``{"epoch": e, "model": ..., "optimizer": ...}`` checkpoint dict save too.
A whole Module or any other object does not: loading one would mean running code from the file.

Layout: a plain ``{name: Tensor}`` mapping is written as an ordinary weights file (any safetensors
reader, PyTorch's included, loads it). Anything else keeps its tensors under their path in the tree
(``"model/0.weight"``; a ``/`` inside a key is written ``~1`` and a ``~`` as ``~0``, as in JSON Pointer)
and the tree itself as JSON in the metadata entry ``chainrule.tree``: a tensor is ``{"__tensor__": name}``
(a NumPy array ``{"__array__": name}``), a tuple ``{"__tuple__": [...]}``, a dict whose keys are not all
strings, or that uses one of these tag names as a key, ``{"__dict__": [[key, value], ...]}``, an
infinity or NaN ``{"__float__": "inf"}``. So every saveable tree loads back equal, with the same types.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.io.weights import WeightsFileError, load_state_dict, read_metadata, save_state_dict
from chainrule.tensor import Tensor

__all__ = ["save", "load"]

_TREE_KEY = "chainrule.tree"
_PLACEHOLDER, _ARRAY = "__tensor__", "__array__"
_TAGS = (_PLACEHOLDER, _ARRAY, "__tuple__", "__dict__", "__counter__", "__float__")


def _is_flat_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and not isinstance(obj, Counter) and all(
        isinstance(k, str) and k != "__metadata__" and isinstance(v, Tensor) for k, v in obj.items())


def _component(key: Any) -> str:
    """A dict key as one component of a tensor's name: unambiguous, never containing ``/``."""
    if isinstance(key, str):
        return key.replace("~", "~0").replace("/", "~1")
    return "~2" + repr(key)  # a non-string key; escaped string keys never contain "~2"


class _Encoder:
    """The tree as JSON with tagged objects, its tensors moved into ``tensors`` under their path."""

    def __init__(self):
        self.tensors: dict[str, Any] = {}
        self.open: set[int] = set()  # ids of the containers on the current path: a repeat is a cycle

    def encode(self, obj: Any, path: str, where: str) -> Any:
        if isinstance(obj, (Tensor, np.ndarray)):
            name = path if path != "__metadata__" else "~m"  # the one name safetensors reserves
            self.tensors[name] = obj
            return {_PLACEHOLDER if isinstance(obj, Tensor) else _ARRAY: name}
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, (Mapping, list, tuple)):
            if id(obj) in self.open:
                raise ValueError(f"chainrule.save: {where} contains itself (a cycle); a saved structure must be a "
                                 "tree: copy the inner part or leave the reference out")
            self.open.add(id(obj))
            try:
                return self._container(obj, path, where)
            finally:
                self.open.discard(id(obj))
        if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
            raise TypeError(
                f"chainrule.save stores tensors and plain data, not a {type(obj).__name__} module (loading a module "
                "would mean running code from the file); save model.state_dict() and, to load, build the model "
                "and call model.load_state_dict(chainrule.load(path))")
        raise TypeError(f"chainrule.save: {where} is a {type(obj).__name__}; a saved structure holds only tensors, "
                        "NumPy arrays, dicts, lists, tuples, numbers, strings, booleans and None")

    def _container(self, obj, path: str, where: str) -> Any:
        prefix = f"{path}/" if path else ""
        if isinstance(obj, Mapping):
            children = [(k, self.encode(v, prefix + _component(k), f"{where}[{k!r}]")) for k, v in obj.items()]
            if isinstance(obj, Counter) or not all(isinstance(k, str) and k not in _TAGS for k in obj):
                tag = "__counter__" if isinstance(obj, Counter) else "__dict__"
                return {tag: [[self.encode(k, "", where), v] for k, v in children]}
            return dict(children)
        items = [self.encode(v, prefix + str(i), f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items


class _BadTree(ValueError):
    pass


def _decode(value: Any, tensors: Mapping[str, Tensor]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    tag = next(iter(value), None)
    if len(value) != 1 or tag not in _TAGS:
        if any(k in _TAGS for k in value):
            raise _BadTree(f"an object mixes the tag {[k for k in value if k in _TAGS][0]!r} with other keys")
        return {k: _decode(v, tensors) for k, v in value.items()}
    payload = value[tag]
    if tag in (_PLACEHOLDER, _ARRAY):
        if not isinstance(payload, str) or payload not in tensors:
            raise _BadTree(f"it refers to tensor {payload!r}, which the file lacks")
        return tensors[payload] if tag == _PLACEHOLDER else tensors[payload].numpy()
    if tag == "__float__":
        if payload not in ("inf", "-inf", "nan"):
            raise _BadTree(f"{{'__float__': {payload!r}}} is not 'inf', '-inf' or 'nan'")
        return float(payload)
    if not isinstance(payload, list):
        raise _BadTree(f"{tag!r} holds a {type(payload).__name__}, expected a list")
    if tag == "__tuple__":
        return tuple(_decode(v, tensors) for v in payload)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in payload):
        raise _BadTree(f"{tag!r} must hold [key, value] pairs")
    items = {}
    for k, v in payload:
        key = _decode(k, tensors)
        try:
            items[key] = _decode(v, tensors)
        except TypeError:  # an unhashable key
            raise _BadTree(f"key {key!r} cannot be a dict key") from None
    return Counter(items) if tag == "__counter__" else items


def save(obj: Any, f: str | os.PathLike) -> None:
    """Save a state_dict (or a tree of them) to ``f``, atomically, in the safetensors format.

    Args:
        obj: ``{name: tensor}``, or dicts / lists / tuples holding tensors, NumPy arrays, numbers,
            strings, booleans and None (any keys, ``/`` included). ``load`` gives back an equal tree.
        f (str or PathLike): the file; any name works (``model.pt`` as on the slides, or
            ``model.safetensors``).

    Raises:
        TypeError: ``obj`` holds something else (a Module, an arbitrary object).
        ValueError: ``obj`` contains itself (a cycle) or is nested too deeply.

    >>> chainrule.save(model.state_dict(), "model.pt")
    >>> model.load_state_dict(chainrule.load("model.pt"))
    """
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"chainrule.save: expected a file path, got a {type(f).__name__}; pass the file's name")
    if _is_flat_state_dict(obj):
        save_state_dict(obj, f)
        return
    encoder = _Encoder()
    try:
        tree = json.dumps(encoder.encode(obj, "", "obj"), allow_nan=False)
    except RecursionError:
        raise ValueError("chainrule.save: obj is nested too deeply to save (thousands of levels); "
                         "flatten it") from None
    save_state_dict(encoder.tensors, f, metadata={_TREE_KEY: tree})


class _MissingFileError(WeightsFileError, FileNotFoundError):
    """A missing file: chainrule's WeightsFileError, and PyTorch's FileNotFoundError."""


def load(f: str | os.PathLike, map_location: Any = None, weights_only: bool = True, **kwargs) -> Any:
    """Load what ``save`` wrote (or any safetensors file, as ``{name: tensor}``).

    Args:
        f (str or PathLike): the file.
        map_location: accepted for PyTorch compatibility; chainrule runs on the CPU.
        weights_only (bool): accepted for compatibility; chainrule files only ever hold data.

    Raises:
        WeightsFileError: the file is missing, not a regular file, damaged, or not a safetensors file
            (a PyTorch ``torch.save`` zip or pickle is named as such, with how to convert it).

    >>> model.load_state_dict(chainrule.load("model.pt"))
    """
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"chainrule.load: expected a file path, got a {type(f).__name__}; pass the file's name")
    if not os.path.exists(f):
        raise _MissingFileError(f, "no such file")
    tensors = load_state_dict(f)
    tree = read_metadata(f).get(_TREE_KEY)
    if tree is None:
        return OrderedDict(tensors)
    try:
        return _decode(json.loads(tree), tensors)
    except (ValueError, TypeError, RecursionError) as e:
        raise WeightsFileError(f, f"metadata {_TREE_KEY!r} is not a valid saved structure ({e})") from None
