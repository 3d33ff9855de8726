"""Imports go one way: tensor.py -> ops/ -> autograd/. The engine and the ops never import tensor.py."""

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src" / "chainrule"


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def test_ops_and_autograd_do_not_import_tensor_or_the_top_level():
    offenders = []
    for folder in ("ops", "autograd"):
        for path in sorted((SRC / folder).glob("*.py")):
            for module, names in _imported_modules(path):
                upward = module == "chainrule.tensor" or (module == "chainrule" and (not names or "tensor" in names))
                if upward or (folder == "autograd" and module.startswith("chainrule.ops")):
                    offenders.append(f"{folder}/{path.name} imports {module}")
    assert not offenders, "; ".join(offenders) + " (receive Tensor as chainrule.autograd.op.Tensor instead)"
