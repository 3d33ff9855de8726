"""``chainrule.save`` / ``chainrule.load``: PyTorch's two calls, on safetensors instead of pickle.

``torch.save(model.state_dict(), PATH)`` and ``model.load_state_dict(torch.load(PATH))`` work as
on the slides. What can be saved is what a state_dict is made of: tensors (and NumPy arrays) inside
dicts, lists and tuples, with numbers, strings, booleans and None beside them. So an optimizer's
state_dict and the usual ``{"epoch": e, "model": ..., "optimizer": ...}`` checkpoint dict save too.
A whole Module or any other object does not: loading one would mean running code from the file.

Layout: a plain ``{name: tensor}`` mapping is written as an ordinary weights file (any safetensors
reader, PyTorch's included, loads it). Anything else keeps its tensors under their path in the tree
(``"model/0.weight"``) and the tree itself, with ``{"__tensor__": path}`` placeholders, as JSON in
the metadata entry ``chainrule.tree``.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule.io.checkpoint import _decode, _encode
from chainrule.io.weights import WeightsFileError, load_state_dict, read_metadata, save_state_dict
from chainrule.tensor import Tensor

__all__ = ["save", "load"]

_TREE_KEY = "chainrule.tree"
_PLACEHOLDER = "__tensor__"


def _is_flat_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and all(
        isinstance(k, str) and isinstance(v, (Tensor, np.ndarray)) for k, v in obj.items())


def _split(obj: Any, path: str, tensors: dict) -> Any:
    """The tree with each tensor moved into ``tensors`` and replaced by a placeholder."""
    if isinstance(obj, (Tensor, np.ndarray)):
        tensors[path] = obj
        return {_PLACEHOLDER: path}
    if isinstance(obj, Mapping):
        return {k: _split(v, f"{path}/{k}" if path else str(k), tensors) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_split(v, f"{path}/{i}", tensors) for i, v in enumerate(obj))
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        raise TypeError(
            f"chainrule.save stores tensors and plain data, not a {type(obj).__name__} module (loading a module "
            "would mean running code from the file); save model.state_dict() and, to load, build the model "
            "and call model.load_state_dict(chainrule.load(path))"
        )
    return obj


def _join(obj: Any, tensors: Mapping[str, Tensor], path: str) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {_PLACEHOLDER}:
            name = obj[_PLACEHOLDER]
            if name not in tensors:
                raise WeightsFileError(path, f"the saved structure refers to tensor {name!r}, which the file lacks")
            return tensors[name]
        return {k: _join(v, tensors, path) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_join(v, tensors, path) for v in obj)
    return obj


def save(obj: Any, f: str | os.PathLike) -> None:
    """Save a state_dict (or a tree of them) to ``f``, atomically, in the safetensors format.

    Args:
        obj: ``{name: tensor}``, or dicts / lists / tuples holding tensors, numbers, strings, None.
        f (str or PathLike): the file; any name works (``model.pt`` as on the slides, or
            ``model.safetensors``).

    >>> chainrule.save(model.state_dict(), "model.pt")
    >>> model.load_state_dict(chainrule.load("model.pt"))
    """
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"chainrule.save: expected a file path, got a {type(f).__name__}; pass the file's name")
    if _is_flat_state_dict(obj):
        save_state_dict(obj, f)
        return
    tensors: dict[str, Any] = {}
    tree = _split(obj, "", tensors)
    metadata = {_TREE_KEY: json.dumps(_encode(tree, "chainrule.save(obj)"))}
    save_state_dict(tensors, f, metadata=metadata)


class _MissingFileError(WeightsFileError, FileNotFoundError):
    """A missing file: chainrule's WeightsFileError, and PyTorch's FileNotFoundError."""


def load(f: str | os.PathLike, map_location: Any = None, weights_only: bool = True, **kwargs) -> Any:
    """Load what ``save`` wrote (or any safetensors file, as ``{name: tensor}``).

    Args:
        f (str or PathLike): the file.
        map_location: accepted for PyTorch compatibility; chainrule runs on the CPU.
        weights_only (bool): accepted for compatibility; chainrule files only ever hold data.

    Raises:
        WeightsFileError: the file is missing, damaged, or not a safetensors file (a PyTorch
            ``torch.save`` pickle cannot be read: save it with ``safetensors.torch.save_file``).

    >>> model.load_state_dict(chainrule.load("model.pt"))
    """
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"chainrule.load: expected a file path, got a {type(f).__name__}; pass the file's name")
    if not os.path.exists(f):
        raise _MissingFileError(f, "no such file")
    try:
        tensors = load_state_dict(f)
    except WeightsFileError as e:
        if _looks_like_pickle(f):
            raise WeightsFileError(f, "this is a pickle (PyTorch's torch.save format), which chainrule never loads "
                                      "because loading it can run code; in PyTorch, save the state_dict with "
                                      "safetensors.torch.save_file(model.state_dict(), path) instead") from e
        raise
    tree = read_metadata(f).get(_TREE_KEY)
    if tree is None:
        return OrderedDict(tensors)
    try:
        decoded = _decode(json.loads(tree), "tree")
    except (ValueError, TypeError) as e:
        raise WeightsFileError(f, f"metadata {_TREE_KEY!r} is not a valid saved structure ({e})") from None
    return _join(decoded, tensors, os.fspath(f))


def _looks_like_pickle(f) -> bool:
    try:
        with open(f, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return head[:1] == b"\x80" or head == b"PK"  # a pickle protocol byte, or torch's zip container
