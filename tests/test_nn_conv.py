"""Convolutional modules: PyTorch's parameters, init, state_dict, train/eval behaviour, repr and error messages."""

import math

import numpy as np
import pytest
import torch
from oracle import assert_close

import chainrule as cr
from chainrule import nn


def _pair_of_models(build):
    """The same architecture in both libraries, chainrule's loaded from torch's float64 state_dict."""
    t_model = build(torch.nn).double()
    model = build(nn).to(cr.float64)
    missing_unexpected = model.load_state_dict({k: v.detach().numpy().copy() for k, v in t_model.state_dict().items()})
    assert not missing_unexpected.missing_keys and not missing_unexpected.unexpected_keys
    return model, t_model


def _small_cnn(lib):
    return lib.Sequential(
        lib.Conv2d(3, 8, 3, padding=1, bias=False), lib.BatchNorm2d(8), lib.ReLU6(), lib.MaxPool2d(2),
        lib.Conv2d(8, 8, 3, groups=8, padding=1), lib.GroupNorm(2, 8), lib.Hardswish(),
        lib.Conv2d(8, 16, 1), lib.SiLU(), lib.Dropout2d(0.2), lib.Upsample(scale_factor=2, mode="bilinear"),
        lib.ZeroPad2d((1, 0, 0, 1)), lib.ConvTranspose2d(16, 4, 3, stride=2, padding=1, output_padding=1),
        lib.Hardsigmoid(), lib.AvgPool2d(3, 2, 1), lib.AdaptiveAvgPool2d((2, 2)), lib.Flatten(), lib.Linear(16, 5),
    )


def test_torch_state_dict_loads_unchanged_and_the_model_computes_the_same():
    model, t_model = _pair_of_models(_small_cnn)
    assert list(model.state_dict()) == list(t_model.state_dict())
    x = np.random.default_rng(0).normal(size=(4, 3, 10, 10))
    for train in (True, False):  # batch statistics in training, running statistics in eval
        model.train(train)
        t_model.train(train)
        t_model[9].p = model[9].p = 0.0  # dropout off: same numbers in both libraries
        xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, t_out = model(xc), t_model(xt)
        assert_close(out, t_out)
        (out * out).sum().backward()
        (t_out * t_out).sum().backward()
        assert_close(xc.grad, xt.grad)
        for (name, p), (_, tp) in zip(model.named_parameters(), t_model.named_parameters()):
            assert_close(p.grad, tp.grad, what=name)
            p.grad, tp.grad = None, None
    for name, buf in model.state_dict().items():
        assert_close(cr.tensor(buf), t_model.state_dict()[name], what=name)  # running stats updated alike


def test_chainrule_state_dict_loads_into_torch():
    model = _small_cnn(nn)
    t_model = _small_cnn(torch.nn)
    t_model.load_state_dict({k: torch.from_numpy(np.asarray(v._data if hasattr(v, "_data") else v).copy())
                             for k, v in model.state_dict().items()})


@pytest.mark.parametrize("build", [
    lambda lib: lib.Conv2d(16, 32, 3), lambda lib: lib.Conv2d(16, 32, (3, 5), groups=4),
    lambda lib: lib.Conv1d(6, 4, 7), lambda lib: lib.ConvTranspose2d(16, 8, 4, groups=2),
])
def test_init_range_and_shapes_match_torch(build):
    layer, t_layer = build(nn), build(torch.nn)
    assert layer.weight.shape == tuple(t_layer.weight.shape) and layer.bias.shape == tuple(t_layer.bias.shape)
    fan_in = t_layer.weight[0].numel() if not isinstance(t_layer, torch.nn.ConvTranspose2d) else \
        t_layer.weight.shape[1] * math.prod(t_layer.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    w = layer.weight.detach().numpy()
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound  # U(-bound, bound), as kaiming_uniform(a=sqrt 5)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("build", [
    lambda lib: lib.Conv2d(1, 32, 3), lambda lib: lib.Conv2d(3, 6, (3, 5), stride=2, padding="same" if False else 1,
                                                              dilation=2, groups=3, bias=False),
    lambda lib: lib.Conv2d(3, 6, 3, padding="same", padding_mode="reflect"),
    lambda lib: lib.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1), lambda lib: lib.Conv1d(2, 4, 3),
    lambda lib: lib.MaxPool2d(2), lambda lib: lib.MaxPool2d(3, 2, 1, ceil_mode=True), lambda lib: lib.AvgPool2d(2),
    lambda lib: lib.AdaptiveAvgPool2d((1, 1)), lambda lib: lib.BatchNorm2d(8), lambda lib: lib.GroupNorm(2, 8),
    lambda lib: lib.ReLU6(), lambda lib: lib.Hardswish(), lambda lib: lib.ZeroPad2d(2), lambda lib: lib.Dropout2d(),
    lambda lib: lib.Upsample(scale_factor=2, mode="nearest"),
])
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_torch(mode):
    model, t_model = _pair_of_models(lambda lib: lib.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode))
    x = np.random.default_rng(0).normal(size=(2, 2, 5, 6))
    assert_close(model(cr.tensor(x)), t_model(torch.tensor(x)))


def test_conv_transpose_output_size_argument():
    model, t_model = _pair_of_models(lambda lib: lib.ConvTranspose2d(2, 3, 3, stride=2, padding=1))
    x = np.random.default_rng(0).normal(size=(1, 2, 4, 4))
    assert_close(model(cr.tensor(x), output_size=(8, 8)), t_model(torch.tensor(x), output_size=(8, 8)))


