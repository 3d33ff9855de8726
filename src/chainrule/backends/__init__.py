"""``chainrule.backends``: the backend switches lecture code touches (``backends.mps.is_available()``,
``backends.cudnn.deterministic = True``). chainrule has no GPU backend; the flags are kept so that
such code runs, and change nothing.
"""

from . import cudnn, mps  # noqa: F401
