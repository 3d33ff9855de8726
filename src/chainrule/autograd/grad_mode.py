"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools


class GradMode:
    """Holds the global switch that ``Op.apply`` reads on every op (a plain class attribute: fast)."""

    enabled = True
    anomaly = False  # detect_anomaly(): check every op's output and gradients for NaN / Inf


def is_grad_enabled() -> bool:
    """Return True when operations are being recorded for backward."""
    return GradMode.enabled


class _GradModeContext:
    """Base for the context managers below; each one is usable as a decorator too."""

    mode = True

    def __enter__(self):
        self._prev = GradMode.enabled
        GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class _NoParamDecorator(_GradModeContext):
    """Also usable bare, as torch allows: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self(func) if callable(func) else self

    def __init__(self, func=None):
        pass


class no_grad(_NoParamDecorator):
    """Context manager and decorator that stops recording operations (for evaluation and updates).

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    mode = False


class enable_grad(_NoParamDecorator):
    """Context manager and decorator that turns recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` behaves like ``no_grad()``; also usable as a plain call."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = GradMode.enabled
        GradMode.enabled = self.mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        return self

    def __call__(self, func):
        GradMode.enabled = self._prev
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


inference_mode = no_grad