def test_pool_modules_with_indices():
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 7))
    out, idx = nn.MaxPool2d(3, 2, return_indices=True)(cr.tensor(x))
    t_out, t_idx = torch.nn.MaxPool2d(3, 2, return_indices=True)(torch.tensor(x))
    assert_close(out, t_out)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    assert_close(nn.AdaptiveMaxPool2d(2)(cr.tensor(x)), torch.nn.AdaptiveMaxPool2d(2)(torch.tensor(x)))
    assert_close(nn.MaxPool1d(2)(cr.tensor(x[0])), torch.nn.MaxPool1d(2)(torch.tensor(x[0])))
    assert_close(nn.AvgPool1d(3)(cr.tensor(x[0])), torch.nn.AvgPool1d(3)(torch.tensor(x[0])))
    assert_close(nn.AdaptiveAvgPool1d(3)(cr.tensor(x[0])), torch.nn.AdaptiveAvgPool1d(3)(torch.tensor(x[0])))


def test_summary_shows_cnn_shapes_and_parameter_counts():
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    s = nn.summary(model, (1, 1, 28, 28), verbose=False)
    shapes = [r["output_shape"] for r in s.rows]
    assert shapes[0] == [1, 32, 26, 26] and shapes[2] == [1, 32, 13, 13] and shapes[5] == [1, 64, 5, 5]
    assert s.rows[0]["num_params"] == 320 and s.rows[3]["num_params"] == 18496
    assert s.total_params == 225034
    assert "Conv2d" in str(s) and "[1, 64, 5, 5]" in str(s)


# -- error messages -------------------------------------------------------------------------------
def test_flat_mnist_rows_into_conv2d_say_how_to_reshape():
    with pytest.raises(RuntimeError, match=r"Conv2d\(1, 32.*\(64, 784\).*view\(-1, 1, 28, 28\)"):
        nn.Conv2d(1, 32, 3)(cr.zeros(64, 784))


def test_channel_mismatch_names_layer_and_channels():
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8.*expected input with 3 channels.*\(2, 1, 8, 8\)"):
        nn.Conv2d(3, 8, 3)(cr.zeros(2, 1, 8, 8))
    with pytest.raises(RuntimeError, match="permute"):  # channels-last images get a hint
        nn.Conv2d(3, 8, 3)(cr.zeros(2, 8, 8, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(num_features=8\).*\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(8)(cr.zeros(2, 4, 5, 5))


def test_kernel_larger_than_padded_input():
    with pytest.raises(RuntimeError, match=r"kernel 5x5.*larger than the padded input 4x4"):
        nn.Conv2d(1, 2, 5)(cr.zeros(1, 1, 4, 4))
    with pytest.raises(RuntimeError, match="too small"):
        nn.MaxPool2d(3)(cr.zeros(1, 1, 2, 2))


def test_groups_must_divide_channels():
    with pytest.raises(ValueError, match="in_channels=6 must be divisible by groups=4"):
        nn.Conv2d(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="out_channels=6 must be divisible by groups=4"):
        nn.Conv2d(8, 6, 3, groups=4)
    with pytest.raises(RuntimeError, match="groups=3 must divide out_channels=4"):
        cr.nn.functional.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 1, 3, 3), groups=3)
    with pytest.raises(ValueError, match="num_groups=3 must divide num_channels=8"):
        nn.GroupNorm(3, 8)


def test_dtype_mismatch_is_explained():
    with pytest.raises(RuntimeError, match=r"float64.*float32.*should be the same"):
        nn.Conv2d(1, 2, 3)(cr.zeros(1, 1, 5, 5, dtype=cr.float64))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        nn.Conv2d(0, 2, 3)
    with pytest.raises(RuntimeError, match="at most half"):
        nn.MaxPool2d(2, padding=2)(cr.zeros(1, 1, 8, 8))


@pytest.mark.parametrize("build,shape", [
    (lambda lib: lib.Conv2d(2, 3, 4, padding="same", padding_mode="reflect"), (2, 2, 7, 8)),  # even kernel
    (lambda lib: lib.Conv2d(2, 3, (2, 3), padding="same", padding_mode="replicate", dilation=2), (2, 2, 7, 8)),
    (lambda lib: lib.Conv1d(2, 3, 4, padding="same", padding_mode="circular"), (2, 2, 9)),
])
def test_same_padding_with_padding_modes_matches_torch(build, shape):
    model, t_model = _pair_of_models(build)
    x = np.random.default_rng(0).normal(size=shape)
    assert_close(model(cr.tensor(x)), t_model(torch.tensor(x)))


def test_conv1d_and_conv2d_share_one_forward_but_stay_distinct_classes():
    import inspect

    for cls in (nn.Conv1d, nn.Conv2d):
        params = inspect.signature(cls).parameters
        assert "output_padding" not in params and list(params)[:3] == ["in_channels", "out_channels", "kernel_size"]
    assert not issubclass(nn.Conv1d, nn.Conv2d) and not issubclass(nn.Conv2d, nn.Conv1d)
    cr.manual_seed(0)
    c1, c2 = nn.Conv1d(2, 3, 3, padding=1, padding_mode="reflect"), nn.Conv2d(2, 3, 3, padding=1)
    x1, x2 = cr.randn(1, 2, 5, dtype=cr.float64), cr.randn(1, 2, 4, 4, dtype=cr.float64)
    c1, c2 = c1.double(), c2.double()
    for conv, x, fn in ((c1, x1, torch.nn.functional.conv1d), (c2, x2, torch.nn.functional.conv2d)):
        xt = torch.tensor(x.numpy())
        if conv.padding_mode == "reflect":
            xt, pad = torch.nn.functional.pad(xt, (1, 1), mode="reflect"), 0
        else:
            pad = 1
        want = fn(xt, torch.tensor(conv.weight.detach().numpy()), torch.tensor(conv.bias.detach().numpy()), padding=pad)
        np.testing.assert_allclose(conv(x).detach().numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
