"""L1 / L2 penalties (nn.regularization): values and gradients against torch compositions, finite
differences, the Keras-style objects and their relation to SGD's weight_decay."""

import numpy as np
import pytest
import torch
from oracle import assert_close, check_finite_differences, check_op

import chainrule as cr
from chainrule import nn
from chainrule.nn import regularization as R


def _torch_l1(params, w):
    return w * sum(p.abs().sum() for p in params)


def _torch_l2(params, w):
    return w * sum((p * p).sum() for p in params)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_penalties_match_torch(kind):
    def fn(a, b, c, lib):
        if lib is torch:
            return (_torch_l1 if kind == "l1" else _torch_l2)([a, b, c], 0.3)
        return (R.l1_penalty if kind == "l1" else R.l2_penalty)([a, b, c], 0.3)

    check_op([(4, 3), (3,), ()], fn)
    check_finite_differences([(3, 2), (2,), ()], fn)


@pytest.mark.parametrize("reg,expected", [
    (R.L1(0.1), lambda p: 0.1 * sum(x.abs().sum() for x in p)),
    (R.L2(0.1), lambda p: 0.1 * sum((x * x).sum() for x in p)),
    (R.L1L2(l1=0.2, l2=0.05), lambda p: 0.2 * sum(x.abs().sum() for x in p) + 0.05 * sum((x * x).sum() for x in p)),
    (R.L1L2(l2=0.05), lambda p: 0.05 * sum((x * x).sum() for x in p)),
    (R.L1L2(l1=0.2), lambda p: 0.2 * sum(x.abs().sum() for x in p)),
])
def test_keras_style_regularizers_match_torch(reg, expected):
    check_op([(4, 3), (3,)], lambda a, b, lib: reg([a, b]) if lib is cr else expected([a, b]))


def test_keras_defaults_aliases_and_repr():
    assert R.L1().l1 == 0.01 and R.L2().l2 == 0.01
    assert (R.L1L2().l1, R.L1L2().l2) == (0.0, 0.0)
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.l1_l2 is R.L1L2
    assert repr(R.L2(0.5)) == "L2(l2=0.5)"
    # a single tensor works as well as a list, as keras applies a regularizer to one weight
    assert R.L2(0.5)(cr.tensor([1.0, 2.0])).item() == pytest.approx(2.5)
    assert R.L1(0.5)(cr.tensor([1.0, -2.0])).item() == pytest.approx(1.5)


def test_accepts_model_parameters_generator_and_empty_list():
    lin = nn.Module()
    lin.weight = nn.Parameter(cr.tensor([[1.0, -2.0]]))
    lin.bias = nn.Parameter(cr.tensor([3.0]))
    penalty = R.l2_penalty(lin.parameters(), 0.5)
    assert penalty.item() == pytest.approx(0.5 * 14)
    penalty.backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), [[1.0, -2.0]])
    np.testing.assert_allclose(lin.bias.grad.numpy(), [3.0])
    zero = R.l1_penalty([])
    assert zero.item() == 0.0 and zero.dtype == cr.float32


def test_float32_and_one_graph_node():
    ps = [cr.randn(5, 4, requires_grad=True), cr.randn(4, requires_grad=True)]
    for penalty in (R.l1_penalty(ps, 0.1), R.l2_penalty(ps, 0.1)):
        assert penalty.dtype == cr.float32
        assert len(penalty.grad_fn.next_functions) == 2  # one node covering both parameters
        penalty.backward()
        assert all(p.grad.dtype == cr.float32 for p in ps)


def test_l1_gradient_at_zero_is_zero_as_torch():
    check_op([cr.tensor([0.0, 1.5, -2.0], dtype=cr.float64, requires_grad=True)],
             lambda p, lib: R.l1_penalty([p], 2.0) if lib is cr else _torch_l1([p], 2.0))


def test_bad_inputs():
    with pytest.raises(ValueError, match="l2 must be a non-negative number, got l2=-0.1"):
        R.L2(-0.1)
    with pytest.raises(ValueError, match="l1"):
        R.L1L2(l1=float("nan"))
    with pytest.raises(TypeError, match="iterable of tensors.*list"):
        R.l2_penalty([[1.0, 2.0]])


def test_l2_penalty_equals_sgd_weight_decay_for_plain_sgd():
    # gradient of lam * |w|^2 is 2 lam w: one SGD step with the penalty equals weight_decay = 2 lam
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    w0 = rng.normal(size=(3, 1))
    lam, lr = 0.05, 0.1
    w = cr.tensor(w0, requires_grad=True)
    loss = nn.MSELoss()(cr.tensor(x) @ w, cr.tensor(y)) + R.l2_penalty([w], lam)
    loss.backward()
    ours = w0 - lr * w.grad.numpy()
    tw = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.SGD([tw], lr=lr, weight_decay=2 * lam)
    torch.nn.MSELoss()(torch.tensor(x) @ tw, torch.tensor(y)).backward()
    opt.step()
    assert_close(ours, tw.detach())
