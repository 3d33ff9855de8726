"""The IDX file format of MNIST and Fashion-MNIST, gzipped or raw, read with full validation.

An IDX file is a 4-byte magic number ``00 00 <type code> <ndim>``, ``ndim`` big-endian uint32
dimension sizes, then the values in C order, big-endian. Every way a file can be wrong (bad gzip,
wrong magic, unknown type code, short or overlong data) raises ``DatasetError`` naming the file and
the problem.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np


class DatasetError(ValueError):
    """A dataset file is missing, truncated or corrupt, or a dataset cannot be found or downloaded.

    The message names the file (or folders and URLs) and says what is wrong.
    """


# IDX type code -> big-endian dtype
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path, *, ndim: int | None = None, dtype=None) -> np.ndarray:
    """Read an IDX file (gzipped or not; detected from its content) into a native-endian array.

    Args:
        path (str or Path): the file.
        ndim (int, optional): the number of dimensions the file must have. Default: None (any).
        dtype (dtype, optional): the element type the file must have. Default: None (any).

    Raises:
        DatasetError: the file is unreadable, truncated or corrupt, or not of ``ndim``/``dtype``.

    >>> images = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape, images.dtype  # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'))
    """
    from chainrule.io.files import open_regular

    path = Path(path)
    gzipped = False
    try:
        with open_regular(path) as raw:  # a FIFO or device is refused before it is read
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            with (gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw) as f:
                size = None if gzipped else os.fstat(raw.fileno()).st_size
                return _read_stream(f, path, ndim, dtype, size)
    except OSError as e:
        if isinstance(e, FileNotFoundError) or not gzipped:
            raise DatasetError(f"{path}: cannot read the file ({e.strerror or e})") from e
        raise DatasetError(f"{path}: corrupt gzip data ({e})") from e  # gzip.BadGzipFile is an OSError
    except EOFError as e:
        raise DatasetError(f"{path}: truncated gzip data ({e})") from e
    except zlib.error as e:
        raise DatasetError(f"{path}: corrupt gzip data ({e})") from e


def _read_stream(f, path, want_ndim, want_dtype, size=None) -> np.ndarray:
    """Validate the header, then read the data straight into the array: no second copy in memory.

    ``size`` (the file's size, for an uncompressed file) lets a header that declares more data than the
    file holds fail before anything is allocated; for gzipped data, a declared size beyond the machine's
    memory does.
    """
    head = f.read(4)
    if len(head) == 4 and head[:2] == b"\0\0":
        head += f.read(4 * head[3])
    shape, dtype, offset = _header(head, path, want_ndim, want_dtype, data_len=size)
    nbytes = math.prod(shape) * dtype.itemsize
    from chainrule.utils.memory import OutOfMemoryError, check_fits

    try:
        check_fits(nbytes, f"the header's shape {shape}")
    except OutOfMemoryError as e:
        raise DatasetError(f"{path}: {e}; the file is corrupt or not an IDX file of images") from None
    out = np.empty(shape, dtype=dtype)
    view = memoryview(out).cast("B") if out.nbytes else memoryview(b"")
    got = 0
    while got < out.nbytes:
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    extra = len(f.read(1)) if got == out.nbytes else 0
    if got != out.nbytes or extra:
        what = "truncated" if got < out.nbytes else "too long"
        found = got if got < out.nbytes else f"more than {out.nbytes}"
        raise DatasetError(f"{path}: {what}: the header's shape {shape} needs {out.nbytes} bytes of data, found {found}")
    return out.astype(dtype.newbyteorder("="), copy=False)  # copies only multi-byte big-endian data


def _header(raw: bytes, path: Path, want_ndim, want_dtype, data_len):
    """Check the magic number, type code and dimensions; ``(shape, big-endian dtype, data offset)``."""
    def error(problem: str) -> DatasetError:
        return DatasetError(f"{path}: {problem}")

    if len(raw) < 4:
        raise error(f"too short for an IDX file: {len(raw)} bytes, expected a 4-byte magic number")
    magic = f"magic number {int.from_bytes(raw[:4], 'big'):#010x}"
    if raw[:2] != b"\0\0":
        raise error(f"not an IDX file: {magic} must start with two zero bytes")
    code, ndim = raw[2], raw[3]
    if code not in _DTYPES:
        known = ", ".join(f"{c:#04x}" for c in _DTYPES)
        raise error(f"unknown IDX data type code {code:#04x} in {magic}; expected one of {known}")
    if ndim == 0:
        raise error(f"{magic} declares 0 dimensions")
    dtype = np.dtype(_DTYPES[code])
    if want_ndim is not None and ndim != want_ndim:
        raise error(f"expected a {want_ndim}-dimensional IDX file, got {ndim} dimensions ({magic})")
    if want_dtype is not None and dtype.newbyteorder("=") != np.dtype(want_dtype):
        raise error(f"expected {np.dtype(want_dtype)} values, got {dtype.newbyteorder('=')} ({magic})")
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise error(f"truncated header: {ndim} dimension sizes need {4 * ndim} bytes, found {len(raw) - 4}")
    shape = struct.unpack(f">{ndim}I", raw[4:offset])
    if data_len is not None:
        nbytes, found = math.prod(shape) * dtype.itemsize, data_len - offset
        if found != nbytes:
            what = "truncated" if found < nbytes else "too long"
            raise error(f"{what}: the header's shape {shape} needs {nbytes} bytes of data, found {found}")
    return shape, dtype, offset


def write_idx(path, array, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file; gzip it when ``compress`` is True (default: when ``path`` ends in .gz).

    Args:
        path (str or Path): destination file.
        array (array-like): uint8, int8, int16, int32, float32 or float64 values.
        compress (bool, optional): gzip the file. Default: None (decided by the file name).

    >>> write_idx("labels-idx1-ubyte.gz", np.arange(10, dtype=np.uint8))  # doctest: +SKIP
    """
    a = np.ascontiguousarray(array)
    code = _CODES.get(a.dtype.newbyteorder("="))
    if code is None:
        known = sorted(str(d) for d in _CODES)
        raise TypeError(f"write_idx: cannot store dtype {a.dtype} in an IDX file; use one of {known}")
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError(f"write_idx: array must have 1 to 255 dimensions, got {a.ndim}")
    header = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    payload = header + a.astype(a.dtype.newbyteorder(">")).tobytes()
    if compress if compress is not None else str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    Path(path).write_bytes(payload)
