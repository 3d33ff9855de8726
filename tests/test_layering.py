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


TENSOR_PARTS = ("tensor_helpers", "tensor_convert", "tensor_math", "tensor_reduce", "tensor_shape", "tensor_compare")


def test_tensor_method_groups_never_import_tensor_py_and_get_the_class_handed_over():
    import importlib

    import chainrule as cr

    for name in TENSOR_PARTS:
        imported = [m for m, _ in _imported_modules(SRC / f"{name}.py")]
        assert "chainrule.tensor" not in imported, f"{name}.py imports chainrule.tensor (it is imported by it)"
        assert importlib.import_module(f"chainrule.{name}").Tensor is cr.Tensor, f"{name}.Tensor was not handed over"


def test_tensor_files_stay_short_and_tensors_stay_slotted():
    import chainrule as cr

    for name in ("tensor", "tensor_functions", "array_functions", "settings") + TENSOR_PARTS:
        lines = len((SRC / f"{name}.py").read_text().splitlines())
        assert lines <= 750, f"{name}.py has {lines} lines; split it by concern (see tensor.py's docstring)"
    x = cr.tensor([1.0, 2.0])
    assert not hasattr(x, "__dict__"), "a method group without __slots__ = () gives every tensor a __dict__"
    assert [c.__name__ for c in cr.Tensor.__mro__[1:-1]] == [
        "ConversionMethods", "MathMethods", "ReductionMethods", "ShapeMethods", "ComparisonMethods"]
    # a name from every group, and the aliases that span groups, resolve on the class
    for method in ("float", "exp", "absolute", "multiply", "sum", "reshape", "sort", "greater", "__eq__", "__format__"):
        assert callable(getattr(x, method)), method


def test_each_top_level_function_is_defined_once():
    # chainrule.functions, tensor_functions, array_functions and settings each own their names
    # (arith.py overrides a few on purpose, with out=; it is not checked here)
    import importlib

    owners = {}  # name -> {id of the object: the modules that export it}; a re-export is the same object
    for name in ("functions", "tensor_functions", "array_functions", "settings"):
        module = importlib.import_module(f"chainrule.{name}")
        for attr in module.__all__:
            obj = getattr(module, attr)
            if callable(obj):
                owners.setdefault(attr, {}).setdefault(id(obj), []).append(name)
    twice = {k: list(v.values()) for k, v in owners.items() if len(v) > 1}
    assert not twice, f"defined in more than one module: {twice}"
