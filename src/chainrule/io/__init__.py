"""Saving and loading: weight files and training checkpoints in the safetensors format.

safetensors files hold only data (a JSON header and raw tensor bytes), so loading one cannot run
code, unlike pickle. Every write is atomic (temporary file, fsync, rename), and every failure to
load raises ``WeightsFileError`` naming the file and what is wrong with it. Needs the optional
``safetensors`` package: ``pip install chainrule[safe]``.

>>> from chainrule.io import save_state_dict, load_into
>>> save_state_dict(model.state_dict(), "model.safetensors")
>>> load_into(model, "model.safetensors")
"""

from chainrule.io.atomic import atomic_path, atomic_write
from chainrule.io.checkpoint import load_checkpoint, save_checkpoint
from chainrule.io.serialize import load, save
from chainrule.io.weights import WeightsFileError, load_into, load_state_dict, read_metadata, save_state_dict

__all__ = [
    "WeightsFileError", "save_state_dict", "load_state_dict", "read_metadata", "load_into",
    "save_checkpoint", "load_checkpoint", "atomic_write", "atomic_path", "save", "load",
]
