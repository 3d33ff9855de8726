"""Hyperparameter search done right: grid or random search over ``chainrule train`` options, each trial
with early stopping on the validation split, the winner chosen on validation only and the test set
used once (``chainrule search`` on the command line).

>>> from chainrule.search import run_search
>>> summary = run_search(["--dataset", "spiral", "--lr", "1e-3,1e-2", "--hidden", "16;32,32"], name="demo")
>>> summary["winner"]["options"], summary["test"]["accuracy"]  # doctest: +SKIP
"""

from chainrule.search.runner import run_search
from chainrule.search.space import SearchError, grid, parse_space, random_configs

__all__ = ["SearchError", "grid", "parse_space", "random_configs", "run_search"]
