"""Weight files in the safetensors format: data only, so loading one can never run code.

A safetensors file is an 8-byte little-endian header length, a JSON header (each tensor's dtype,
shape and byte range, plus an optional ``__metadata__`` map of strings) and the raw tensor bytes.
The ``safetensors`` library reads and writes it; before the library sees a file, ``_read_header``
checks the header cheaply against the file size, so a damaged or hostile file fails with a
``WeightsFileError`` that says what is wrong instead of allocating what it declares.

Files are interchangeable with PyTorch: ``safetensors.torch.save_file`` output loads here, and
``safetensors.torch.load_file`` reads what ``save_state_dict`` writes.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from chainrule.io.atomic import atomic_write
from chainrule.io.files import PICKLE_ADVICE, foreign_format, open_regular
from chainrule.tensor import Tensor

__all__ = ["WeightsFileError", "save_state_dict", "load_state_dict", "read_metadata", "load_into"]

# The safetensors dtype codes that NumPy can hold.
_DTYPES = {
    "F64": np.dtype(np.float64), "F32": np.dtype(np.float32), "F16": np.dtype(np.float16),
    "I64": np.dtype(np.int64), "I32": np.dtype(np.int32), "I16": np.dtype(np.int16), "I8": np.dtype(np.int8),
    "U64": np.dtype(np.uint64), "U32": np.dtype(np.uint32), "U16": np.dtype(np.uint16), "U8": np.dtype(np.uint8),
    "BOOL": np.dtype(np.bool_), "C64": np.dtype(np.complex64),
}
_SAVEABLE = set(_DTYPES.values())
# Valid in safetensors but without a NumPy type.
_FOREIGN = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"}
_MAX_HEADER = 100_000_000  # the library's own limit
_FIELDS = ("dtype", "shape", "data_offsets")


class WeightsFileError(ValueError):
    """A weights or checkpoint file cannot be loaded: damaged, not safetensors, or not for this model.

    Every failure while loading surfaces as this error (the library's own errors are chained as
    ``__cause__``); the message names the file and, where relevant, the tensor and the field.

    Attributes:
        path (str): the file.

    >>> try:
    ...     chainrule.io.load_into(model, "weights.safetensors")
    ... except chainrule.io.WeightsFileError as e:
    ...     print(e)
    weights.safetensors: tensor '0.weight' has shape (10, 784) but the model expects (256, 784)
    """

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: {problem}")


def _safetensors():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError as e:
        raise ImportError(
            "chainrule.io reads and writes weights with the 'safetensors' package, which is not "
            "installed: pip install chainrule[safe]"
        ) from e
    return safetensors


# --- saving ----------------------------------------------------------------------------------

def _check_metadata(metadata: Any, caller: str) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise TypeError(f"{caller}: metadata must be a dict of str -> str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"{caller}: metadata must map str -> str, but {key!r} -> {type(value).__name__}; "
                "store other values as JSON strings (json.dumps)"
            )
    return dict(metadata)


def _as_saveable(name: Any, value: Any, caller: str) -> np.ndarray:
    if not isinstance(name, str):
        raise TypeError(f"{caller}: tensor names must be str, got {name!r}")
    if name == "__metadata__":
        raise ValueError(f"{caller}: '__metadata__' is reserved by the safetensors format; rename the tensor")
    array = value._data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{caller}: {name!r} is a {type(value).__name__}; only Tensors and NumPy arrays can be "
            "saved as tensors (put other values into metadata as JSON strings)"
        )
    if array.dtype.newbyteorder("=") not in _SAVEABLE:
        supported = ", ".join(sorted(str(d) for d in _SAVEABLE))
        raise TypeError(f"{caller}: tensor {name!r} has dtype {array.dtype}, which safetensors cannot store "
                        f"from NumPy (supported: {supported})")
    # The library copies `nbytes` from the data pointer, so strided views must be made contiguous.
    # (np.ascontiguousarray would turn a 0-d array into shape (1,).)
    return array if array.flags.c_contiguous else array.copy(order="C")


def save_state_dict(state_dict: Mapping[str, Any], path: str | os.PathLike,
                    metadata: Mapping[str, str] | None = None) -> None:
    """Write named tensors to a safetensors file, atomically (the old file survives any failure).

    Args:
        state_dict (Mapping[str, Tensor | ndarray]): the tensors, e.g. ``model.state_dict()``.
        path (str | PathLike): the file to write (``.safetensors`` by convention).
        metadata (dict[str, str], optional): text stored in the header; put other values in as
            JSON strings. Default None.

    >>> save_state_dict(model.state_dict(), "model.safetensors", metadata={"epochs": "10"})
    """
    caller = "save_state_dict"
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"{caller}: state_dict must be a mapping of name -> Tensor, got {type(state_dict).__name__}")
    metadata = _check_metadata(metadata, caller)
    arrays = {name: _as_saveable(name, value, caller) for name, value in state_dict.items()}
    # Serialize in memory and write the bytes ourselves: the library's save_file goes through a
    # temporary file of its own that a killed process would leave behind unrecognisably.
    data = _safetensors().numpy.save(arrays, metadata=metadata)
    with atomic_write(path) as f:
        f.write(data)


# --- header validation -----------------------------------------------------------------------

class _Entry(NamedTuple):
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


class _DuplicateKey(ValueError):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"the key {key!r} appears more than once")
            seen.add(key)
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _parse_entry(path: str, name: str, info: Any, data_len: int) -> _Entry:
    def fail(problem: str) -> WeightsFileError:
        return WeightsFileError(path, f"tensor {name!r}: {problem}")

    if not isinstance(info, dict):
        raise fail(f"header entry is a JSON {_json_type(info)}, expected an object with {', '.join(_FIELDS)}")
    missing = [f for f in _FIELDS if f not in info]
    unknown = sorted(set(info) - set(_FIELDS))
    if missing or unknown:
        raise fail(f"header entry has missing fields {missing} / unknown fields {unknown}")
    code = info["dtype"]
    if isinstance(code, str) and code in _FOREIGN:
        raise fail(f"field 'dtype' is {code}, which NumPy (and so chainrule) cannot represent; "
                   "convert the tensor to float32 where it was saved (tensor.float())")
    if not (isinstance(code, str) and code in _DTYPES):
        raise fail(f"field 'dtype' is {code!r}, not a known safetensors dtype ({', '.join(_DTYPES)})")
    shape = info["shape"]
    if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
        raise fail(f"field 'shape' is {shape!r}, expected a list of non-negative ints")
    if any(d < 0 for d in shape):
        raise fail(f"field 'shape' {shape} has a negative dimension")
    nbytes = math.prod(shape) * _DTYPES[code].itemsize
    if nbytes >= 2**63:
        raise fail(f"field 'shape' {shape} declares {nbytes} bytes of {code}, which overflows a 64-bit size")
    offsets = info["data_offsets"]
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise fail(f"field 'data_offsets' is {offsets!r}, expected [begin, end] as two ints")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise fail(f"field 'data_offsets' {offsets} is not 0 <= begin <= end")
    if end > data_len:
        raise fail(f"field 'data_offsets' {offsets} reaches past the end of the data ({data_len} bytes); "
                   "the file is truncated or the header is wrong")
    if end - begin != nbytes:
        raise fail(f"field 'data_offsets' {offsets} spans {end - begin} bytes, but shape {shape} of {code} "
                   f"needs {nbytes}")
    return _Entry(_DTYPES[code], tuple(shape), begin, end)


def _json_type(x: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(x), "number")


def _read_header(path: str) -> tuple[dict[str, _Entry], dict[str, str]]:
    """Parse and check a safetensors header against the file without reading the tensor data.

    A file that is not safetensors but a known other format (a PyTorch pickle or zip) is named as such,
    with how to convert it, instead of the header problem it causes.
    """
    try:
        return _parse_header(path)
    except WeightsFileError as e:
        what = _sniff(path)
        if what is None:
            raise
        advice = PICKLE_ADVICE if "PyTorch" in what else "convert it to safetensors where it was made"
        raise WeightsFileError(path, f"this is {what}, not a safetensors file; {advice}") from e


def _sniff(path: str) -> str | None:
    try:
        with open_regular(path) as f:
            return foreign_format(f.read(4096))
    except OSError:
        return None


def _parse_header(path: str) -> tuple[dict[str, _Entry], dict[str, str]]:
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise WeightsFileError(path, f"the file has {size} bytes, too few for the 8-byte header length "
                                             "(empty or truncated file)")
            header_len = int.from_bytes(f.read(8), "little")
            if header_len > size - 8:
                raise WeightsFileError(path, f"the header length field says {header_len} bytes but only "
                                             f"{size - 8} follow it (truncated, or not a safetensors file)")
            if header_len > _MAX_HEADER:
                raise WeightsFileError(path, f"the header length {header_len} exceeds the format's limit "
                                             f"of {_MAX_HEADER} bytes")
            raw = f.read(header_len)
    except OSError as e:  # NotARegularFileError's strerror: "is a named pipe (FIFO), not a regular file"
        raise WeightsFileError(path, f"cannot read the file ({e.strerror or e})") from e
    if len(raw) != header_len:
        raise WeightsFileError(path, "the file shrank while it was being read")
    data_len = size - 8 - header_len
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates,
                            parse_constant=_reject_constant)
    except _DuplicateKey as e:
        raise WeightsFileError(path, f"invalid header: {e}") from e
    except UnicodeDecodeError as e:
        raise WeightsFileError(path, f"the header is not valid UTF-8 ({e.reason} at byte {e.start})") from e
    except (ValueError, RecursionError) as e:
        raise WeightsFileError(path, f"the header is not valid JSON ({e})") from e
    if not isinstance(header, dict):
        raise WeightsFileError(path, f"the header is a JSON {_json_type(header)}, expected an object")

    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise WeightsFileError(path, f"'__metadata__' is a JSON {_json_type(metadata)}, expected an object "
                                     "of strings")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise WeightsFileError(path, f"'__metadata__' entry {key!r} is a JSON {_json_type(value)}, "
                                         "expected a string")

    entries = {name: _parse_entry(path, name, info, data_len) for name, info in header.items()}
    position, previous = 0, None
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin < position:
            raise WeightsFileError(path, f"tensor {name!r}: field 'data_offsets' [{entry.begin}, {entry.end}] "
                                         f"overlaps tensor {previous!r}, which ends at {position}")
        if entry.begin > position:
            raise WeightsFileError(path, f"tensor {name!r}: field 'data_offsets' [{entry.begin}, {entry.end}] "
                                         f"leaves a gap of {entry.begin - position} bytes before it")
        position, previous = entry.end, name
    if position != data_len:
        raise WeightsFileError(path, f"{data_len - position} trailing bytes after the last tensor "
                                     "(the header does not cover the file)")
    return entries, metadata


# --- loading ---------------------------------------------------------------------------------

def _expected_specs(expected: Any) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    if not isinstance(expected, Mapping) and callable(getattr(expected, "state_dict", None)):
        expected = expected.state_dict()
    if not isinstance(expected, Mapping):
        raise TypeError("expected must be a state_dict (name -> Tensor) or a mapping name -> (shape, dtype), "
                        f"got {type(expected).__name__}")
    specs = {}
    for name, value in expected.items():
        array = value._data if isinstance(value, Tensor) else value
        if isinstance(array, np.ndarray):
            specs[name] = (array.shape, array.dtype)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            specs[name] = (tuple(int(d) for d in value[0]), np.dtype(value[1]))
        else:
            raise TypeError(f"expected[{name!r}] must be a Tensor, an ndarray or a (shape, dtype) pair, "
                            f"got {type(value).__name__}")
    return specs


def _names(names) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _check_expected(path: str, entries: Mapping[str, _Entry], expected: Any, strict: bool = True) -> None:
    specs = _expected_specs(expected)
    if strict:
        missing, unexpected = specs.keys() - entries.keys(), entries.keys() - specs.keys()
        problems = []
        if missing:
            problems.append(f"missing tensors that the model expects: {_names(missing)}")
        if unexpected:
            problems.append(f"unexpected tensors that the model does not have: {_names(unexpected)}")
        if problems:
            raise WeightsFileError(path, "; ".join(problems))
    for name, (shape, dtype) in specs.items():
        entry = entries.get(name)
        if entry is None:
            continue
        if entry.shape != tuple(shape):
            raise WeightsFileError(path, f"tensor {name!r} has shape {entry.shape} but the model expects "
                                         f"{tuple(shape)}")
        if entry.dtype != dtype:
            raise WeightsFileError(path, f"tensor {name!r} has dtype {entry.dtype} but the model expects {dtype}")


def _library_error(path: str, error: Exception) -> WeightsFileError:
    return WeightsFileError(path, f"the safetensors library could not read the file ({type(error).__name__}: {error})")


def _load_arrays(path: str, entries: Mapping[str, _Entry], names=None) -> dict[str, np.ndarray]:
    """Read the named tensors (all when None) with the library, after ``_read_header`` checked them."""
    safetensors = _safetensors()
    names = list(entries) if names is None else list(names)
    try:
        with safetensors.safe_open(path, framework="np") as f:
            arrays = {name: f.get_tensor(name) for name in names}
    except Exception as e:  # SafetensorError, OSError, or whatever the library's NumPy glue raises
        raise _library_error(path, e) from e
    for name, array in arrays.items():
        entry = entries[name]
        if array.shape != entry.shape or array.dtype != entry.dtype:
            raise WeightsFileError(path, f"tensor {name!r} changed while the file was being read")
    return arrays


def load_state_dict(path: str | os.PathLike, *, expected: Any = None) -> dict[str, Tensor]:
    """Read every tensor of a safetensors file, checking it first.

    Args:
        path (str | PathLike): the file.
        expected (optional): a state_dict (name -> Tensor), or a mapping name -> (shape, dtype). When
            given, the file must hold exactly these names with these shapes and dtypes; this is
            checked from the header, before any tensor data is read. Default None.

    Returns:
        dict[str, Tensor]: fresh, writable tensors.

    Raises:
        WeightsFileError: the file is missing, damaged, not safetensors, or does not match ``expected``.

    >>> state = load_state_dict("model.safetensors", expected=model.state_dict())
    """
    path = os.fspath(path)
    entries, _ = _read_header(path)
    if expected is not None:
        _check_expected(path, entries, expected)
    return {name: Tensor._wrap(array) for name, array in _load_arrays(path, entries).items()}


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Return the ``__metadata__`` map (str -> str) of a safetensors file, ``{}`` when it has none.

    The whole header is checked, but no tensor data is read.

    >>> json.loads(read_metadata("model.safetensors")["config"])
    """
    path = os.fspath(path)
    _, metadata = _read_header(path)
    try:
        with _safetensors().safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
    except Exception as e:
        raise _library_error(path, e) from e
    return dict(metadata)


def load_into(model: Any, path: str | os.PathLike, strict: bool = True) -> Any:
    """Load a weights file into ``model``, checking names, shapes and dtypes before copying anything.

    Args:
        model: anything with ``state_dict()`` and ``load_state_dict(state, strict=...)`` (an ``nn.Module``).
        path (str | PathLike): the file written by ``save_state_dict(model.state_dict(), path)``.
        strict (bool): the file and the model must have exactly the same tensor names. Default True;
            with False, missing and unexpected names are allowed (shapes and dtypes are still checked).

    Returns:
        what ``model.load_state_dict`` returns (PyTorch: the missing and unexpected keys).

    >>> load_into(model, "model.safetensors")
    """
    path = os.fspath(path)
    entries, _ = _read_header(path)
    _check_expected(path, entries, model.state_dict(), strict=strict)
    state = {name: Tensor._wrap(array) for name, array in _load_arrays(path, entries).items()}
    return model.load_state_dict(state, strict=strict)
