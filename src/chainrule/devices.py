"""Devices: chainrule computes on the CPU and accepts the CPU spellings of PyTorch's device code.

Lecture code is written to run anywhere::

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net().to(device)
    x = torch.rand(64, 10, device=device)

All of that runs: ``torch.device("cpu")`` (or ``"cpu:0"``) is accepted wherever PyTorch takes a
device, ``cuda.is_available()`` is False, and asking for a GPU raises one ``DeviceError`` that names
the device (a RuntimeError, and an AssertionError like CPU-only PyTorch's "Torch not compiled with
CUDA enabled", so either ``except`` clause catches it).
"""

from __future__ import annotations

__all__ = ["device", "DeviceError", "set_default_device", "get_default_device"]

# PyTorch's device types; any of them may be *named*, only "cpu" can be used.
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
          "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class DeviceError(RuntimeError, AssertionError):
    """A tensor or module was asked to live on a device other than the CPU."""


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``, ``device("cpu:0")``.

    Any of PyTorch's device types can be named (so ``device("cuda")`` in a condition is harmless), but
    only CPU devices can hold tensors: using another raises ``DeviceError``.

    Args:
        type (str or device): ``"cpu"``, ``"cuda"``, ``"mps"`` ..., optionally with ``":index"``.
        index (int, optional): the device index. Default: None.

    >>> device("cpu")
    device(type='cpu')
    >>> str(device("cuda", 1))
    'cuda:1'
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): an index cannot be given with a device object")
            type, index = type.type, type.index
        elif isinstance(type, str):
            name, sep, idx = type.partition(":")
            if sep:
                if index is not None:
                    raise RuntimeError("type (string) must not include an index because index was passed "
                                       f"explicitly: {type}")
                if not idx.isdigit():
                    raise RuntimeError(f"Invalid device string: {type!r}")
                index = int(idx)
            if name not in _TYPES:
                raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
            type = name
        else:
            raise TypeError(f"device(): expected a device type string such as 'cpu', got {type.__class__.__name__}")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"Device index must not be negative and must be an int, got {index!r}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{idx})"

    def __reduce__(self):
        return (device, (self.type, self.index))

    # `with torch.device("cpu"):` sets the default device for factories, as PyTorch
    def __enter__(self):
        check(self, "with device(...)")
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def check(dev, where: str = "device") -> None:
    """Accept None and CPU devices (str, ``device`` or ``0``-less ints); raise ``DeviceError`` otherwise."""
    if dev is None or dev is CPU:
        return
    if isinstance(dev, str) and (dev == "cpu" or dev.startswith("cpu:")):
        return
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise DeviceError(f"{where}: device {dev} is a CUDA device index; chainrule runs on the CPU only (use 'cpu')")
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu":
        raise DeviceError(
            f"{where}: device {str(d)!r} is not available: chainrule runs on the CPU only (Torch not compiled "
            "with CUDA enabled). Use torch.device('cpu'), or pick the device with "
            "'cuda' if torch.cuda.is_available() else 'cpu'"
        )


def set_default_device(dev) -> None:
    """Set the device factories use by default; chainrule accepts only the CPU (or None)."""
    check(dev, "set_default_device")


def get_default_device() -> device:
    """The device factories create tensors on: always ``device(type='cpu')``."""
    return CPU
