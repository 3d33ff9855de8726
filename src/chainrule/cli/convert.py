"""``chainrule convert model.pth model.safetensors``: a PyTorch checkpoint's weights as a safetensors file.

The checkpoint is read only through ``torch.load(path, weights_only=True)`` (PyTorch's restricted
unpickler, which builds tensors and plain containers and refuses anything else), and only when PyTorch
is installed; chainrule itself never unpickles. Without PyTorch the command says how to export the file
where PyTorch is. A checkpoint that wraps the state_dict (``{"state_dict": ...}`` or ``{"model": ...}``,
as training scripts often save it) is unwrapped, and a ``module.`` prefix from DataParallel is dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chainrule.cli.runs import RunError

EXPORT_HINT = ("in Python where PyTorch is installed: from safetensors.torch import save_file; "
               "save_file(model.state_dict(), 'model.safetensors')")


def read_torch_checkpoint(path) -> dict:
    """``{name: NumPy array}`` from a PyTorch checkpoint, via ``torch.load(weights_only=True)`` only."""
    try:
        import torch
    except ImportError:
        raise RunError(f"{path}: reading a PyTorch checkpoint needs PyTorch, which is not installed (chainrule never "
                       f"unpickles files itself); install torch, or export the weights {EXPORT_HINT}") from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, ... ; all mean "cannot read"
        raise RunError(f"{path}: torch.load(weights_only=True) refused or failed ({type(e).__name__}); if it holds "
                       f"a whole pickled model rather than weights, export the state_dict {EXPORT_HINT}") from None
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict):
        raise RunError(f"{path}: holds a {type(obj).__name__}, not a state_dict (a dict of tensors)")
    tensors = {}
    for name, value in obj.items():
        if not isinstance(value, torch.Tensor):
            continue  # e.g. an epoch counter saved beside the weights
        if value.dtype == torch.bfloat16:
            value = value.float()
        tensors[name.removeprefix("module.")] = np.array(value.detach().cpu().numpy(), order="C")  # keeps 0-d shapes
    if not tensors:
        raise RunError(f"{path}: no tensors found in the checkpoint")
    return tensors


def run_convert(args) -> int:
    from chainrule import io

    src, dst = Path(args.source), Path(args.target)
    if not src.is_file():
        raise RunError(f"{src}: no such file")
    if dst.suffix != ".safetensors":
        raise RunError(f"{dst}: the output should be a .safetensors file")
    if dst.exists() and not args.force:
        raise RunError(f"{dst} exists; pass --force to overwrite it")
    tensors = read_torch_checkpoint(src)
    io.save_state_dict(tensors, dst, metadata={"format": "pt", "converted_from": src.name})
    size = sum(t.nbytes for t in tensors.values())
    print(f"wrote {dst}: {len(tensors)} tensors, {size / 1e6:.1f} MB (load it with weights={str(dst)!r} or "
          "model.load_state_dict(chainrule.load(path)))")
    return 0
