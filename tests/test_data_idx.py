"""The IDX reader: good files of every type, and each way a file can be corrupt."""

import gzip
import struct

import numpy as np
import pytest

from chainrule.data.datasets import MNIST, DatasetError, read_idx, write_idx


def _idx_bytes(code, shape, payload):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a-idx.gz", "a-idx"])
def test_roundtrip_every_type_gzipped_or_raw(tmp_path, dtype, name):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / name, a)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\0\0")
    b = read_idx(tmp_path / name)
    assert b.dtype == dtype and b.dtype.isnative and b.flags.writeable
    np.testing.assert_array_equal(a, b)


def test_reads_big_endian_by_hand(tmp_path):
    (tmp_path / "x").write_bytes(_idx_bytes(0x0C, (2,), b"\x00\x00\x01\x00\xff\xff\xff\xfe"))
    assert read_idx(tmp_path / "x").tolist() == [256, -2]
    (tmp_path / "y").write_bytes(_idx_bytes(0x08, (2, 2), bytes([1, 2, 3, 250])))
    assert read_idx(tmp_path / "y", ndim=2, dtype=np.uint8).tolist() == [[1, 2], [3, 250]]


def _good(n=3):
    return _idx_bytes(0x08, (n, 2, 2), bytes(range(4 * n)))


@pytest.mark.parametrize("content, message", [
    (b"", "too short for an IDX file"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "not an IDX file: magic number 0x01000801"),
    (_idx_bytes(0x07, (1,), b"\x00"), "unknown IDX data type code 0x07"),
    (_idx_bytes(0x08, (), b""), "declares 0 dimensions"),
    (_good()[:6], "truncated header"),
    (_good()[:-1], "truncated: the header's shape \\(3, 2, 2\\) needs 12 bytes of data, found 11"),
    (_good() + b"\x00", "too long"),
    (gzip.compress(_good())[:-12], "truncated gzip data"),
    (b"\x1f\x8b" + b"garbage" * 5, "corrupt gzip data"),
])
def test_corrupt_files_raise_dataset_error_naming_file_and_problem(tmp_path, content, message):
    path = tmp_path / "broken-idx3-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_flipped_byte_in_gzip_is_detected(tmp_path):
    payload = np.random.default_rng(0).integers(0, 255, 4000).astype(np.uint8).tobytes()
    data = bytearray(gzip.compress(_idx_bytes(0x08, (4000,), payload)))
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "f.gz").write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="gzip"):
        read_idx(tmp_path / "f.gz")


def test_wrong_dimensions_or_type_are_reported(tmp_path):
    write_idx(tmp_path / "labels", np.zeros((2, 2), np.uint8))
    with pytest.raises(DatasetError, match="expected a 1-dimensional IDX file, got 2"):
        read_idx(tmp_path / "labels", ndim=1)
    write_idx(tmp_path / "floats", np.zeros(3, np.float32))
    with pytest.raises(DatasetError, match="expected uint8 values, got float32"):
        read_idx(tmp_path / "floats", dtype=np.uint8)
    with pytest.raises(DatasetError, match="cannot read"):
        read_idx(tmp_path / "missing")


def _write_split(folder, n_images, n_labels, labels=None, train=False):
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", np.zeros((n_images, 28, 28), np.uint8))
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz",
              np.asarray(labels if labels is not None else np.arange(n_labels) % 10, np.uint8))


def test_dataset_checks_image_label_count_and_label_range(tmp_path):
    _write_split(tmp_path / "a", 5, 4)
    with pytest.raises(DatasetError, match="holds 5 images but .* holds 4 labels"):
        MNIST(root=tmp_path / "a", train=False, download=False)
    _write_split(tmp_path / "b", 2, 2, labels=[3, 12])
    with pytest.raises(DatasetError, match="label 12 is out of range for 10 classes"):
        MNIST(root=tmp_path / "b", train=False, download=False)
    folder = tmp_path / "c"
    _write_split(folder, 2, 2)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((2, 14, 14), np.uint8))
    with pytest.raises(DatasetError, match="expected 28x28 images, got 14x14"):
        MNIST(root=folder, train=False, download=False)
