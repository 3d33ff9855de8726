"""In-place math, splitting, rotation, order statistics, covariance and the small torch.* helpers
(issue 20), against PyTorch."""

import numpy as np
import pytest
import torch
from oracle import check_op, to_torch

import chainrule as cr

DIFFERENTIABLE = [
    ([(3, 4), (3, 4)], lambda a, b, lib: lib.fmod(a, b.abs() + 0.5) + lib.remainder(a, 0.7)),
    ([(3, 4), (3, 4)], lambda a, b, lib: lib.hypot(a, b) + lib.xlogy(a, b.abs() + 0.1)),
    ([(3, 4)], lambda a, lib: lib.logit(a.sigmoid()) + lib.logit(a.sigmoid(), eps=0.2)),
    ([(3, 4)], lambda a, lib: lib.float_power(a.abs(), 2.5)),
    ([(3, 4)], lambda a, lib: lib.ravel(a) * 2 + lib.take(a, lib.tensor([0, 5, 11]).repeat(4)).sum()),
    ([(3, 4)], lambda a, lib: lib.repeat_interleave(a, 2, dim=1) + 0),
    ([(3, 4)], lambda a, lib: a.repeat_interleave(lib.tensor([1, 0, 2]), dim=0)),
    ([(5, 4)], lambda a, lib: lib.cat(lib.tensor_split(a, 3), 0) + lib.cat(lib.tensor_split(a, [1, 3], dim=1), 1)),
    ([(6, 4)], lambda a, lib: lib.vsplit(a, 3)[1].sum(0) + lib.hsplit(a, 2)[0].sum()),
    ([(3, 4)], lambda a, lib: lib.rot90(a).sum(0) + lib.rot90(a, 2).sum(1).sum() + lib.rot90(a, -1, [0, 1]).sum()),
    ([(3, 5)], lambda a, lib: lib.kthvalue(a, 2).values + a.kthvalue(1, dim=0, keepdim=True)[0].sum()),
    ([(3, 5)], lambda a, lib: lib.aminmax(a).min + lib.aminmax(a, dim=1).max.sum()),
    ([(3, 3)], lambda a, lib: lib.matrix_power(a, 3) + lib.matrix_power(a, 0)),
    ([(3, 5)], lambda a, lib: lib.cov(a) + lib.corrcoef(a)),
    ([(4,), (4,)], lambda a, b, lib: lib.dist(a, b) + lib.dist(a, b, p=1) + lib.vdot(a, b)),
    ([(3, 4)], lambda a, lib: lib.nan_to_num(a / (a > 0).to(a.dtype))),
]


@pytest.mark.parametrize("shapes,fn", DIFFERENTIABLE)
def test_matches_torch(shapes, fn):
    check_op(shapes, fn)


def test_logdet_slogdet():
    a = cr.tensor(np.eye(3) * 2 + np.random.default_rng(0).uniform(-0.3, 0.3, (3, 3)), requires_grad=True)
    check_op([a], lambda x, lib: lib.logdet(x) + lib.slogdet(x).logabsdet * 2)


INPLACE = ["abs_", "exp_", "sqrt_", "sigmoid_", "tanh_", "relu_", "neg_", "square_", "floor_", "ceil_", "round_",
           "trunc_", "reciprocal_", "sin_", "cos_", "log1p_", "expm1_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_math_matches_torch(name):
    x = cr.tensor(np.random.default_rng(1).uniform(0.2, 2, size=(3, 4)))
    t = to_torch(x)
    out = getattr(x, name)()
    assert out is x
    getattr(t, name)()
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)
    w = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):  # a leaf that requires grad, as in PyTorch
        getattr(w, name)()


def test_inplace_with_arguments():
    for lib in (torch, cr):
        x = lib.ones(3, 3, dtype=lib.float64)
        x.pow_(2).lerp_(lib.zeros(3, 3, dtype=lib.float64), 0.25).addcmul_(x, x, value=2).fill_diagonal_(7.0)
        x.addcdiv_(x, x + 1).log_()
        if lib is torch:
            expected = x.numpy()
        else:
            np.testing.assert_allclose(x.numpy(), expected)


