"""Exception types that keep chainrule's existing ones and PyTorch's at once.

Where chainrule has raised ValueError (its own choice) and PyTorch raises RuntimeError or
AssertionError for the same mistake, the error is both, so ``except`` clauses written for either
library catch it.
"""


class ShapeError(ValueError, RuntimeError):
    """Input shapes that do not fit (PyTorch: RuntimeError)."""


class SizeMismatchError(ValueError, AssertionError):
    """Tensors that must share a size do not (PyTorch's ``TensorDataset``: AssertionError)."""
