"""nn.init against torch.nn.init: exact gains and fans, sampling statistics, in-place semantics."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
              ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
              ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)),
              ("selu", None)]


@pytest.mark.parametrize("name,param", GAIN_CASES)
def test_calculate_gain_equals_torch_exactly(name, param):
    assert nn.init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 5), (4, 3, 2, 2), (6, 2, 7)])
def test_fan_in_and_fan_out_equal_torch(shape):
    assert nn.init._calculate_fan_in_and_fan_out(cr.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(cr.empty(5))


SHAPE = (300, 500)  # fan_in 500, fan_out 300


@pytest.mark.parametrize("fn,kwargs,std,bound", [
    ("xavier_uniform_", {}, math.sqrt(2 / 800), math.sqrt(6 / 800)),
    ("xavier_uniform_", {"gain": 2.0}, 2 * math.sqrt(2 / 800), 2 * math.sqrt(6 / 800)),
    ("xavier_normal_", {}, math.sqrt(2 / 800), None),
    ("kaiming_uniform_", {}, math.sqrt(2 / (1 + 0.0)) / math.sqrt(500), math.sqrt(6 / 500)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, math.sqrt(1 / 3) / math.sqrt(500), 1 / math.sqrt(500)),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 300), math.sqrt(6 / 300)),
    ("kaiming_normal_", {"nonlinearity": "relu"}, math.sqrt(2 / 500), None),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}, 5 / 3 / math.sqrt(300), None),
    ("uniform_", {"a": -1.0, "b": 1.0}, 1 / math.sqrt(3), 1.0),
    ("normal_", {"mean": 0.0, "std": 0.3}, 0.3, None),
    ("trunc_normal_", {"std": 1.0, "a": -2.0, "b": 2.0}, 0.8796, 2.0),
])
def test_init_statistics_match_theory_and_torch(fn, kwargs, std, bound):
    w = cr.empty(*SHAPE)
    out = getattr(nn.init, fn)(w, **kwargs)
    assert out is w and w.dtype == cr.float32
    data = w.numpy()
    t = getattr(torch.nn.init, fn)(torch.empty(*SHAPE), **kwargs).numpy()
    assert abs(data.mean()) < 0.05 * std
    assert data.std() == pytest.approx(std, rel=0.02)
    assert data.std() == pytest.approx(t.std(), rel=0.03)
    if bound is not None:
        assert np.abs(data).max() <= bound
        assert np.abs(data).max() > 0.98 * bound


def test_constant_ones_zeros_eye():
    w = cr.empty(3, 4)
    assert nn.init.constant_(w, 0.5) is w and (w.numpy() == 0.5).all()
    nn.init.ones_(w)
    assert (w.numpy() == 1).all()
    nn.init.zeros_(w)
    assert (w.numpy() == 0).all()
    nn.init.eye_(w)
    np.testing.assert_array_equal(w.numpy(), torch.nn.init.eye_(torch.empty(3, 4)).numpy())


def test_orthogonal():
    w = nn.init.orthogonal_(cr.empty(4, 6), gain=2.0)
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, 4 * np.eye(4), atol=1e-5)


def test_init_works_in_place_on_parameters_without_recording():
    layer = nn.Linear(5, 3)
    data = layer.weight._data
    out = nn.init.xavier_normal_(layer.weight)
    assert out is layer.weight and layer.weight._data is data
    assert out.is_leaf and out.grad_fn is None and out.requires_grad


def test_generator_makes_init_reproducible():
    a = nn.init.kaiming_uniform_(cr.empty(4, 4), generator=cr.Generator().manual_seed(7))
    b = nn.init.kaiming_uniform_(cr.empty(4, 4), generator=cr.Generator().manual_seed(7))
    c = nn.init.kaiming_uniform_(cr.empty(4, 4), generator=cr.Generator().manual_seed(8))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    cr.manual_seed(1)
    x = nn.Linear(3, 3).weight.detach().numpy()
    cr.manual_seed(1)
    np.testing.assert_array_equal(nn.Linear(3, 3).weight.detach().numpy(), x)


def test_invalid_mode():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_normal_(cr.empty(3, 3), mode="fan_avg")


def test_linear_default_init_matches_torch():
    layer, t_layer = nn.Linear(500, 400), torch.nn.Linear(500, 400)
    bound = 1 / math.sqrt(500)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert w.std() == pytest.approx(t_layer.weight.detach().numpy().std(), rel=0.03)
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)


def test_other_layer_default_inits():
    emb = nn.Embedding(1000, 100)
    w = emb.weight.detach().numpy()
    assert w.mean() == pytest.approx(0, abs=0.01) and w.std() == pytest.approx(1, rel=0.02)
    bn, ln = nn.BatchNorm1d(4), nn.LayerNorm(4)
    for m in (bn, ln):
        assert (m.weight.detach().numpy() == 1).all() and (m.bias.detach().numpy() == 0).all()
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4))
