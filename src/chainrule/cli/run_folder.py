"""Claiming a run folder: one run per folder, never outside ``--out``, never through a symbolic link.

``chainrule train --name X`` may run twice at the same moment; exactly one of them gets ``runs/X``. The
folder is created with ``mkdir`` (atomic), and the run's ``config.json`` is published with a hard link from a
finished temporary file (``link`` fails if the name exists, atomically), so when two runs race for the
same empty folder, one links first and the other is told the folder is taken. A folder that exists and
holds anything but a chainrule run is refused rather than written into (its ``report.md`` would be
overwritten), and so is a run folder that is a symbolic link, or that holds one where a run file goes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

from chainrule.cli.runs import RunError

__all__ = ["check_name", "claim_run_dir", "check_run_files"]

# what `chainrule train` writes into a run folder (a link under one of these names is refused)
RUN_FILES = ("config.json", "metrics.csv", "model.safetensors", "checkpoint.safetensors", "curves.png",
             "confusion.png", "mistakes.png", "report.md", "results.json")
_CONFIG_TEMP = re.compile(r"^\.config\.json\.\d+\.[0-9a-f]{16}\.tmp$")


def check_name(name: str) -> str | None:
    """The problem with ``name`` as a run folder name (one plain path component), or None when it is fine."""
    if not name or not name.strip():
        return "is empty"
    if name in (".", ".."):
        return "would write the run into --out itself or its parent"
    seps = [s for s in (os.sep, os.altsep, "/") if s]
    if any(s in name for s in seps) or "\0" in name or Path(name).name != name or Path(name).is_absolute():
        return "must be one folder name, without / (the runs go into --out)"
    return None


def _is_link(path: Path) -> bool:
    return path.is_symlink()


def claim_run_dir(out, name: str, config: dict, numbered: bool) -> Path:
    """Create ``out/name`` and publish ``config.json`` in it, atomically and exclusively.

    Args:
        out: the folder of run folders (created if missing).
        name (str): the run's name; with ``numbered``, ``name-2``, ``name-3``, ... are tried when taken,
            and ``config["name"]`` is updated to the name used.
        config (dict): written as the run's ``config.json``.
        numbered (bool): number the name instead of refusing a taken one (default names).

    Raises:
        RunError: the name is taken, the folder holds something else, or it is a symbolic link.

    >>> claim_run_dir("runs", "spiral-1", config, numbered=False)
    PosixPath('runs/spiral-1')
    """
    problem = check_name(name)
    if problem:
        raise RunError(f"--name {name!r} {problem}")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RunError(f"--out {out} exists and is not a folder") from None
    base, k = name, 2
    while True:
        run_dir = out / name
        try:
            run_dir.mkdir()
            fresh = True
        except FileExistsError:
            fresh = False
        if fresh or not numbered:
            break
        name, k = f"{base}-{k}", k + 1
    config["name"] = name
    if not fresh:
        _check_reusable(run_dir)
    _publish_config(run_dir, config)
    return run_dir


def _check_reusable(run_dir: Path) -> None:
    """An existing ``run_dir`` may take the run only if it is a real, empty folder."""
    if _is_link(run_dir):
        raise RunError(f"{run_dir} is a symbolic link; run folders are never written through links: choose "
                       "another --name or --out")
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} exists and is not a folder; choose another --name or --out")
    names = os.listdir(run_dir)
    if "config.json" in names:  # (listed, not tested: another run may publish it between two looks)
        raise RunError(f"{run_dir} already holds a run; choose another --name or --out "
                       "(or continue it with --resume)")
    others = [n for n in names if not _CONFIG_TEMP.match(n)]
    if others:
        shown = ", ".join(sorted(others)[:3]) + (", ..." if len(others) > 3 else "")
        raise RunError(f"{run_dir} is not empty ({shown}) and is not a chainrule run folder (no config.json); "
                       "choose another --name or --out, or empty it")


def _publish_config(run_dir: Path, config: dict) -> None:
    text = json.dumps(config, indent=2) + "\n"
    target = run_dir / "config.json"
    temp = run_dir / f".config.json.{os.getpid()}.{os.urandom(8).hex()}.tmp"
    try:
        # the finished file appears under its name in one step, and only if the name is free
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, target)
        except FileExistsError:
            raise RunError(f"{run_dir} already holds a run (another `chainrule train` claimed it at the same "
                           "moment); choose another --name") from None
        except OSError:  # a file system without hard links: exclusive create, then write
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
            except FileExistsError:
                raise RunError(f"{run_dir} already holds a run (another `chainrule train` claimed it at the "
                               "same moment); choose another --name") from None
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
    finally:
        with contextlib.suppress(OSError):
            os.remove(temp)


def check_run_files(run_dir) -> None:
    """Refuse a run folder (for ``--resume``) in which a run file is a symbolic link: writing it would write
    the link's target, outside the folder."""
    for name in RUN_FILES:
        if _is_link(Path(run_dir) / name):
            raise RunError(f"{Path(run_dir) / name} is a symbolic link; a run folder's files are never written "
                           "through links: replace it with the file itself")
