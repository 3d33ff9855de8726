"""``chainrule.backends.cudnn``: settable flags (``deterministic``, ``benchmark``) with no effect on the CPU."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None
