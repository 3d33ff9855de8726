"""Asking for more than the machine has is refused before anything is allocated or written, with the size and
the machine's memory in one line."""

import gzip
import struct

import pytest

from chainrule.cli import main
from chainrule.data.datasets import DatasetError, read_idx, toy
from chainrule.models import mlp
from chainrule.utils.memory import OutOfMemoryError, check_fits
from faults.helpers import GiB, small_machine

TOY = ["train", "--dataset", "xor", "--epochs", "1", "--quiet"]


def test_a_model_beyond_the_machine_is_refused_before_the_run_folder_exists(tmp_path, capsys):
    assert main([*TOY, "--hidden", "1000000,1000000", "--out", str(tmp_path / "runs"), "--name", "big"]) == 1
    err = capsys.readouterr().err
    assert "1,000,006,000,002 parameters" in err and "TiB of memory, but this machine has" in err
    assert not (tmp_path / "runs").exists()  # no orphan folder holding only config.json


def test_on_a_small_machine_a_moderate_model_is_refused_too(tmp_path, capsys, monkeypatch):
    small_machine(monkeypatch, total=1 * GiB)
    assert main([*TOY, "--hidden", "20000,20000", "--out", str(tmp_path), "--name", "m"]) == 1
    assert "available (of 1.0 GiB)" in capsys.readouterr().err
    with pytest.raises(OutOfMemoryError, match=r"mlp\(784, 20000, 20000, 10\)'s 415,920,010 float32 parameters"):
        mlp(784, hidden=(20000, 20000))


def test_a_huge_subset_of_a_toy_set_is_refused(tmp_path, capsys):
    assert main([*TOY, "--subset", "1000000000000", "--out", str(tmp_path), "--name", "s"]) == 1
    assert "--subset 1000000000000" in capsys.readouterr().err
    with pytest.raises(MemoryError, match=r"spiral\(n_samples=1000000000000\) needs .* TiB"):
        toy.spiral(n_samples=10**12)


def test_a_huge_thread_count_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main([*TOY, "--threads", "100000000000000000000", "--out", str(tmp_path)])
    assert e.value.code == 2 and "--threads 100000000000000000000 is more than" in capsys.readouterr().err
    import chainrule as cr

    with pytest.raises(ValueError, match="at most 65536 threads"):
        cr.set_num_threads(10**20)


def _idx_header(count):
    return bytes([0, 0, 0x08, 3]) + struct.pack(">3I", count, 28, 28)


def test_an_idx_header_claiming_a_billion_images_is_the_readers_own_error(tmp_path):
    raw = tmp_path / "train-images-idx3-ubyte"
    raw.write_bytes(_idx_header(10**9) + b"\0" * 784)
    with pytest.raises(DatasetError, match="truncated: the header's shape .* needs 784000000000 bytes"):
        read_idx(raw)
    gz = tmp_path / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(_idx_header(10**9) + b"\0" * 784))
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz: the header's shape \(1000000000, 28, 28\) "
                                           r"needs 730.2 GiB of memory, but this machine has"):
        read_idx(gz)


def test_an_idx_header_whose_size_overflows_names_the_file(tmp_path):
    gz = tmp_path / "labels.gz"
    gz.write_bytes(gzip.compress(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 2**32 - 1)))
    with pytest.raises(DatasetError, match="labels.gz: the header's shape"):
        read_idx(gz)


def test_check_fits_message_gives_both_sizes(monkeypatch):
    small_machine(monkeypatch, total=2 * GiB, available=1 * GiB)
    check_fits(GiB // 2, "half")
    with pytest.raises(OutOfMemoryError, match=r"x needs 3.0 GiB of memory, but this machine has 1.0 GiB available "
                                               r"\(of 2.0 GiB\)") as e:
        check_fits(3 * GiB, "x")
    assert e.value.needed == 3 * GiB and e.value.available == GiB


def test_a_linear_layer_beyond_the_machine_is_refused_before_allocating(monkeypatch):
    from chainrule import nn

    small_machine(monkeypatch, total=2 * GiB)
    with pytest.raises(OutOfMemoryError, match=r"Linear\(100000, 100000\)'s float32 weight needs 37.3 GiB"):
        nn.Linear(100000, 100000)
    assert nn.Linear(3, 2).weight.shape == (2, 3)