@pytest.mark.parametrize("fn", [
    lambda lib: (lib.eq(lib.ones(2), 1), lib.ne(lib.ones(2), 1), lib.greater(lib.ones(2), 0),
                 lib.less_equal(lib.ones(2), 0)),
    lambda lib: lib.signbit(lib.tensor([-0.0, 1.0, -2.0])),
    lambda lib: lib.floor_divide(lib.tensor([5, -5]), 2),
    lambda lib: lib.tril_indices(3, 4, 1),
    lambda lib: lib.triu_indices(4, 3, -1),
    lambda lib: lib.cartesian_prod(lib.tensor([1, 2]), lib.tensor([3, 4, 5])),
    lambda lib: lib.block_diag(lib.ones(2, 2), lib.tensor([[5.0, 6.0, 7.0]])),
    lambda lib: lib.atleast_3d(lib.ones(2, 3)),
    lambda lib: lib.row_stack([lib.ones(3), lib.zeros(3)]),
    lambda lib: lib.scalar_tensor(3),
    lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]).swapdims(0, 1),
    lambda lib: lib.split_with_sizes(lib.arange(5), [2, 3])[1],
])
def test_results_match_torch(fn):
    c, t = fn(cr), fn(torch)
    cs, ts = (c, t) if isinstance(t, tuple) else ((c,), (t,))
    for ci, ti in zip(cs, ts):
        np.testing.assert_array_equal(ci.numpy(), ti.numpy())
        assert str(ci.dtype) == str(ti.dtype).removeprefix("torch.")


def test_dtype_helpers_and_switches():
    for a, b in [(cr.int64, cr.float32), (cr.uint8, cr.int8), (cr.bool, cr.int32), (cr.float32, cr.float64)]:
        ta, tb = (getattr(torch, str(d)) for d in (a, b))
        assert str(cr.promote_types(a, b)) == str(torch.promote_types(ta, tb)).removeprefix("torch.")
        assert cr.can_cast(a, b) == torch.can_cast(ta, tb)
    assert cr.result_type(cr.ones(2, dtype=cr.int64), 2.5) == cr.float32
    assert cr.result_type(cr.ones(2), cr.ones(2, dtype=cr.float64)) == cr.float64
    assert cr.typename(cr.ones(2)) == torch.typename(torch.ones(2))
    assert cr.randint_like(cr.ones(2, 3), 0, 5).shape == (2, 3) and cr.is_same_size(cr.ones(2), cr.zeros(2))
    cr.set_num_interop_threads(1)
    cr.set_float32_matmul_precision("high")
    assert cr.get_float32_matmul_precision() == "high"
    cr.set_float32_matmul_precision("highest")
    cr.set_default_tensor_type(cr.DoubleTensor)
    assert cr.tensor([1.0]).dtype == cr.float64
    cr.set_default_tensor_type("torch.FloatTensor")
    assert cr.tensor([1.0]).dtype == cr.float32
    cr.set_anomaly_enabled(True)
    assert cr.is_anomaly_enabled()
    cr.set_anomaly_enabled(False)
    assert not cr.is_anomaly_enabled()


SCATTER_INDEX = np.array([[0, 2], [1, 1], [3, 0]])


@pytest.mark.parametrize("fn", [
    lambda a, s, lib: a.scatter(1, lib.tensor(SCATTER_INDEX[:, :1]), s[:, :1] * 1),
    lambda a, s, lib: lib.scatter_add(a, 1, lib.tensor(SCATTER_INDEX), s),
    lambda a, s, lib: lib.index_add(a, 1, lib.tensor([0, 3]), s, alpha=2.0),
    lambda a, s, lib: a.index_add(0, lib.tensor([2, 0, 2]), s[:, :1].expand(3, 4) * 1),
])
def test_scatters_match_torch(fn):
    check_op([(3, 4), (3, 2)], fn)


def test_scatter_value_and_inplace_index_add():
    for lib in (torch, cr):
        x = lib.zeros(3, 4, dtype=lib.float64)
        y = x.scatter(0, lib.tensor([[1, 2, 0, 1]]), value=5.0)
        x.index_add_(1, lib.tensor([0, 0]), lib.ones(3, 2, dtype=lib.float64))
        if lib is torch:
            ty, tx = y.numpy(), x.numpy()
        else:
            np.testing.assert_array_equal(y.numpy(), ty)
            np.testing.assert_array_equal(x.numpy(), tx)
