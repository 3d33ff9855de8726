"""``History`` lives in ``chainrule.train.callbacks.history``; this module keeps the old import path."""

from .callbacks.history import History

__all__ = ["History"]
