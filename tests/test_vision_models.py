"""chainrule.vision.models against torchvision 0.28.0: same state_dict keys and shapes, and the same eval
outputs after torchvision's random weights travel through a safetensors file (float64 to 1e-10
relative, float32 to 1e-4). See torchvision_oracle.py for how torchvision is imported."""

import math

import numpy as np
import pytest
import torch
from torchvision_oracle import import_torchvision

import chainrule as cr
from chainrule import io, nn
from chainrule.vision import models

safetensors_torch = pytest.importorskip("safetensors.torch")

ARCHS = ["resnet18", "resnet34", "mobilenet_v2", "efficientnet_b0"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # torch's float64 depthwise convolutions spin for tens of seconds on a busy 2-core machine with 2 threads
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _torchvision_model(name, num_classes, dtype):
    tv = import_torchvision()
    torch.manual_seed(0)
    model = getattr(tv.models, name)(weights=None, num_classes=num_classes).to(dtype)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():  # non-trivial BatchNorm statistics and affine terms, so eval mode is really tested
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen, dtype=dtype) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen, dtype=dtype) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen, dtype=dtype) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen, dtype=dtype) * 0.1)
    return model.eval()


@pytest.mark.parametrize("name", ARCHS)
def test_state_dict_keys_and_shapes_match_torchvision(name):
    theirs = _torchvision_model(name, 1000, torch.float32).state_dict()
    ours = getattr(models, name)().state_dict()
    assert list(ours) == list(theirs)
    assert all(tuple(ours[k].shape) == tuple(theirs[k].shape) for k in theirs)


@pytest.mark.parametrize("name", ARCHS)
def test_float64_outputs_match_torchvision(name, tmp_path):
    tv_model = _torchvision_model(name, 5, torch.float64)
    path = tmp_path / f"{name}.safetensors"
    safetensors_torch.save_file(tv_model.state_dict(), str(path))
    model = getattr(models, name)(num_classes=5).double()
    model.load_state_dict(io.load_state_dict(path))
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    with torch.no_grad():
        expected = tv_model(torch.from_numpy(x)).numpy()
    with cr.no_grad():
        got = model(cr.from_numpy(x)).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "efficientnet_b0"])  # resnet34: resnet18's blocks
def test_float32_weights_file_loads_with_weights_argument(name, tmp_path):
    tv_model = _torchvision_model(name, 7, torch.float32)
    path = tmp_path / f"{name}.safetensors"
    safetensors_torch.save_file(tv_model.state_dict(), str(path))
    model = getattr(models, name)(weights=str(path)).eval()  # num_classes read from the file's head
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        expected = tv_model(torch.from_numpy(x)).numpy()
    with cr.no_grad():
        got = model(cr.from_numpy(x)).numpy()
    assert got.shape == (1, 7)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_weights_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="downloads no weights"):
        models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises(ValueError, match="chainrule convert"):
        models.efficientnet_b0(pretrained=True)
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        models.resnet18(weights=str(tmp_path / "missing.safetensors"))
    with pytest.raises(ValueError, match="belong to fashion_cnn"):
        models.resnet18(weights="fashion7")
    path = tmp_path / "head.safetensors"
    io.save_state_dict(models.fashion_cnn(num_classes=4).state_dict(), path)
    with pytest.raises(ValueError, match="num_classes=4"):
        models.fashion_cnn(weights=path, num_classes=3)


def test_get_model_and_list_models():
    assert models.list_models() == ["efficientnet_b0", "fashion_cnn", "mobilenet_v2", "resnet18", "resnet34"]
    assert models.get_model("fashion_cnn", num_classes=3).fc.out_features == 3
    with pytest.raises(ValueError, match="unknown model 'vgg16'"):
        models.get_model("vgg16")


def test_heads_replace_as_in_pytorch():
    model = models.mobilenet_v2(num_classes=10)
    model.classifier[-1] = nn.Linear(model.last_channel, 3)
    assert "classifier.1.weight" in model.state_dict() and model.classifier[1].out_features == 3
    res = models.resnet18()
    res.fc = nn.Linear(res.fc.in_features, 3)
    with cr.no_grad():
        assert res.eval()(cr.zeros(1, 3, 32, 32)).shape == (1, 3)


def test_parity_check_detects_a_wrong_running_statistic(tmp_path):
    # the comparison above can fail: one BatchNorm running variance off by 1% moves the outputs past 1e-10
    tv_model = _torchvision_model("mobilenet_v2", 5, torch.float64)
    state = {k: v.clone() for k, v in tv_model.state_dict().items()}
    state["features.5.conv.1.1.running_var"][0] *= 1.01
    path = tmp_path / "off.safetensors"
    safetensors_torch.save_file(state, str(path))
    model = models.mobilenet_v2(num_classes=5).double()
    model.load_state_dict(io.load_state_dict(path))
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    with torch.no_grad():
        expected = tv_model(torch.from_numpy(x)).numpy()
    with cr.no_grad():
        got = model.eval()(cr.from_numpy(x)).numpy()
    assert not np.allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("name", ["mobilenet_v2", "efficientnet_b0"])
def test_mobile_nets_initialise_as_torchvision(name):
    # one shared routine (_utils.init_mobile_net): fan-out He convs, unit norms, each net's own Linear rule
    cr.manual_seed(0)
    model = getattr(models, name)(num_classes=50)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    (linear,) = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert convs and norms
    assert all(m.bias is None or not m.bias.detach().numpy().any() for m in convs)
    w = convs[0].weight.detach().numpy()
    fan_out = w.shape[0] * w[0, 0].size
    assert abs(w.std() / math.sqrt(2 / fan_out) - 1) < 0.25
    assert all((m.weight.detach().numpy() == 1).all() and not m.bias.detach().numpy().any() for m in norms)
    lw = linear.weight.detach().numpy()
    assert not linear.bias.detach().numpy().any()
    if name == "mobilenet_v2":  # N(0, 0.01)
        assert abs(lw.std() / 0.01 - 1) < 0.1
    else:  # U(-1/sqrt(out_features), 1/sqrt(out_features))
        bound = 1 / math.sqrt(50)
        assert np.abs(lw).max() <= bound and np.abs(lw).max() > 0.95 * bound
