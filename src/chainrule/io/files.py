"""Opening files to read them safely: regular files only, and foreign formats recognised by their first bytes.

Every chainrule loader opens what it reads through ``open_regular``: a named pipe (FIFO), a device or a
socket would make a plain ``open`` block forever or read without end, so such a path is refused before
anything is read (the open itself does not block: ``O_NONBLOCK``). ``foreign_format`` names what a file
is when it is not what a loader expected (a PyTorch ``torch.save`` zip or pickle, a NumPy file), so the
error says what the file is and how to convert it instead of quoting a nonsensical header.
"""

from __future__ import annotations

import errno
import io
import os
import pickletools
import stat

__all__ = ["NotARegularFileError", "open_regular", "foreign_format", "PICKLE_ADVICE"]

PICKLE_ADVICE = ("chainrule never loads pickles, because loading one can run code; convert it in PyTorch: "
                 "safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors') "
                 "(for a checkpoint dict, save its state_dict entry)")

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class NotARegularFileError(OSError):
    """A path to read is a FIFO, device, socket or folder, not a regular file (an ``OSError``).

    >>> chainrule.load("/dev/stdin")  # doctest: +SKIP
    NotARegularFileError: /dev/stdin: is a character device, not a regular file
    """

    def __init__(self, path, kind: str):
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path, mode: str = "rb"):
    """Open ``path`` for reading, refusing anything but a regular file before reading a byte.

    Args:
        path (str or PathLike): the file.
        mode (str): ``"rb"`` (default) or ``"r"`` (UTF-8 text).

    Raises:
        NotARegularFileError: a FIFO, device, socket or folder.
        OSError: the file cannot be opened (missing, no permission).

    >>> with open_regular("runs/x/config.json", "r") as f:
    ...     config = json.load(f)
    """
    if mode not in ("rb", "r"):
        raise ValueError(f"open_regular: mode must be 'rb' or 'r', got {mode!r}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise NotARegularFileError(path, "a folder") from None
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotARegularFileError(path, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, mode, encoding="utf-8" if mode == "r" else None)
    except BaseException:
        os.close(fd)
        raise


def foreign_format(head: bytes) -> str | None:
    """What a file starting with ``head`` (its first few KB) is, when it is a known format other than safetensors.

    Recognises PyTorch's ``torch.save`` (a zip container, or a pickle of any protocol, 0 included) and
    NumPy's ``.npy`` / ``.npz``. The pickle is only tokenised (``pickletools.genops``), never executed.

    >>> foreign_format(b"PK\\x03\\x04...")
    "a zip archive (PyTorch's torch.save format)"
    """
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "a zip archive (PyTorch's torch.save format, or a NumPy .npz)"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy file"
    if _looks_like_pickle(head):
        return "a pickle (PyTorch's legacy torch.save format)"
    return None


def _looks_like_pickle(head: bytes) -> bool:
    if not head:
        return False
    if head[0] == 0x80:  # PROTO opcode: protocols 2 to 5
        return len(head) > 1 and 2 <= head[1] <= 5
    # protocols 0 and 1 have no marker: a pickle opens with a typical opcode and stays a valid opcode stream
    # (to its STOP, or for 16 opcodes), which a safetensors length field or a text file does not
    if head[:1] not in (b"(", b"c", b"}", b"]", b")", b"L", b"I", b"N", b"S", b"V", b"F", b"d", b"l"):
        return False
    count = 0
    try:
        for opcode, _, _ in pickletools.genops(io.BytesIO(head)):
            count += 1
            if opcode.name == "STOP" or count >= 16:
                return True
    except Exception:  # ValueError for a bad opcode; anything else from a short or odd buffer
        return False
    return False
