"""More of PyTorch's tensor API (issue 20): rounding, trigonometry, scans, sorting, gathering, stacking.
Values and gradients against PyTorch in float64, results of the non-differentiable ones compared directly."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op, to_torch

import chainrule as cr

IDX = np.array([[0, 2, 1], [3, 3, 0]])

DIFFERENTIABLE = [
    ([(3, 4)], lambda a: a.floor() + a.ceil() + a.round() + a.trunc() + a.frac() * 2),
    ([(3, 4)], lambda a, lib: lib.round(a * 10, decimals=1)),
    ([(3, 4)], lambda a: (a.abs() + 0.5).reciprocal() + (a.abs() + 0.5).rsqrt()),
    ([(3, 4)], lambda a: a.tan() + a.sinh() + a.cosh() + (a / 3).asin() + (a / 3).acos() + a.atan()),
    ([(3, 4), (3, 4)], lambda a, b, lib: lib.atan2(a, b)),
    ([(3, 4)], lambda a, lib: lib.erf(a) + lib.exp2(a)),
    ([(3, 4)], lambda a: a.clamp_min(-0.5) + a.clamp_max(0.5)),
    ([(3, 4), (3, 4)], lambda a, b: a.lerp(b, 0.3) + a.addcmul(b, b, value=0.5) + a.addcdiv(b, b.abs() + 1, value=2)),
    ([(3, 4)], lambda a: a.cumsum(1) + a.cumsum(dim=0)),
    ([(3, 4)], lambda a: a.prod()),
    ([(3, 4)], lambda a: a.prod(1)),
    ([(3, 4)], lambda a: a.prod(0, keepdim=True)),
    ([(3, 4)], lambda a: a.flip(0) + a.flip(0, 1) + a.fliplr() + a.flipud()),
    ([(3, 4)], lambda a: a.roll(1, 0) + a.roll((1, -2), (0, 1)) + a.roll(2)),
    ([(2, 3)], lambda a: a.repeat(2, 3)),
    ([(2, 3)], lambda a: a.repeat(2, 1, 2)),
    ([(2, 3)], lambda a: a.tile((2,))),
    ([(2, 4)], lambda a, lib: a.gather(1, lib.tensor(IDX[:, :3].clip(0, 3)))),
    ([(4, 4)], lambda a, lib: a.gather(0, lib.tensor(IDX))),
    ([(4, 3)], lambda a, lib: a.index_select(0, lib.tensor([2, 0, 2]))),
    ([(3, 4)], lambda a: a.masked_select(a > 0)),
    ([(3, 5)], lambda a: a.sort(1).values + a.sort(0, descending=True)[0]),
    ([(3, 5)], lambda a: a.topk(2).values.sum(1) + a.topk(3, dim=1, largest=False)[0].sum(1)),
    ([(4, 4)], lambda a: a.tril() + a.triu(1) + a.tril(-1)),
    ([(4, 4)], lambda a: a.diag() * 2 + a.diag(1).sum() + a.trace()),
    ([(3,)], lambda a: a.diag() + a.diag(1)[1:, :-1] + a.diag(-1)[:-1, 1:]),
    ([(2, 3, 4)], lambda a: a.movedim(0, -1) + a.moveaxis(2, 0).permute(2, 0, 1) + a.movedim((0, 1), (2, 0))),
    ([(3, 4)], lambda a: a.unbind(1)[2] + a.unbind(0)[1].sum()),
    ([(3, 4)], lambda a, lib: lib.hstack([a, a]).sum(0) + lib.vstack([a, a]).sum(1).sum()),
    ([(3,), (4,)], lambda a, b, lib: lib.meshgrid(a, b, indexing="ij")[0] * lib.meshgrid(a, b, indexing="ij")[1]),
    ([(3,), (4,)], lambda a, b, lib: lib.meshgrid(a, b, indexing="xy")[0] + lib.meshgrid(a, b, indexing="xy")[1]),
    ([(3, 1), (4,)], lambda a, b, lib: lib.broadcast_tensors(a, b)[0] * lib.broadcast_to(b, (3, 4))),
    ([(3, 4)], lambda a, lib: lib.diff(a) + lib.diff(a, dim=0).sum()),
    ([(3, 4)], lambda a, lib: lib.cumprod(a, 1)),
]


@pytest.mark.parametrize("shapes,fn", DIFFERENTIABLE)
def test_values_and_gradients_match_torch(shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("shapes,fn", [DIFFERENTIABLE[i] for i in (3, 8, 10, 13, 14, 17, 21, 24, 33)])
def test_gradients_match_finite_differences(shapes, fn):
    check_finite_differences(shapes, fn)


def test_prod_gradient_with_zeros():
    check_op([cr.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0]], dtype=cr.float64, requires_grad=True)], lambda a: a.prod(1))
    check_op([cr.tensor([[0.0, 2.0, 3.0], [1.0, 5.0, 4.0]], dtype=cr.float64, requires_grad=True)], lambda a: a.prod())


def _same(c, t):
    if isinstance(t, (tuple, list)):
        assert len(c) == len(t)
        for ci, ti in zip(c, t):
            _same(ci, ti)
        return
    if isinstance(t, torch.Tensor):
        np.testing.assert_array_equal(c.numpy(), t.numpy())
        assert str(c.dtype) == str(t.dtype).removeprefix("torch.")
    else:
        assert c == t


NO_GRAD = [
    lambda x, lib: x.sort(1).indices,
    lambda x, lib: x.argsort(dim=0, descending=True),
    lambda x, lib: x.topk(2, dim=0).indices,
    lambda x, lib: (x > 0).nonzero(),
    lambda x, lib: (x > 0).nonzero(as_tuple=True),
    lambda x, lib: lib.argwhere(x > 0),
    lambda x, lib: lib.count_nonzero(x > 0, dim=1),
    lambda x, lib: (x * 2).round().unique(),
    lambda x, lib: (x * 2).round().unique(return_inverse=True, return_counts=True),
    lambda x, lib: lib.isinf(x / 0) & lib.isposinf(x / 0) | lib.isneginf(x / 0),
    lambda x, lib: lib.isclose(x, x + 1e-9),
    lambda x, lib: lib.logical_and(x > 0, x < 1) ^ lib.logical_or(x > 1, x < -1) | lib.logical_not(x > 0),
    lambda x, lib: lib.logical_xor(x > 0, x > 1),
    lambda x, lib: x.clone().masked_fill_(x > 0, 0.0),
    lambda x, lib: lib.zeros(3, 4, dtype=lib.float64).scatter_(1, lib.tensor([[0], [2], [3]]), x),
    lambda x, lib: lib.zeros(3, 4, dtype=lib.float64).scatter_(1, lib.tensor([[0, 0], [2, 1], [3, 3]]), 1.5),
    lambda x, lib: lib.zeros(3, 4, dtype=lib.float64).scatter_add_(1, lib.tensor([[0, 0], [2, 1], [3, 3]]), x),
    lambda x, lib: x.clone().index_fill_(1, lib.tensor([0, 2]), -1.0),
    lambda x, lib: x.clone().apply_(lambda v: v * 2),
    lambda x, lib: lib.broadcast_shapes((3, 1), (1, 4)),
    lambda x, lib: lib.atleast_2d(lib.tensor(1.0)),
    lambda x, lib: lib.dstack([x, x]),
    lambda x, lib: lib.column_stack([x[:, 0], x[:, 1]]),
    lambda x, lib: lib.logspace(0, 3, 4),
    lambda x, lib: lib.trunc(x) + lib.fix(x),
    lambda x, lib: (x.is_contiguous(), x.is_complex(), x.is_signed(), x.ndimension(), x.itemsize, x.nbytes),
    lambda x, lib: (lib.pi, lib.e, lib.inf, lib.finfo(lib.float32).eps, lib.iinfo(lib.int32).max),
    lambda x, lib: x.absolute() + x.multiply(2) - x.divide(2) + x.subtract(1) + x.negative() + x.true_divide(3),
    lambda x, lib: (x.greater(0), x.greater_equal(0), x.less(0), x.less_equal(0), x.not_equal(0)),
]


@pytest.mark.parametrize("fn", NO_GRAD)
def test_results_match_torch(fn):
    x = cr.tensor(np.random.default_rng(0).normal(size=(3, 4)))
    _same(fn(x, cr), fn(to_torch(x), torch))


def test_switches_are_accepted():
    cr.use_deterministic_algorithms(True)
    assert cr.are_deterministic_algorithms_enabled()
    cr.use_deterministic_algorithms(False)
    cr.set_printoptions(precision=4)


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[0.0], [1.0]])),
    lambda lib: lib.ones(2, 3).gather(1, lib.tensor([0, 1])),
    lambda lib: lib.ones(2, 3).repeat(2),
    lambda lib: lib.ones(3).topk(4),
    lambda lib: lib.ones(2, 2, 2).diag(),
    lambda lib: lib.meshgrid(lib.ones(2), lib.ones(3), indexing="zz"),
    lambda lib: lib.broadcast_shapes((2,), (3,)),
])
def test_errors_have_torchs_types(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)):
        call(cr)
