"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The new content goes to a temporary file in the target's folder (same file system, so the final
rename is atomic), is flushed and fsync'ed, then ``os.replace``-d over the target, and the folder
is fsync'ed so that the rename itself survives a power cut. On any error the temporary file is
removed and the old target is left untouched.

Temporary files are named ``.<target name>.<pid>.<random hex>.tmp``. A process killed mid-write
(SIGKILL, power loss) leaves its temporary file behind; the next atomic write to the same target
removes every such leftover whose process is no longer running, so at most one per writer piles up.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_write", "temp_files_of"]


def _temp_pattern(base: str) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(base)}\.(\d+)\.[0-9a-f]{{16}}\.tmp$")


def temp_files_of(path: str | os.PathLike) -> list[str]:
    """Return the paths of temporary files that atomic writes to ``path`` have left (or are writing).

    >>> temp_files_of("runs/model.safetensors")
    []
    """
    folder, base = os.path.split(os.path.abspath(path))
    pattern = _temp_pattern(base)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(os.path.join(folder, name) for name in names if pattern.match(name))


def _process_is_gone(pid: int) -> bool:
    if os.name != "posix":
        return False  # os.kill(pid, 0) would terminate the process on Windows; keep the file
    if pid == os.getpid():
        return False  # another thread of this process may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: alive, owned by someone else
        return False
    return False


def _remove_stale_temps(path: str) -> None:
    # Leftovers of writers that died mid-write (their pid is in the name).
    pattern = _temp_pattern(os.path.basename(path))
    for temp in temp_files_of(path):
        pid = int(pattern.match(os.path.basename(temp)).group(1))
        if _process_is_gone(pid):
            with contextlib.suppress(OSError):
                os.remove(temp)


def _fsync_folder(folder: str) -> None:
    if os.name != "posix":
        return  # folders cannot be opened for fsync on Windows; NTFS journals the rename
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (network, FUSE) refuse fsync on a folder; the rename is done anyway
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path to write; on success it atomically becomes ``path``.

    For writers that take a file name (the safetensors library, ``PIL.Image.save``). The temporary
    file already exists (empty) when yielded; the writer may overwrite it.

    Args:
        path: the final file name.

    >>> with atomic_path("weights.safetensors") as tmp:
    ...     safetensors.numpy.save_file(arrays, tmp)
    """
    path = os.path.abspath(os.fspath(path))
    folder, base = os.path.split(path)
    _remove_stale_temps(path)
    temp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    try:
        # created inside the try: a Ctrl-C landing just after the file appears still removes it (the
        # random name is ours alone, so removing it is safe even if the interrupt came before it existed)
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # mode 0o666 & ~umask, as open()
        yield temp
        fd = os.open(temp, os.O_RDWR)  # the writer closed it; fsync needs a descriptor (writable on Windows)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(temp)
        if isinstance(e, OSError) and e.filename in (None, temp) and e.errno is not None:
            # "[Errno 28] No space left on device" names no file, a missing folder names our temporary
            # file: say which file the write was for
            raise OSError(e.errno, e.strerror, path) from e
        raise
    _fsync_folder(folder)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None):
    """Open a file for writing that atomically replaces ``path`` when the ``with`` block succeeds.

    Args:
        path: the final file name.
        mode (str): ``"wb"`` (default) or ``"w"`` (text).
        encoding (str, optional): the text encoding for ``mode="w"`` (default: UTF-8).

    >>> with atomic_write("data/train-images.gz") as f:
    ...     f.write(payload)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write: mode must be 'wb' or 'w', got {mode!r}")
    if mode == "w" and encoding is None:
        encoding = "utf-8"
    with atomic_path(path) as temp:
        with open(temp, mode, encoding=encoding) as f:
            yield f
            f.flush()
