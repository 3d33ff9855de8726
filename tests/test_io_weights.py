"""chainrule.io weight files: round trips, PyTorch interop, and one malformed file per failure mode."""

import json
import struct
import sys
import time

import numpy as np
import pytest
import safetensors.torch
import torch

import chainrule as cr
from chainrule import nn
from chainrule.io import WeightsFileError, load_checkpoint, load_into, load_state_dict, read_metadata, save_state_dict


def raw_file(header, data=b""):
    """Bytes of a safetensors file with this header (a dict, or raw JSON bytes) and data section."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


# --- round trips ---------------------------------------------------------------------------------

def test_round_trip_dtypes_shapes_and_layouts(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 6))
    arrays = {
        "f32": base.astype(np.float32),
        "f64": base,
        "i64": rng.integers(-2**62, 2**62, size=(3, 5), dtype=np.int64),
        "f16": base.astype(np.float16),
        "u8": rng.integers(0, 255, size=7, dtype=np.uint8),
        "bool": base > 0,
        "empty": np.zeros((0, 3), np.float32),
        "empty_middle": np.zeros((2, 0, 4), np.int64),
        "scalar": np.array(3.5, np.float64),
        "scalar_int": np.array(-7, np.int64),
        "transposed": base.astype(np.float32).T,  # non-contiguous
        "strided": base[::2, ::3],  # non-contiguous view
        "fortran": np.asfortranarray(base),
        "big_endian": base.astype(">f4"),
    }
    state = {k: (cr.Tensor(v) if i % 2 else v) for i, (k, v) in enumerate(arrays.items())}
    path = tmp_path / "w.safetensors"
    save_state_dict(state, path)
    loaded = load_state_dict(path)
    assert set(loaded) == set(arrays)
    for name, expected in arrays.items():
        got = loaded[name]
        assert isinstance(got, cr.Tensor)
        assert got.shape == expected.shape, name
        assert got.dtype == expected.dtype.newbyteorder("="), name
        np.testing.assert_array_equal(got._data, expected, err_msg=name)
        assert got._data.flags.writeable
    # 0-d stays 0-d (np.ascontiguousarray would make it (1,))
    assert loaded["scalar"].shape == ()


def test_loaded_tensors_are_independent_of_the_file(tmp_path):
    path = tmp_path / "w.safetensors"
    save_state_dict({"a": np.arange(4, dtype=np.float32)}, path)
    a = load_state_dict(path)["a"]
    save_state_dict({"a": np.zeros(4, dtype=np.float32)}, path)
    np.testing.assert_array_equal(a._data, [0, 1, 2, 3])
    a._data += 1  # writable, owned memory


def test_metadata_round_trip(tmp_path):
    path = tmp_path / "w.safetensors"
    metadata = {"config": json.dumps({"layers": [784, 256, 10]}), "note": "héllo ✓", "empty": ""}
    save_state_dict({"w": np.ones(3, np.float32)}, path, metadata=metadata)
    assert read_metadata(path) == metadata
    assert set(load_state_dict(path)) == {"w"}
    save_state_dict({}, path)  # no tensors, no metadata
    assert read_metadata(path) == {}
    assert load_state_dict(path) == {}


def test_expected_accepts_state_dict_or_shape_dtype_pairs(tmp_path):
    path = tmp_path / "w.safetensors"
    save_state_dict({"w": np.ones((2, 3), np.float32), "n": np.array(4, np.int64)}, path)
    load_state_dict(path, expected={"w": cr.zeros(2, 3), "n": cr.tensor(0)})
    load_state_dict(path, expected={"w": ((2, 3), "float32"), "n": ((), np.int64)})
    with pytest.raises(WeightsFileError, match=r"tensor 'n' has dtype int64 but the model expects int32"):
        load_state_dict(path, expected={"w": ((2, 3), cr.float32), "n": ((), cr.int32)})


def test_load_into_module_and_strict_false(tmp_path):
    cr.manual_seed(0)
    src = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    dst = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "m.safetensors"
    save_state_dict(src.state_dict(), path)
    load_into(dst, path)
    for k, v in src.state_dict().items():
        np.testing.assert_array_equal(dst.state_dict()[k]._data, v._data)
    # strict=False: names may differ, shapes of the shared names are still checked
    save_state_dict({"0.weight": src[0].weight, "extra": np.zeros(1, np.float32)}, path)
    result = load_into(dst, path, strict=False)
    assert set(result.missing_keys) == {"0.bias", "2.weight", "2.bias"}
    save_state_dict({"0.weight": np.zeros((5, 4), np.float32)}, path)
    with pytest.raises(WeightsFileError, match=r"'0.weight' has shape \(5, 4\) but the model expects \(3, 4\)"):
        load_into(dst, path, strict=False)


def test_model_mismatch_message_names_file_tensor_and_shapes(tmp_path):
    path = tmp_path / "weights.safetensors"
    save_state_dict({"0.weight": np.zeros((10, 784), np.float32), "0.bias": np.zeros(10, np.float32)}, path)
    model = nn.Sequential(nn.Linear(784, 256))
    before = model[0].weight._data.copy()
    with pytest.raises(WeightsFileError) as info:
        load_into(model, path)
    assert str(info.value) == f"{path}: tensor '0.weight' has shape (10, 784) but the model expects (256, 784)"
    assert info.value.path == str(path)
    np.testing.assert_array_equal(model[0].weight._data, before)  # nothing copied in


# --- PyTorch interop -----------------------------------------------------------------------------

def test_files_written_by_torch_load_in_chainrule(tmp_path):
    g = torch.Generator().manual_seed(0)
    tensors = {
        "linear.weight": torch.randn(5, 3, generator=g),
        "linear.bias": torch.randn(5, generator=g, dtype=torch.float64),
        "steps": torch.tensor(12, dtype=torch.int64),
        "mask": torch.tensor([True, False, True]),
        "empty": torch.zeros(0, 4),
        "half": torch.randn(2, 2, generator=g).half(),
    }
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(tensors, str(path), metadata={"format": "pt"})
    loaded = load_state_dict(path)
    assert set(loaded) == set(tensors)
    for name, t in tensors.items():
        assert loaded[name].shape == tuple(t.shape)
        np.testing.assert_array_equal(loaded[name]._data, t.numpy(), err_msg=name)
        assert loaded[name].dtype == t.numpy().dtype
    assert read_metadata(path) == {"format": "pt"}


def test_files_written_by_chainrule_load_in_torch(tmp_path):
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    state = dict(model.state_dict())
    state["count"] = cr.tensor(5)
    state["scalar"] = cr.tensor(np.array(2.5))
    state["flag"] = cr.tensor([True, False])
    state["view"] = cr.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4).T)
    path = tmp_path / "cr.safetensors"
    save_state_dict(state, path, metadata={"who": "chainrule"})
    loaded = safetensors.torch.load_file(str(path))
    assert set(loaded) == set(state)
    for name, t in state.items():
        assert tuple(loaded[name].shape) == t.shape, name
        np.testing.assert_array_equal(loaded[name].numpy(), t._data, err_msg=name)
    assert loaded["count"].dtype == torch.int64 and loaded["scalar"].dtype == torch.float64
    # and a torch model of the same architecture accepts it
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch_model.load_state_dict({k: v for k, v in loaded.items() if k in model.state_dict()})
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(torch_model(torch.from_numpy(x)).detach().numpy(),
                               model(cr.tensor(x))._data, rtol=1e-6, atol=1e-6)


# --- one malformed file per failure mode ---------------------------------------------------------

GOOD = raw_file({"__metadata__": {"k": "v"}, "a": F32x2}, b"\0" * 8)


def _overlap():
    return raw_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12)


def _gap():
    return raw_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                     "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, b"\0" * 12)


def _tensor(**changes):
    return raw_file({"a": dict(F32x2, **changes)}, b"\0" * 8)


MALFORMED = {
    "empty file": (b"", "too few"),
    "truncated header length": (b"\x10\x00\x00", "too few"),
    "header length past the end": (struct.pack("<Q", 1000) + b"{}", "only 2 follow"),
    "header length over the limit": (struct.pack("<Q", 2**63) + b"{}", "header length field"),
    "non-JSON header": (raw_file(b'{"a": {dtype: F32}}'), "not valid JSON"),
    "NaN in header": (raw_file(b'{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 8]}}', b"\0" * 8),
                      "not valid JSON"),
    "non-UTF-8 header": (raw_file(b'{"a\xff": 1}'), "UTF-8"),
    "header not an object": (raw_file(b"[1, 2]"), "JSON array, expected an object"),
    "duplicate keys": (raw_file(b'{"a": %s, "a": %s}' % (json.dumps(F32x2).encode(), json.dumps(F32x2).encode()),
                                b"\0" * 8), "'a' appears more than once"),
    "entry not an object": (raw_file({"a": [1]}), "tensor 'a': header entry is a JSON array"),
    "unknown field": (_tensor(extra=1), "unknown fields ['extra']"),
    "missing field": (raw_file({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8), "missing fields ['data_offsets']"),
    "unknown dtype": (_tensor(dtype="F33"), "tensor 'a': field 'dtype' is 'F33'"),
    "dtype NumPy lacks (bfloat16)": (_tensor(dtype="BF16", shape=[4]), "field 'dtype' is BF16"),
    "negative shape": (_tensor(shape=[-2, -1]), "tensor 'a': field 'shape' [-2, -1] has a negative dimension"),
    "overflowing shape": (raw_file({"a": {"dtype": "F32", "shape": [2**32, 2**32, 2**32], "data_offsets": [0, 0]}}),
                          "overflows a 64-bit size"),
    "shape not a list": (_tensor(shape=2), "tensor 'a': field 'shape' is 2"),
    "shape of floats": (_tensor(shape=[2.0]), "field 'shape' is [2.0]"),
    "shape of booleans": (_tensor(shape=[True, 2]), "field 'shape' is [True, 2]"),
    "offsets not two ints": (_tensor(data_offsets=[0, "8"]), "field 'data_offsets' is [0, '8']"),
    "offsets of three ints": (_tensor(data_offsets=[0, 4, 8]), "expected [begin, end]"),
    "offsets out of order": (_tensor(data_offsets=[8, 0]), "not 0 <= begin <= end"),
    "negative offset": (_tensor(data_offsets=[-8, 0]), "not 0 <= begin <= end"),
    "overlapping offsets": (_overlap(), "tensor 'b': field 'data_offsets' [4, 12] overlaps tensor 'a'"),
    "gap between tensors": (_gap(), "leaves a gap of 4 bytes"),
    "offsets past the end": (raw_file({"a": F32x2}, b"\0" * 4), "past the end of the data (4 bytes)"),
    "size not matching shape": (_tensor(shape=[3]), "spans 8 bytes, but shape [3] of F32 needs 12"),
    "trailing bytes": (GOOD + b"\0" * 4, "4 trailing bytes after the last tensor"),
    "metadata not str -> str": (raw_file({"__metadata__": {"k": 1}, "a": F32x2}, b"\0" * 8),
                                "'__metadata__' entry 'k' is a JSON number, expected a string"),
    "metadata not an object": (raw_file({"__metadata__": ["k"], "a": F32x2}, b"\0" * 8),
                               "'__metadata__' is a JSON array"),
    "huge declared tensor with no data": (
        raw_file({"a": {"dtype": "F64", "shape": [10**6, 10**6], "data_offsets": [0, 8 * 10**12]}}),
        "past the end of the data (0 bytes)"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_file_raises_weights_file_error_naming_the_file(tmp_path, case):
    content, expected_text = MALFORMED[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    for load in (load_state_dict, read_metadata):
        elapsed = []
        for _ in range(3):  # best of 3: the 100 ms bound is about the load, not a busy host's hiccups
            start = time.perf_counter()
            with pytest.raises(WeightsFileError) as info:
                load(path)
            elapsed.append(time.perf_counter() - start)
        assert min(elapsed) < 0.1
        message = str(info.value)
        assert message.startswith(f"{path}: "), message
        assert expected_text in message, message
        assert isinstance(info.value, ValueError)


def test_the_library_itself_rejects_what_we_check_after_it(tmp_path):
    # Our checks must not be looser than the library's: the files above that the library accepts
    # are only the ones our stricter rules reject on purpose.
    library_accepts = set()
    for case, (content, _) in MALFORMED.items():
        path = tmp_path / "bad.safetensors"
        path.write_bytes(content)
        try:
            safetensors.safe_open(str(path), framework="np").keys()
        except Exception:
            continue
        library_accepts.add(case)
    assert library_accepts <= {"duplicate keys", "unknown field", "dtype NumPy lacks (bfloat16)"}


def test_library_failures_are_wrapped(tmp_path):
    # "-0" is an int to Python's json but not to the library's parser: the library's own error surfaces
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw_file(b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [-0, 8]}}', b"\0" * 8))
    with pytest.raises(WeightsFileError, match="safetensors library could not read") as info:
        load_state_dict(path)
    assert info.value.__cause__ is not None


def test_missing_file_and_folder_raise_weights_file_error(tmp_path):
    with pytest.raises(WeightsFileError, match="missing.safetensors: cannot read the file"):
        load_state_dict(tmp_path / "missing.safetensors")
    with pytest.raises(WeightsFileError, match="cannot read the file"):
        read_metadata(tmp_path)


@pytest.mark.parametrize("mismatch, text", [
    ("names", "missing tensors that the model expects: '0.bias'; unexpected tensors that the model does not "
              "have: 'bias'"),
    ("shape", "tensor '0.weight' has shape (3, 5) but the model expects (3, 4)"),
    ("dtype", "tensor '0.weight' has dtype float64 but the model expects float32"),
])
def test_wrong_tensors_for_the_model(tmp_path, mismatch, text):
    model = nn.Sequential(nn.Linear(4, 3))
    state = {"0.weight": np.zeros((3, 4), np.float32), "0.bias": np.zeros(3, np.float32)}
    if mismatch == "names":
        state["bias"] = state.pop("0.bias")
    elif mismatch == "shape":
        state["0.weight"] = np.zeros((3, 5), np.float32)
    else:
        state["0.weight"] = np.zeros((3, 4), np.float64)
    path = tmp_path / "w.safetensors"
    save_state_dict(state, path)
    for load in (lambda: load_into(model, path), lambda: load_state_dict(path, expected=model.state_dict())):
        with pytest.raises(WeightsFileError) as info:
            load()
        assert str(info.value) == f"{path}: {text}"


@pytest.mark.parametrize("document, text", [
    ("{not json", "not a valid checkpoint description"),
    ("[1, 2]", "expected an object with keys"),
    (None, "not a chainrule checkpoint"),
])
def test_bad_checkpoint_metadata(tmp_path, document, text):
    path = tmp_path / "ckpt.safetensors"
    save_state_dict({"model.w": np.zeros(2, np.float32)}, path,
                    metadata=None if document is None else {"chainrule": document})
    with pytest.raises(WeightsFileError, match=text) as info:
        load_checkpoint(path)
    assert str(info.value).startswith(f"{path}: ")


# --- saving: refusing bad input, and the optional dependency -------------------------------------

@pytest.mark.parametrize("state, metadata, text", [
    ({"a": [1.0, 2.0]}, None, "'a' is a list; only Tensors and NumPy arrays"),
    ({"a": np.zeros(2, np.complex128)}, None, "tensor 'a' has dtype complex128"),
    ({"a": np.array(["x"])}, None, "tensor 'a' has dtype <U1"),
    ({1: np.zeros(2)}, None, "tensor names must be str"),
    ({"a": np.zeros(2)}, {"k": 1}, "metadata must map str -> str"),
    ({"a": np.zeros(2)}, ["k"], "metadata must be a dict"),
])
def test_save_refuses_what_it_cannot_store_and_keeps_the_old_file(tmp_path, state, metadata, text):
    path = tmp_path / "w.safetensors"
    save_state_dict({"old": np.ones(1, np.float32)}, path)
    with pytest.raises(TypeError, match=text):
        save_state_dict(state, path, metadata=metadata)
    assert set(load_state_dict(path)) == {"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.safetensors"]


def test_reserved_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'__metadata__' is reserved"):
        save_state_dict({"__metadata__": np.zeros(1)}, tmp_path / "w.safetensors")


def test_missing_safetensors_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[safe\]"):
        save_state_dict({"a": np.zeros(1)}, tmp_path / "w.safetensors")
    (tmp_path / "w.safetensors").write_bytes(GOOD)
    with pytest.raises(ImportError, match=r"pip install chainrule\[safe\]"):
        load_state_dict(tmp_path / "w.safetensors")
