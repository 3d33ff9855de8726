"""Making faults: files that lie, paths that are not files, machines that are too small, interrupts."""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

# --- files ---------------------------------------------------------------------------------------

def corrupt(path, offset: int, data: bytes) -> None:
    """Overwrite bytes of ``path`` at ``offset`` (negative: from the end)."""
    raw = bytearray(Path(path).read_bytes())
    offset = offset % len(raw) if offset < 0 else offset
    raw[offset:offset + len(data)] = data
    Path(path).write_bytes(bytes(raw))


def truncate(path, keep: int) -> None:
    """Cut ``path`` to its first ``keep`` bytes."""
    with open(path, "r+b") as f:
        f.truncate(keep)


def fifo(path) -> Path:
    """A named pipe at ``path``: a plain ``open()`` for reading blocks until a writer comes."""
    os.mkfifo(path)
    return Path(path)


def symlink(link, target) -> Path:
    """``link`` pointing at ``target`` (which need not exist)."""
    os.symlink(target, link)
    return Path(link)


# --- foreign formats ---------------------------------------------------------------------------------

class _Boom:
    """Running this pickle's code creates the file named in it: a test can prove nothing was executed."""

    def __init__(self, witness):
        self.witness = str(witness)

    def __reduce__(self):
        return (open, (self.witness, "w"))


def pickle_file(path, protocol: int = 2, witness=None) -> Path:
    """A pickle like PyTorch's legacy ``torch.save`` (a dict), in any protocol 0-5; with ``witness``,
    loading it would create that file."""
    obj = {"0.weight": [[0.0, 1.0]], "0.bias": [0.0]}
    if witness is not None:
        obj["payload"] = _Boom(witness)
    Path(path).write_bytes(pickle.dumps(obj, protocol=protocol))
    return Path(path)


def torch_zip_file(path) -> Path:
    """A file shaped like PyTorch's ``torch.save`` zip container (archive/data.pkl inside)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        z.writestr("archive/version", "3\n")
    return Path(path)


# --- images --------------------------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares ``width`` x ``height`` 8-bit grey pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0")) + _chunk(b"IEND", b"")
    Path(path).write_bytes(raw)
    return Path(path)


def png16(path, pixels: np.ndarray) -> Path:
    """A 16-bit greyscale PNG of ``pixels`` (uint16), written byte by byte (no Pillow quirks)."""
    pixels = np.asarray(pixels, dtype=">u2")
    h, w = pixels.shape
    rows = b"".join(b"\0" + pixels[i].tobytes() for i in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 0, 0, 0, 0)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows))
                           + _chunk(b"IEND", b""))
    return Path(path)


def float_tiff(path, pixels: np.ndarray) -> Path:
    """A 32-bit float greyscale TIFF of ``pixels`` (Pillow mode 'F')."""
    from PIL import Image

    Image.fromarray(np.asarray(pixels, dtype=np.float32), mode="F").save(path)
    return Path(path)


# --- the machine ----------------------------------------------------------------------------------------

GiB = 1 << 30


def small_machine(monkeypatch, total: int = 2 * GiB, available: int | None = None) -> None:
    """Make chainrule believe the machine has ``total`` bytes of memory (``available`` free)."""
    from chainrule.utils import memory

    monkeypatch.setattr(memory, "total_memory", lambda: total)
    monkeypatch.setattr(memory, "available_memory", lambda: total if available is None else available)


@contextlib.contextmanager
def full_disk(monkeypatch, after_bytes: int = 0):
    """Files opened for writing with ``open()`` fail with ENOSPC (no file name, as the kernel says it)
    once ``after_bytes`` bytes were written through them."""
    import builtins

    written, real_open = [0], builtins.open

    class _Writer:
        def __init__(self, f):
            self._f = f

        def write(self, data):
            written[0] += len(data)
            if written[0] > after_bytes:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self._f.write(data)

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    def fake_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return _Writer(f) if any(c in mode for c in "wax+") else f

    monkeypatch.setattr(builtins, "open", fake_open)
    try:
        yield written
    finally:
        monkeypatch.setattr(builtins, "open", real_open)


@contextlib.contextmanager
def interrupt_after(monkeypatch, owner, name: str, calls: int = 1):
    """Raise KeyboardInterrupt right after ``owner.name`` returns for the ``calls``-th time (Ctrl-C then)."""
    real = getattr(owner, name)
    count = [0]

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        count[0] += 1
        if count[0] == calls:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(owner, name, wrapped)
    try:
        yield count
    finally:
        monkeypatch.setattr(owner, name, real)
