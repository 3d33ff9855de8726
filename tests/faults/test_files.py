"""Loaders refuse what is not a regular file before opening it, and name a PyTorch pickle or zip (any protocol)
with how to convert it, wherever a safetensors file is expected."""

import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule import io, nn
from chainrule.cli import main
from chainrule.data.datasets import DatasetError, read_idx
from chainrule.io import WeightsFileError
from chainrule.io.files import NotARegularFileError, open_regular
from faults.helpers import fifo, pickle_file, symlink, torch_zip_file

LOADERS = {
    "chainrule.load": lambda p: cr.load(p),
    "load_state_dict": lambda p: io.load_state_dict(p),
    "read_metadata": lambda p: io.read_metadata(p),
    "load_into": lambda p: io.load_into(nn.Linear(2, 1), p),
    "load_checkpoint": lambda p: io.load_checkpoint(p, model=nn.Linear(2, 1)),
}


@pytest.mark.parametrize("loader", LOADERS)
def test_a_fifo_is_refused_by_every_weights_loader_without_blocking(loader, tmp_path, no_hang):
    path = fifo(tmp_path / "pipe.safetensors")
    with pytest.raises(WeightsFileError, match="named pipe.*not a regular file"):
        LOADERS[loader](path)


def test_a_fifo_is_refused_by_the_idx_reader_and_open_regular(tmp_path, no_hang):
    path = fifo(tmp_path / "train-images-idx3-ubyte")
    with pytest.raises(DatasetError, match="named pipe"):
        read_idx(path)
    with pytest.raises(NotARegularFileError, match="named pipe"):
        open_regular(path)
    with pytest.raises(NotARegularFileError, match="folder"):
        open_regular(tmp_path)


def test_a_fifo_as_config_json_is_refused_by_evaluate(tmp_path, capsys, no_hang):
    fifo(tmp_path / "config.json")
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "config.json: is a named pipe (FIFO), not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("loader", LOADERS)
def test_a_pickle_of_any_protocol_is_named_and_never_run(loader, protocol, tmp_path):
    witness = tmp_path / "ran"
    path = pickle_file(tmp_path / "model.pt", protocol=protocol, witness=witness)
    with pytest.raises(WeightsFileError, match=r"this is a pickle.*never loads pickles.*safetensors\.torch\.save_file"):
        LOADERS[loader](path)
    assert not witness.exists()


@pytest.mark.parametrize("loader", LOADERS)
def test_a_pytorch_zip_is_named(loader, tmp_path):
    path = torch_zip_file(tmp_path / "model.pt")
    with pytest.raises(WeightsFileError, match=r"zip archive \(PyTorch's torch.save format.*save_file"):
        LOADERS[loader](path)


def test_evaluate_names_a_pytorch_pickle_in_place_of_the_weights(toy_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(toy_run, run)
    pickle_file(run / "model.safetensors", protocol=0)
    assert main(["evaluate", str(run)]) == 1
    err = capsys.readouterr().err
    assert "model.safetensors: this is a pickle" in err and "Traceback" not in err and "header length" not in err


def test_a_symlinked_weights_file_is_still_read(tmp_path):
    # reading through a link is fine (the user chose the path); only writing run files refuses links
    cr.save({"w": cr.ones(2)}, tmp_path / "real.safetensors")
    link = symlink(tmp_path / "link.safetensors", tmp_path / "real.safetensors")
    np.testing.assert_array_equal(cr.load(link)["w"].numpy(), [1, 1])


def test_config_json_that_is_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "config.json").mkdir()
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "config.json: is a folder" in capsys.readouterr().err
