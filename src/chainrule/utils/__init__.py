"""``chainrule.utils``, as ``torch.utils``: ``chainrule.utils.data`` holds the data-loading API."""

from . import data  # noqa: F401
