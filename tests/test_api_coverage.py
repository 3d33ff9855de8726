"""docs/api-coverage.md is generated from the installed PyTorch and the chainrule under test; it must
be current (regenerate with ``python scripts/api_coverage.py``)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("api_coverage", ROOT / "scripts" / "api_coverage.py")
api_coverage = importlib.util.module_from_spec(spec)
spec.loader.exec_module(api_coverage)


def _rows(text):
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \| ([^|]+) \|", text, re.M)}


def _same_torch(committed):
    version = re.search(r"from PyTorch (\S+);", committed)
    if version is None or version.group(1) != torch.__version__.split("+")[0]:
        pytest.skip(f"the table was made with PyTorch {version and version.group(1)}, this is {torch.__version__}")


def test_committed_coverage_table_is_current():
    committed = api_coverage.OUTPUT.read_text()
    _same_torch(committed)
    # a fresh interpreter: dir(torch) grows as submodules get imported (other tests import torch.onnx ...)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    fresh = subprocess.run([sys.executable, str(ROOT / "scripts" / "api_coverage.py"), "--print"], env=env,
                           capture_output=True, text=True, check=True).stdout
    if fresh != committed:
        old, new = _rows(committed), _rows(fresh)
        changed = sorted(k for k in new.keys() | old.keys() if old.get(k) != new.get(k))
        pytest.fail("docs/api-coverage.md is stale (chainrule's API changed): run python scripts/api_coverage.py; "
                    f"names whose status changed: {changed[:20]}")


def test_classification_follows_what_chainrule_exposes():
    class Fake:
        device = object()

    assert api_coverage.classify("torch", "device", Fake)[0] == "yes, differs"  # a documented difference
    assert api_coverage.classify("torch", "einsum", Fake) == ("not yet", "")
    assert api_coverage.classify("torch", "cudnn_convolution", Fake)[0] == "no"
    assert api_coverage.classify("torch.Tensor", "is_cuda", Fake)[0] == "no"
    Fake.einsum = object()
    assert api_coverage.classify("torch", "einsum", Fake) == ("yes", "")


def test_coverage_grew_from_the_recorded_baseline():
    text = api_coverage.OUTPUT.read_text()
    _same_torch(text)
    for title, (before, total) in api_coverage.BEFORE.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{title}` |") and "%" in line)
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert int(cells[1]) == total and int(cells[2]) + int(cells[3]) >= before, row
