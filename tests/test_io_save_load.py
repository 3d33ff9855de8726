"""chainrule.save / chainrule.load: PyTorch's calls on safetensors, never pickle."""

import numpy as np
import pytest
import safetensors.torch
import torch

import chainrule as cr
from chainrule import nn
from chainrule.io import WeightsFileError


def _mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_state_dict_round_trip_as_on_the_slides(tmp_path):
    path = tmp_path / "model.pt"
    model = _mlp()
    cr.save(model.state_dict(), path)
    other = _mlp()
    other.load_state_dict(cr.load(path))
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    # a flat state_dict is an ordinary safetensors weights file: PyTorch's reader loads it
    assert set(safetensors.torch.load_file(str(path))) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_checkpoint_dict_with_optimizer_state_round_trips(tmp_path):
    cr.manual_seed(0)
    model = _mlp()
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        model(cr.randn(5, 3)).pow(2).sum().backward()
        opt.step()
    path = tmp_path / "checkpoint.pt"
    cr.save({"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(), "best": float("inf"),
             "history": [0.5, 0.25], "note": None}, path)
    ck = cr.load(path, map_location="cpu", weights_only=True)
    assert ck["epoch"] == 3 and ck["best"] == float("inf") and ck["history"] == [0.5, 0.25] and ck["note"] is None
    restored = cr.optim.Adam(_mlp().parameters(), lr=0.5)
    restored.load_state_dict(ck["optimizer"])  # int keys, tuples (betas) and tensors all come back
    assert restored.param_groups[0]["betas"] == (0.9, 0.999) and restored.param_groups[0]["lr"] == 1e-2
    saved, now = ck["optimizer"]["state"][0], opt.state_dict()["state"][0]
    np.testing.assert_array_equal(saved["exp_avg"].numpy(), now["exp_avg"].numpy())


def test_saving_a_module_is_refused_with_the_state_dict_advice(tmp_path):
    with pytest.raises(TypeError, match=r"save model.state_dict\(\)"):
        cr.save(_mlp(), tmp_path / "m.pt")


def test_a_pytorch_pickle_is_never_loaded_and_the_error_says_why(tmp_path):
    path = tmp_path / "real.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(WeightsFileError, match="pickle.*can run code.*safetensors.torch.save_file"):
        cr.load(path)


def test_missing_file_and_non_path_arguments(tmp_path):
    with pytest.raises(WeightsFileError, match="nothing.pt"):
        cr.load(tmp_path / "nothing.pt")
    with pytest.raises(TypeError, match="file path"):
        cr.save({"w": cr.zeros(1)}, object())
