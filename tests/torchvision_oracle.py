"""torchvision (pinned to 0.28.0, the test oracle's version) for parity tests, imported cleanly.

Why a helper: the torchvision 0.28.0 wheel's compiled operators (nms, roi_align, ...) do not load against
the CPU build of torch 2.13, so ``import torchvision`` dies in ``torchvision/_meta_registrations.py``,
which registers fake kernels for those operators (``RuntimeError: operator torchvision::nms does not
exist``). The model definitions we compare against are pure Python and never call those operators. So:
try the real import first; only if it fails that way, drop the half-imported modules and import again
with that one module replaced by an empty stand-in in ``sys.modules``. Nothing else is patched.
"""

from __future__ import annotations

import importlib
import sys
import types

import pytest

_STUBBED = "torchvision._meta_registrations"


def import_torchvision():
    """The ``torchvision`` module, or a skip when it is not installed (``pip install chainrule[test]``)."""
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    try:
        return importlib.import_module("torchvision")
    except ModuleNotFoundError:
        pytest.skip("torchvision is not installed (pip install torchvision==0.28.0 --no-deps)")
    except RuntimeError as e:
        if "torchvision::" not in str(e):
            raise
    for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
        del sys.modules[name]
    sys.modules[_STUBBED] = types.ModuleType(_STUBBED)
    return importlib.import_module("torchvision")
