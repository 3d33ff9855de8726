"""Sequential runs Linear + ReLU as one fused node (ops.matmul.LinearRelu): the same bits as the two layers."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.ops import matmul


def _run(model, x, fuse, upstream=None):
    """Output, input gradient and parameter gradients of ``model`` on ``x`` with fusion on or off."""
    for p in model.parameters():
        p.grad = None
    nn.Sequential.fuse_linear_relu = fuse
    try:
        xt = cr.tensor(x, requires_grad=True)
        out = model(xt)
        g = np.ones(out.shape, out.numpy().dtype) if upstream is None else upstream
        out.backward(cr.tensor(g))
    finally:
        nn.Sequential.fuse_linear_relu = True
    return [out.detach().numpy().copy(), xt.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


def _model(dtype, n_in=20, hidden=48, n_out=7):
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, n_out)).to(dtype)


def _assert_same(a, b):
    for u, v in zip(a, b):
        assert u.dtype == v.dtype
        np.testing.assert_array_equal(u, v)
        assert np.array_equal(np.signbit(u), np.signbit(v))  # -0.0 and 0.0 alike


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 16, 47, 200])  # below out_features (compiled path) and above it
@pytest.mark.parametrize("jit", [True, False])
def test_fused_matches_the_two_layers_bit_for_bit(monkeypatch, dtype, batch, jit):
    if not jit:
        monkeypatch.setattr(matmul, "_kernels", lambda: None)  # the NumPy form of the fused node
    rng = np.random.default_rng(batch)
    x = rng.normal(size=(batch, 20)).astype(dtype)
    model = _model(dtype)
    upstream = rng.normal(size=(batch, 7)).astype(dtype)
    _assert_same(_run(model, x, True, upstream), _run(model, x, False, upstream))


@pytest.mark.parametrize("batch", [2, 12])  # below out_features (the transposed product) and above it
@pytest.mark.parametrize("jit", [True, False])
def test_nan_inf_and_signed_zeros_follow_numpy(monkeypatch, jit, batch):
    if not jit:
        monkeypatch.setattr(matmul, "_kernels", lambda: None)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU())
    with cr.no_grad():
        model[0].weight.copy_(cr.zeros(8, 3))
        model[0].bias.copy_(cr.tensor([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 2.0]))
    x = np.ones((batch, 3), np.float32)
    upstream = np.array([[np.inf, -1.0, -2.0, np.nan, 3.0, -4.0, np.inf, -0.0]] * batch, np.float32)
    fused, plain = _run(model, x, True, upstream), _run(model, x, False, upstream)
    _assert_same(fused, plain)
    assert np.isnan(fused[0][0, 4]) and fused[0][0, 5] == np.inf and fused[0][0, 6] == 0


@pytest.mark.parametrize("batch, kernel", [(4, "bias_relu_transposed"), (64, "bias_relu")])
def test_the_compiled_path_is_taken_and_the_graph_has_one_node_per_pair(monkeypatch, batch, kernel):
    k = matmul._kernels()
    if k is None:
        pytest.skip("numba not installed")
    calls = []
    real = getattr(k, kernel)
    monkeypatch.setattr(k, kernel, lambda *a: calls.append(kernel) or real(*a))
    model = _model(np.float32)
    out = model(cr.randn(batch, 20))
    assert calls == [kernel, kernel]  # both Linear+ReLU pairs (hidden 48: batch 4 below it, 64 above)
    assert out.grad_fn.name() == "LinearBackward"
    names = [f[0].name() for f in out.grad_fn.next_functions if f[0] is not None]
    assert names == ["LinearReluBackward"]


def test_hooks_and_subclasses_keep_the_separate_layers():
    model = _model(np.float32)
    seen = []
    model[1].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    out = model(cr.randn(4, 20))
    assert seen == [(4, 48)]  # the ReLU ran as a module: its hook saw its output
    assert out.grad_fn.next_functions[0][0].name() == "LinearReluBackward"  # the second pair still fused

    class Doubling(nn.Linear):
        def forward(self, input):
            return super().forward(input) * 2

    cr.manual_seed(0)
    sub = nn.Sequential(Doubling(3, 4), nn.ReLU())
    x = cr.randn(2, 3)
    np.testing.assert_array_equal(sub(x).detach().numpy(), np.maximum(sub[0](x).detach().numpy(), 0))


def test_fused_layer_explains_a_shape_error():
    with pytest.raises(Exception, match=r"Linear\(in_features=20\) got input of shape \(4, 21\)"):
        _model(np.float32)(cr.randn(4, 21))


@pytest.mark.parametrize("batch", [4, 100])  # the product's transposed branch and the plain one
def test_float16_takes_the_numpy_form_both_ways(batch):
    """numba has no float16: a half-precision Sequential trains through the readable form (it raised
    NotImplementedError in backward once), with the same bits as the two layers."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 20)).astype(np.float16)
    model = _model(np.float16)
    upstream = rng.normal(size=(batch, 7)).astype(np.float16)
    _assert_same(_run(model, x, True, upstream), _run(model, x, False, upstream))
