"""Convolution ops against PyTorch in float64 (values and gradients) and by finite differences."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_float32, check_op

import chainrule as cr
import chainrule.nn.functional as F


def fn(lib):
    return torch.nn.functional if lib is torch else F


CONV2D = [
    # x shape, weight shape, bias?, kwargs
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ((1, 1, 5, 5), (2, 1, 3, 3), False, dict(stride=2, padding=1)),
    ((2, 3, 9, 8), (5, 3, 3, 2), True, dict(stride=(2, 3), padding=(1, 2))),
    ((2, 4, 9, 8), (6, 2, 3, 3), True, dict(stride=(2, 1), padding=2, dilation=(2, 1), groups=2)),
    ((2, 4, 6, 7), (4, 1, 3, 3), True, dict(padding=1, groups=4)),  # depthwise
    ((2, 4, 6, 7), (8, 1, 3, 3), True, dict(padding=1, stride=2, groups=4)),  # depthwise, multiplier 2
    ((1, 3, 9, 8), (3, 1, 3, 2), False, dict(padding=(2, 1), stride=(2, 1), dilation=(2, 3), groups=3)),
    ((2, 3, 6, 7), (4, 3, 2, 4), True, dict(padding="same", dilation=2)),  # asymmetric 'same'
    ((2, 3, 6, 7), (4, 3, 3, 3), True, dict(padding="valid")),
    ((2, 3, 6, 7), (5, 3, 1, 1), True, {}),  # 1x1
    ((2, 2, 5, 5), (3, 2, 5, 5), True, {}),  # kernel == input: 1x1 output
    ((3, 5, 5), (2, 3, 3, 3), True, dict(padding=1)),  # unbatched
    ((1, 1, 1, 1), (1, 1, 1, 1), True, {}),
    ((2, 1, 7, 6), (3, 1, 3, 2), True, dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1))),  # grey, bias in GEMM
]


@pytest.mark.parametrize("xs,ws,bias,kw", CONV2D)
def test_conv2d_matches_torch(xs, ws, bias, kw):
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    check_op(shapes, lambda *a, lib: fn(lib).conv2d(*a, **kw))


@pytest.mark.parametrize("xs,ws,bias,kw", [
    ((2, 3, 11), (4, 3, 3), True, dict(stride=2, padding=2, dilation=2)),
    ((2, 4, 9), (4, 2, 4), False, dict(padding="same", groups=2)),
    ((3, 10), (2, 3, 5), True, {}),
])
def test_conv1d_matches_torch(xs, ws, bias, kw):
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    check_op(shapes, lambda *a, lib: fn(lib).conv1d(*a, **kw))


@pytest.mark.parametrize("xs,ws,bias,kw", [
    ((2, 3, 5, 4), (3, 2, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 3), (4, 3, 2, 3), True, dict(stride=(2, 3), padding=(0, 1), groups=2, dilation=(1, 2))),
    ((2, 2, 4, 4), (2, 2, 3, 3), False, {}),
    ((2, 4, 7, 7), (4, 2, 2, 2), True, dict(stride=2)),
    ((4, 3, 3), (4, 1, 3, 3), True, dict(stride=2, output_padding=(1, 0))),  # unbatched
])
def test_conv_transpose2d_matches_torch(xs, ws, bias, kw):
    shapes = [xs, ws] + ([(ws[1] * kw.get("groups", 1),)] if bias else [])
    check_op(shapes, lambda *a, lib: fn(lib).conv_transpose2d(*a, **kw))


def test_conv_transpose1d_matches_torch():
    check_op([(2, 3, 11), (3, 2, 3), (2,)],
             lambda x, w, b, lib: fn(lib).conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1))


@pytest.mark.parametrize("kw", [
    dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
    dict(kernel_size=3),
    dict(kernel_size=1, stride=2),
])
def test_unfold_matches_torch(kw):
    check_op([(2, 3, 7, 6)], lambda x, lib: fn(lib).unfold(x, **kw))


def test_fold_matches_torch_and_is_unfolds_adjoint():
    check_op([(2, 12, 18)], lambda x, lib: fn(lib).fold(x, (5, 6), (2, 3), padding=1, stride=(2, 1)))
    rng = np.random.default_rng(0)
    x, c = rng.normal(size=(1, 2, 6, 5)), rng.normal(size=(1, 2 * 4, 20))
    ux = F.unfold(cr.tensor(x), 2)._data
    fc = F.fold(cr.tensor(c), (6, 5), 2)._data
    assert np.isclose((ux * c).sum(), (x * fc).sum())  # <unfold x, c> == <x, fold c>


def test_conv_finite_differences():
    check_finite_differences([(1, 4, 5, 5), (4, 2, 3, 3), (4,)],
                             lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2))
    check_finite_differences([(1, 3, 5, 5), (3, 1, 3, 3), (3,)],
                             lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=3))  # depthwise
    check_finite_differences([(1, 2, 3, 3), (2, 3, 3, 3), (3,)],
                             lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, output_padding=1))
    check_finite_differences([(1, 2, 4, 4)], lambda x: F.unfold(x, 2, padding=1))
    check_finite_differences([(2, 1, 6, 5), (3, 1, 3, 2), (3,)],  # one channel: the bias rides in the GEMMs
                             lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)))
    check_finite_differences([(1, 3, 6, 5), (2, 3, 2, 3), (2,)],  # dx one GEMM per tap, strided windows
                             lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(1, 0), dilation=(2, 1)))


FAST_PATHS = [  # groups == 1 convs that take ops/conv.py's fast paths
    ((4, 1, 28, 28), (32, 1, 3, 3), True, {}),  # the reference CNN's first layer: bias in the GEMMs
    ((4, 1, 28, 28), (32, 1, 3, 3), False, {}),
    ((4, 32, 13, 13), (64, 32, 3, 3), True, {}),  # its second layer: dx one GEMM per tap
    ((2, 3, 9, 8), (5, 3, 3, 2), True, dict(stride=(2, 3), padding=(1, 2))),
    ((2, 3, 9, 8), (5, 3, 3, 2), False, dict(stride=(2, 1), padding=2, dilation=(2, 1))),
    ((2, 1, 9, 8), (5, 1, 3, 2), True, dict(stride=(2, 1), padding=2, dilation=(2, 3))),
    ((2, 6, 5, 5), (4, 6, 1, 1), True, {}),
]


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("xs,ws,bias,kw", FAST_PATHS)
def test_conv2d_fast_paths_match_the_general_form(xs, ws, bias, kw, dtype, rtol, monkeypatch):
    from chainrule.ops.conv import Conv2d

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in [xs, ws] + ([(ws[0],)] if bias else [])]
    results = []
    for fast in (True, False):
        monkeypatch.setattr(Conv2d, "fast", fast)
        inputs = [cr.tensor(a, requires_grad=True) for a in arrays]
        out = F.conv2d(*inputs, **kw)
        assert out.grad_fn.plain is fast  # the two forms really ran
        out.backward(cr.tensor(np.random.default_rng(1).standard_normal(out.shape).astype(dtype)))
        assert out.dtype == inputs[0].dtype and all(t.grad.dtype == t.dtype for t in inputs)
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in inputs])
    for fast, general in zip(*results):
        np.testing.assert_allclose(fast, general, rtol=rtol, atol=rtol * np.abs(general).max())


def test_conv2d_float32_stays_float32_and_matches():
    out = check_float32([(2, 3, 8, 8), (4, 3, 3, 3), (4,)], lambda x, w, b, lib: fn(lib).conv2d(x, w, b, padding=1))
    assert out.dtype == cr.float32


def test_conv_output_feeds_next_conv_and_view():
    # the output is an NCHW view of channels-last memory: later ops must still see NCHW values
    check_op([(2, 3, 8, 8), (4, 3, 3, 3), (5, 4, 3, 3)],
             lambda x, w1, w2, lib: fn(lib).conv2d(fn(lib).conv2d(x, w1).relu(), w2).reshape(2, -1))


def test_weight_only_and_input_only_gradients():
    x = cr.randn(2, 3, 6, 6, dtype=cr.float64)
    w = cr.randn(4, 3, 3, 3, dtype=cr.float64, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3)


def test_convs_let_the_thread_governor_follow_the_load(monkeypatch):
    from chainrule.ops import conv

    calls = []
    monkeypatch.setattr(conv, "poll_threads", lambda: calls.append(1))
    x = cr.randn(1, 2, 5, 5)
    F.conv2d(x, cr.randn(3, 2, 3, 3))
    F.conv2d(x, cr.randn(2, 1, 3, 3), groups=2)
    F.conv_transpose2d(x, cr.randn(2, 3, 3, 3))
    assert len(calls) == 3  # each GEMM-running forward checks the machine's load first (threads.py)
