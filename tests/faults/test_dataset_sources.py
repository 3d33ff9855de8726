"""CHAINRULE_DATA (or root) holding only some of a dataset's files is never mixed with another copy."""

import numpy as np
import pytest

from chainrule.data.datasets import MNIST, DatasetError, write_idx


def _split(folder, train, n, value):
    prefix = "train" if train else "t10k"
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), value, np.uint8))
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 10)


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    full = tmp_path / "cache" / "chainrule" / "mnist"
    _split(full, True, 6, 1)
    _split(full, False, 4, 1)
    return full


def test_a_partial_copy_in_chainrule_data_is_refused_not_mixed(cache, monkeypatch, tmp_path):
    env = tmp_path / "env"
    _split(env / "mnist", False, 3, 200)  # only the test split
    monkeypatch.setenv("CHAINRULE_DATA", str(env))
    assert len(MNIST(train=False, download=False)) == 3  # the split it has comes from it
    with pytest.raises(DatasetError, match=r"env/mnist holds some of the dataset's files \(t10k-images.*"
                                           r"but not train-images-idx3-ubyte\[.gz\], train-labels"):
        MNIST(train=True, download=False)


def test_a_complete_copy_is_used_and_an_empty_folder_skipped(cache, monkeypatch, tmp_path):
    (tmp_path / "env" / "mnist").mkdir(parents=True)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    train, test = MNIST(train=True, download=False), MNIST(train=False, download=False)
    assert (len(train), len(test)) == (6, 4) and train.folder == test.folder == cache


def test_a_dataset_copy_with_no_images_is_a_clear_cli_error(monkeypatch, tmp_path, capsys):
    from chainrule.cli import main

    env = tmp_path / "env"
    _split(env / "fashion-mnist", True, 0, 0)
    _split(env / "fashion-mnist", False, 0, 0)
    monkeypatch.setenv("CHAINRULE_DATA", str(env))
    assert main(["train", "--val-split", "0", "--epochs", "1", "--quiet", "--out", str(tmp_path / "runs")]) == 1
    assert "the fashion-mnist training data holds no samples" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
