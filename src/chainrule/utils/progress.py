"""One progress bar for training epochs and downloads: ``120/422 [=====>....]  28% - ETA 0:03 - 95.1 steps/s``.

It redraws one line with ``\\r`` at most once per ``interval`` seconds, so a call per batch costs about
a microsecond (a clock read and a comparison). It is live on a terminal and in a Jupyter notebook
(an IPython kernel); elsewhere (log files, CI) it stays silent and the caller prints whole lines instead.
In a notebook with ipywidgets installed the live bar is a widget (a progress bar and a label, updated in
place, closed at the end so that the saved notebook keeps only the final line); without ipywidgets it is
the text line, whose ``\\r`` updates the notebook's output area honours. This is tqdm.auto's behaviour
without the dependency (measured against it in benchmarks/progress_vs_tqdm.py).
"""

from __future__ import annotations

import shutil
import sys
import time
from html import escape

__all__ = ["Bar", "format_duration", "in_notebook", "is_live", "widgets_available"]


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session, where stderr is not a TTY but shows ``\\r`` updates."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ip = shell.get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def is_live(file) -> bool:
    """Whether ``file`` shows a redrawn line: a terminal, or stderr/stdout of a Jupyter kernel."""
    isatty = getattr(file, "isatty", None)
    if isatty is not None:
        try:
            if isatty():
                return True
        except ValueError:  # a closed file
            return False
    return file in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__) and in_notebook()


def widgets_available() -> bool:
    """Whether ipywidgets can be imported (checked once per process; the import itself waits for the first bar)."""
    global _WIDGETS
    if _WIDGETS is None:
        import importlib.util

        try:
            _WIDGETS = importlib.util.find_spec("ipywidgets") is not None
        except (ImportError, ValueError):
            _WIDGETS = False
    return _WIDGETS


_WIDGETS = None


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:05``, ``1:02:03``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Bar:
    """A one-line progress bar with the rate and the time left.

    Args:
        total (int or float, optional): the amount at 100%; None shows only the count and rate.
        prefix (str): text before the bar (``"Epoch 3/20"``, a file name). Default: "".
        unit (str): the rate's unit (``"steps"``, ``"MB"``). Default: ``"steps"``.
        scale (float): ``done`` is divided by it for display (1e6 shows bytes as MB). Default: 1.
        file (file, optional): where to draw. Default: ``sys.stderr``.
        interval (float): minimum seconds between redraws. Default: 0.1.
        width (int): characters of the bar. Default: 30.
        widget (bool, optional): draw an ipywidgets bar instead of text. Default: None (in a Jupyter kernel,
            drawing on its stderr or stdout, when ipywidgets is installed).

    >>> bar = Bar(total=422, prefix="Epoch 1/20")
    >>> for step in range(422):
    ...     bar.update(step + 1, "loss: 0.4123")
    >>> bar.finish("Epoch 1/20 - 4.4s - loss: 0.4012")
    """

    def __init__(self, total=None, prefix: str = "", unit: str = "steps", scale: float = 1.0, file=None,
                 interval: float = 0.1, width: int = 30, widget: bool | None = None):
        self.total, self.prefix, self.unit, self.scale = total, prefix, unit, scale
        self.file = file if file is not None else sys.stderr
        if widget is None:
            widget = self.file in (sys.stderr, sys.stdout) and in_notebook() and widgets_available()
        self.widget, self._view = widget, None  # the view is made at the first draw: a silent bar never shows one
        self.interval, self.width = interval, width
        self.start = self.last = time.monotonic()
        self.done = self.initial = self.drawn = 0
        # a line wider than the terminal would wrap, and "\r" would then rewrite only its last row
        self.columns = shutil.get_terminal_size(fallback=(10**6, 0)).columns - 1

    def restart(self, done=0) -> None:
        """Time the rate from now and from ``done`` (the first step of a resumed epoch), not from creation."""
        self.start, self.done, self.initial = time.monotonic(), done, done

    def update(self, done, postfix: str = "", force: bool = False) -> None:
        """Record progress ``done`` (of ``total``) and redraw if ``interval`` has passed."""
        self.done = done
        now = time.monotonic()
        if now - self.last < self.interval and not force:
            return
        self.last = now
        if self.widget:
            self.draw_widget(self.text(now, postfix, bar=False))
        else:
            self.draw(self.text(now, postfix))

    def text(self, now: float | None = None, postfix: str = "", bar: bool = True) -> str:
        elapsed = (now or time.monotonic()) - self.start
        done, total, scale = self.done, self.total, self.scale
        rate = (done - self.initial) / scale / elapsed if elapsed > 0 else 0.0
        shown = f"{done / scale:.1f}" if scale != 1 else f"{done}"
        parts = [self.prefix] if self.prefix else []
        if total:
            filled = min(self.width, int(self.width * done / total))
            arrow = ">" if filled < self.width else ""
            parts.append(f"{shown}/{total / scale:.1f}" if scale != 1 else f"{shown}/{total}")
            drawn = "=" * filled + arrow + "." * (self.width - filled - len(arrow))
            parts.append(f"[{drawn}] {100 * done // total:3.0f}%" if bar else f"{100 * done // total:.0f}%")
        else:
            parts.append(shown)
        line = " ".join(parts)
        if rate > 0:
            if total and done < total:
                line += f" - ETA {format_duration((total - done) / scale / rate)}"
            line += f" - {rate:.1f} {self.unit}/s" if rate < 100 else f" - {rate:.0f} {self.unit}/s"
        return f"{line} - {postfix}" if postfix else line

    def draw(self, text: str) -> None:
        text = text[:self.columns]
        # \r returns to the line start; padding erases the tail of a longer previous line
        self.file.write("\r" + text.ljust(self.drawn))
        self.file.flush()
        self.drawn = len(text)

    def draw_widget(self, text: str) -> None:
        if self._view is None:
            import ipywidgets
            from IPython.display import display

            progress = ipywidgets.IntProgress(min=0, max=int(self.total or 1),
                                              bar_style="" if self.total else "info")
            label = ipywidgets.HTML()
            box = ipywidgets.HBox([progress, label])
            self._view = (box, progress, label, display(box, display_id=True))
        _, progress, label, _ = self._view
        progress.value = min(int(self.done), progress.max) if self.total else progress.max
        label.value = f"<code>{escape(text)}</code>"

    def finish(self, line: str | None = None) -> None:
        """Draw ``line`` (default: the bar at its final state) and end the line."""
        if self.widget:
            line = line if line is not None else self.text(bar=False)
            if self._view is None:  # too quick for a widget: the same kind of output as one that made way
                from IPython.display import display

                display({"text/plain": line}, raw=True)
            else:  # the widget makes way for the line: the saved notebook holds text, not a dead widget
                box, _, _, handle = self._view
                box.close()
                handle.update({"text/plain": line}, raw=True)
                self._view = None
            return
        self.draw(line if line is not None else self.text())
        self.file.write("\n")
        self.file.flush()
