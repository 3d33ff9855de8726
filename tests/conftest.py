import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Fixed BLAS threads: OpenBLAS's rounding depends on the thread count, and tests compare runs bit for bit
# (the adaptive default of threads.py would switch with the machine's load; its own tests build a Governor).
os.environ.setdefault("CHAINRULE_ADAPT_THREADS", "0")

# Let the tests import the helpers beside them (oracle.py, helpers.py) and the package from src/ when not installed.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent / "src"))

import helpers  # noqa: E402


class _SkipWithoutTorch(importlib.abc.MetaPathFinder):
    """Without PyTorch (the oracle), a test module that imports it is skipped instead of failing collection."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            pytest.skip("PyTorch, the test oracle, is not installed (pip install -e '.[test]')",
                        allow_module_level=True)
        return None


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# CHAINRULE_TEST_WITHOUT_TORCH=1 runs the suite as a machine without PyTorch would (to check the skips).
if os.environ.get("CHAINRULE_TEST_WITHOUT_TORCH") or not _installed("torch"):
    sys.meta_path.insert(0, _SkipWithoutTorch())


@pytest.fixture
def blobs():
    """``blobs(n=96, seed=0, spread=2.0)``: two separable 2-D Gaussian blobs, float32 inputs and int64 labels."""
    return helpers.blobs


@pytest.fixture
def mlp():
    """``mlp(*middle, hidden=16, seed=0, dropout=0.0)``: a seeded 2-hidden-2 classifier."""
    return helpers.mlp


@pytest.fixture
def weights():
    """``weights(model)``: a copy of the model's state dict as NumPy arrays."""
    return helpers.weights
