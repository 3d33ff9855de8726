"""Pooling, padding, interpolation and the small CNN functions against PyTorch in float64."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op

import chainrule as cr
import chainrule.nn.functional as F


def fn(lib):
    return torch.nn.functional if lib is torch else F


MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),  # the tiled fast path
    ((2, 3, 7, 9), dict(kernel_size=(2, 3))),  # tiled, with rows and columns left over
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 1, 7, 7), dict(kernel_size=(2, 3), stride=(2, 1), dilation=(2, 1))),
    ((2, 2, 6, 7), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((2, 2, 5, 5), dict(kernel_size=2, ceil_mode=True, padding=1)),
    ((3, 6, 6), dict(kernel_size=2)),  # unbatched
]


@pytest.mark.parametrize("xs,kw", MAX2D)
def test_max_pool2d_matches_torch(xs, kw):
    check_op([xs], lambda x, lib: fn(lib).max_pool2d(x, **kw))


@pytest.mark.parametrize("xs,kw", MAX2D)
def test_max_pool2d_indices_match_torch(xs, kw):
    x = np.random.default_rng(1).normal(size=xs)
    _, idx = F.max_pool2d(cr.tensor(x), return_indices=True, **kw)
    _, t_idx = torch.nn.functional.max_pool2d(torch.from_numpy(x), return_indices=True, **kw)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


def test_max_pool_ties_send_gradient_to_first_maximum_as_torch():
    x = np.zeros((1, 1, 4, 4))  # after a ReLU whole windows are 0: a tie in every window
    check_op([cr.tensor(x, requires_grad=True)], lambda x, lib: fn(lib).max_pool2d(x, 2))
    check_op([cr.tensor(x, requires_grad=True)], lambda x, lib: fn(lib).max_pool2d(x, 3, 1, 1))


def _nan_input(dtype):
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6)).astype(dtype)
    x[0, 0, 0, 1] = x[1, 2, 3, 3] = x[0, 1, 2, 2] = np.nan  # a NaN first, last and alone in its window
    x[1, 1, 0, 0] = x[1, 1, 1, 1] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make,kernel", [
    (lambda dt: np.random.default_rng(0).standard_normal((3, 4, 8, 6)).astype(dt), 2),
    (lambda dt: np.random.default_rng(0).standard_normal((3, 4, 9, 7)).astype(dt), 2),  # rows left over
    (lambda dt: np.random.default_rng(0).integers(-2, 3, (3, 4, 9, 7)).astype(dt), 3),  # ties
    (lambda dt: np.ascontiguousarray(np.random.default_rng(0).standard_normal((3, 9, 9, 5)).astype(dt))
     .transpose(0, 3, 1, 2), (3, 2)),  # channels-last memory, as after a conv
    (_nan_input, 2),
])
def test_compiled_tiled_max_pool_equals_the_numpy_form(make, kernel, dtype, monkeypatch):
    from chainrule.ops import pool

    if pool.kernels() is None:
        pytest.skip("numba kernels unavailable")
    x_np = make(dtype)
    results = []
    for compiled in (True, False):
        monkeypatch.setattr(pool.kernels, "loaded", pool.kernels() if compiled else False)
        x = cr.tensor(x_np, requires_grad=True)
        out, idx = F.max_pool2d(x, kernel, return_indices=True)
        out.backward(cr.tensor(np.random.default_rng(1).standard_normal(out.shape).astype(dtype)))
        results.append((out.detach().numpy(), idx.numpy(), x.grad.numpy()))
    for compiled, numpy_form in zip(*results):
        np.testing.assert_array_equal(compiled, numpy_form)  # bit for bit, NaN where NaN



@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True),
                                dict(kernel_size=2, dilation=2)])
def test_max_pool1d_matches_torch(kw):
    check_op([(2, 3, 11)], lambda x, lib: fn(lib).max_pool1d(x, **kw))


@pytest.mark.parametrize("xs,kw", [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 2, 6, 7), dict(kernel_size=3, stride=2, ceil_mode=True, padding=1)),
    ((2, 2, 6, 7), dict(kernel_size=3, stride=2, ceil_mode=True, padding=1, count_include_pad=False)),
    ((1, 2, 5, 5), dict(kernel_size=(2, 3), stride=(1, 2), divisor_override=5)),
])
def test_avg_pool2d_matches_torch(xs, kw):
    check_op([xs], lambda x, lib: fn(lib).avg_pool2d(x, **kw))


def test_avg_pool1d_matches_torch():
    check_op([(2, 3, 11)], lambda x, lib: fn(lib).avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))


@pytest.mark.parametrize("xs,out", [((2, 3, 7, 9), (3, 4)), ((2, 3, 6, 6), 1), ((1, 2, 5, 5), (7, None))])
def test_adaptive_pools_2d_match_torch(xs, out):
    check_op([xs], lambda x, lib: fn(lib).adaptive_avg_pool2d(x, out))
    check_op([xs], lambda x, lib: fn(lib).adaptive_max_pool2d(x, out, return_indices=True))


def test_adaptive_pools_1d_match_torch():
    check_op([(2, 3, 10)], lambda x, lib: fn(lib).adaptive_avg_pool1d(x, 4))
    check_op([(2, 3, 10)], lambda x, lib: fn(lib).adaptive_max_pool1d(x, 3))


@pytest.mark.parametrize("pad,mode", [((1, 2), "constant"), ((1, 0, 2, 3), "constant"), ((-1, 2, 0, -2), "constant"),
                                      ((2, 1, 1, 3), "reflect"), ((2, 1, 3, 0), "replicate"),
                                      ((1, 2, 2, 1), "circular")])
def test_pad_matches_torch(pad, mode):
    check_op([(2, 3, 5, 6)], lambda x, lib: fn(lib).pad(x, pad, mode=mode))


def test_pad_constant_value():
    check_op([(2, 3, 4)], lambda x, lib: fn(lib).pad(x, (1, 1), value=2.5))


@pytest.mark.parametrize("kw", [
    dict(scale_factor=2), dict(size=(5, 11)), dict(scale_factor=(1.5, 0.6)),
    dict(scale_factor=2, mode="bilinear"), dict(size=(9, 4), mode="bilinear"),
    dict(size=(9, 13), mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
])
def test_interpolate_2d_matches_torch(kw):
    check_op([(2, 3, 6, 7)], lambda x, lib: fn(lib).interpolate(x, **kw))


@pytest.mark.parametrize("kw", [dict(scale_factor=3), dict(size=4, mode="linear"),
                                dict(size=9, mode="linear", align_corners=True)])
def test_interpolate_1d_matches_torch(kw):
    check_op([(2, 3, 7)], lambda x, lib: fn(lib).interpolate(x, **kw))


def test_hard_activations_match_torch():
    grid = np.linspace(-5, 5, 37)  # avoids the kinks at +-3
    check_op([cr.tensor(grid, requires_grad=True)], lambda x, lib: fn(lib).hardswish(x))
    check_op([cr.tensor(grid, requires_grad=True)], lambda x, lib: fn(lib).hardsigmoid(x))
    check_op([(3, 4)], lambda x, lib: fn(lib).silu(x))
    check_op([cr.tensor(np.linspace(-2, 8, 23), requires_grad=True)], lambda x, lib: fn(lib).relu6(x))


def test_group_norm_matches_torch():
    check_op([(2, 6, 3, 4), (6,), (6,)], lambda x, w, b, lib: fn(lib).group_norm(x, 3, w, b))
    check_op([(2, 4, 5)], lambda x, lib: fn(lib).group_norm(x, 2))


def test_batch_norm_4d_matches_torch():
    rm, rv = np.zeros(3), np.ones(3)
    check_op([(4, 3, 5, 5), (3,), (3,)], lambda x, w, b, lib: fn(lib).batch_norm(
        x, (cr if lib is cr else torch).tensor(rm.copy()), (cr if lib is cr else torch).tensor(rv.copy()), w, b,
        training=True))


def test_dropout2d_drops_whole_channels():
    cr.manual_seed(0)
    y = F.dropout2d(cr.ones(8, 16, 5, 5), p=0.5)
    per_channel = y.numpy().reshape(8, 16, 25)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # a channel is all kept or all dropped
    assert 0 < (per_channel[:, :, 0] == 0).mean() < 1
    assert F.dropout2d(cr.ones(2, 3, 4, 4), training=False).numpy().min() == 1


def test_pool_and_resample_finite_differences():
    check_finite_differences([(1, 2, 5, 5)], lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True))
    check_finite_differences([(1, 2, 5, 5)], lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
    check_finite_differences([(1, 2, 4, 5)], lambda x: F.interpolate(x, size=(7, 3), mode="bilinear"))
    check_finite_differences([(1, 2, 4, 5)], lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"))
    check_finite_differences([(2, 4, 3)], lambda x: F.group_norm(x, 2))
