"""CrossEntropy's compiled common case (ops/_loss_numba.py) against its readable NumPy form."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from chainrule.ops import loss as loss_ops

pytestmark = pytest.mark.skipif(loss_ops._kernels() is None, reason="numba not installed")

TOL = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}


def _loss_and_grad(x, y, **kw):
    xt = cr.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, cr.tensor(y), **kw)
    loss.backward(cr.tensor(np.asarray(0.7, x.dtype)))
    return loss.detach().numpy(), xt.grad.numpy()


def _both(monkeypatch, x, y, **kw):
    fast = _loss_and_grad(x, y, **kw)
    with monkeypatch.context() as m:
        m.setattr(loss_ops, "_kernels", lambda: None)
        ref = _loss_and_grad(x, y, **kw)
    return fast, ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, c, scale", [(64, 10, 3.0), (1, 2, 1.0), (7, 1000, 10.0), (33, 5, 300.0)])
def test_fast_case_matches_the_numpy_form_to_rounding(monkeypatch, dtype, n, c, scale):
    rng = np.random.default_rng(n + c)
    x = (rng.normal(size=(n, c)) * scale).astype(dtype)
    y = rng.integers(0, c, n)
    (loss, grad), (loss_ref, grad_ref) = _both(monkeypatch, x, y)
    assert loss.dtype == loss_ref.dtype == dtype and grad.dtype == dtype
    np.testing.assert_allclose(loss, loss_ref, **TOL[dtype])
    np.testing.assert_allclose(grad, grad_ref, **TOL[dtype])


def test_fast_case_matches_float64_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6)) * 4, rng.integers(0, 6, 16)
    loss, grad = _loss_and_grad(x, y)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(y))
    (ref * 0.7).backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-13)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kw", [{"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
                                {"weight": cr.tensor([1.0, 2.0, 0.5])}, {"ignore_index": 1}])
def test_other_cases_keep_the_numpy_form(monkeypatch, kw):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)).astype(np.float32), np.array([0, 1, 2, 1, 0])
    used = []
    k = loss_ops._kernels()
    real = k.cross_entropy_mean
    monkeypatch.setattr(k, "cross_entropy_mean", lambda *a: used.append(1) or real(*a))
    F.cross_entropy(cr.tensor(x), cr.tensor(y), **kw)
    assert not used
    F.cross_entropy(cr.tensor(x), cr.tensor(y))
    assert used == [1]


def test_out_of_range_target_still_explained(monkeypatch):
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(IndexError, match="target class 7 is out of range for input with C=4 classes"):
        F.cross_entropy(cr.tensor(x), cr.tensor([0, 7, 1]))


def test_second_backward_with_retained_graph_gives_the_same_gradient():
    rng = np.random.default_rng(2)
    xt = cr.tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(xt, cr.tensor([0, 2, 1, 1]))
    loss.backward(retain_graph=True)
    first = xt.grad.numpy().copy()
    xt.grad = None
    loss.backward()
    np.testing.assert_array_equal(xt.grad.numpy(), first)
