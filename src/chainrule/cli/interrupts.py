"""SIGTERM (``kill``, a job scheduler's stop) handled like Ctrl-C: every ``finally`` and cleanup path runs, so
no temporary file is left behind and the last checkpoint stays whole."""

from __future__ import annotations

import signal
import threading

__all__ = ["Terminated", "sigterm_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


def _raise(signum, frame):
    raise Terminated(f"terminated by signal {signum}")


def sigterm_as_interrupt():
    """Make SIGTERM raise ``Terminated`` (a KeyboardInterrupt); returns a function that restores the old handler.

    Does nothing outside the main thread (signal handlers can only be set there) or without SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return lambda: None
    old = signal.signal(signal.SIGTERM, _raise)
    return lambda: signal.signal(signal.SIGTERM, old)
