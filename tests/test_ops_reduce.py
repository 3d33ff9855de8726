"""Reductions (sum, mean, max/min, var/std, logsumexp) and softmax / log_softmax against PyTorch."""

import numpy as np
import pytest
import torch
from oracle import call, check_finite_differences, check_float32, check_op

import chainrule as cr

# (name, shapes, fn): every row runs on chainrule and torch; dims may be ints, tuples or negative
REDUCE = [
    ("sum_all", [(3, 4)], lambda a: a.sum()),
    ("sum_dim0", [(3, 4)], lambda a: a.sum(0)),
    ("sum_dim_neg", [(2, 3, 4)], lambda a: a.sum(dim=-1)),
    ("sum_tuple", [(2, 3, 4)], lambda a: a.sum(dim=(0, 2))),
    ("sum_tuple_neg", [(2, 3, 4)], lambda a: a.sum(dim=(-1, -3), keepdim=True)),
    ("sum_keepdim", [(3, 4)], lambda a: a.sum(1, keepdim=True)),
    ("sum_axis_alias", [(3, 4)], lambda a: a.sum(axis=1)),
    ("sum_0d", [()], lambda a: a.sum()),
    ("sum_0d_dim", [()], lambda a: a.sum(0)),
    ("sum_size1", [(3, 1)], lambda a: a.sum(1)),
    ("sum_empty_all", [(0, 3)], lambda a: a.sum()),
    ("sum_empty_dim", [(0, 3)], lambda a: a.sum(0)),
    ("sum_empty_keep", [(2, 0)], lambda a: a.sum(1, keepdim=True)),
    ("sum_function", [(3, 4)], lambda a, lib: lib.sum(a, dim=0)),
    ("mean_all", [(3, 4)], lambda a: a.mean()),
    ("mean_dim", [(3, 4)], lambda a: a.mean(dim=0)),
    ("mean_tuple", [(2, 3, 4)], lambda a: a.mean((1, 2))),
    ("mean_keepdim", [(2, 3, 4)], lambda a: a.mean(-2, keepdim=True)),
    ("mean_axis_alias", [(3, 4)], lambda a: a.mean(axis=-1)),
    ("mean_function", [(3, 4)], lambda a, lib: lib.mean(a, 1)),
    ("mean_empty_dim", [(2, 0)], lambda a: a.mean(0)),
    ("max_all", [(3, 4)], lambda a: a.max()),
    ("min_all", [(3, 4)], lambda a: a.min()),
    ("max_dim", [(3, 4)], lambda a: a.max(dim=1)),
    ("max_dim_keepdim", [(2, 3, 4)], lambda a: a.max(0, keepdim=True)),
    ("max_dim_neg", [(2, 3, 4)], lambda a: a.max(-2)),
    ("max_axis_alias", [(3, 4)], lambda a: a.max(axis=0)),
    ("max_dim_values", [(3, 4)], lambda a: a.max(1).values * 2),
    ("min_dim", [(3, 4)], lambda a: a.min(dim=0)),
    ("min_dim_keepdim", [(3, 4)], lambda a: a.min(1, keepdim=True)),
    ("max_function", [(3, 4)], lambda a, lib: lib.max(a, dim=1)),
    ("min_function", [(3, 4)], lambda a, lib: lib.min(a)),
    ("max_binary", [(3, 4), (4,)], lambda a, b, lib: lib.max(a, b)),
    ("min_binary", [(3, 4), (3, 1)], lambda a, b, lib: lib.min(a, b)),
    ("max_0d", [()], lambda a: a.max()),
    ("max_0d_dim", [()], lambda a: a.max(0)),
    ("max_empty_other_dim", [(0, 3)], lambda a: a.max(1)),
    ("amax", [(3, 4)], lambda a: a.amax(1)),
    ("amin", [(3, 4)], lambda a: a.amin(0, keepdim=True)),
    ("amax_tuple", [(2, 3, 4)], lambda a: a.amax((0, -1))),
    ("amax_all", [(2, 3)], lambda a: a.amax()),
    ("var_all", [(3, 4)], lambda a: a.var()),
    ("var_dim", [(3, 4)], lambda a: a.var(1)),
    ("var_tuple", [(2, 3, 4)], lambda a: a.var(dim=(0, -1))),
    ("var_keepdim", [(3, 4)], lambda a: a.var(0, keepdim=True)),
    ("var_biased", [(3, 4)], lambda a: a.var(1, unbiased=False)),
    ("var_biased_positional", [(3, 4)], lambda a: a.var(1, False)),
    ("var_biased_all", [(3, 4)], lambda a: a.var(unbiased=False)),
    ("var_unbiased_as_only_argument", [(3, 4)], lambda a: a.var(False)),
    ("std_unbiased_as_only_argument", [(3, 4)], lambda a: a.std(True)),
    ("var_correction0", [(3, 4)], lambda a: a.var(dim=1, correction=0)),
    ("var_correction2", [(3, 5)], lambda a: a.var(dim=1, correction=2)),
    ("var_axis_alias", [(3, 4)], lambda a: a.var(axis=1)),
    ("var_function", [(3, 4)], lambda a, lib: lib.var(a, 0)),
    ("std_all", [(3, 4)], lambda a: a.std()),
    ("std_dim", [(3, 4)], lambda a: a.std(0)),
    ("std_biased", [(3, 4)], lambda a: a.std(dim=1, unbiased=False, keepdim=True)),
    ("std_correction0", [(2, 3, 4)], lambda a: a.std(dim=(1, 2), correction=0)),
    ("std_function", [(3, 4)], lambda a, lib: lib.std(a, dim=-1)),
    ("logsumexp", [(3, 4)], lambda a: a.logsumexp(1)),
    ("logsumexp_dim0", [(3, 4)], lambda a: a.logsumexp(dim=0)),
    ("logsumexp_tuple", [(2, 3, 4)], lambda a: a.logsumexp(dim=(0, 2))),
    ("logsumexp_keepdim", [(2, 3, 4)], lambda a: a.logsumexp(-1, keepdim=True)),
    ("logsumexp_function", [(3, 4)], lambda a, lib: lib.logsumexp(a, dim=1)),
    ("logsumexp_empty", [(0, 3)], lambda a: a.logsumexp(1)),
    ("softmax", [(3, 4)], lambda a: a.softmax(dim=1)),
    ("softmax_dim0", [(3, 4)], lambda a: a.softmax(0)),
    ("softmax_neg", [(2, 3, 4)], lambda a: a.softmax(dim=-2)),
    ("softmax_function", [(3, 4)], lambda a, lib: lib.softmax(a, dim=-1)),
    ("softmax_1d", [(5,)], lambda a: a.softmax(0)),
    ("softmax_size1", [(3, 1)], lambda a: a.softmax(1)),
    ("softmax_empty", [(0, 4)], lambda a: a.softmax(1)),
    ("log_softmax", [(3, 4)], lambda a: a.log_softmax(dim=1)),
    ("log_softmax_dim0", [(3, 4)], lambda a: a.log_softmax(0)),
    ("log_softmax_function", [(2, 3, 4)], lambda a, lib: lib.log_softmax(a, dim=1)),
    ("log_softmax_empty", [(0, 4)], lambda a: a.log_softmax(-1)),
    ("softmax_of_product", [(3, 4)], lambda a: (a.softmax(1) * a).sum(1)),
]
NONEMPTY = [row for row in REDUCE if all(np.prod(s) for s in row[1]) and "0d" not in row[0]]


@pytest.mark.parametrize("name, shapes, fn", REDUCE, ids=[r[0] for r in REDUCE])
def test_reduction_matches_torch(name, shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("name, shapes, fn", NONEMPTY, ids=[r[0] for r in NONEMPTY])
def test_reduction_finite_differences(name, shapes, fn):
    # max/min return (values, indices): only the values are differentiated
    check_finite_differences(shapes, lambda *xs, lib: _values(call(fn, xs, lib)))


@pytest.mark.parametrize("name, shapes, fn", NONEMPTY, ids=[r[0] for r in NONEMPTY])
def test_reduction_keeps_float32(name, shapes, fn):
    check_float32(shapes, fn)


def _values(out):
    return out[0] if isinstance(out, tuple) else out


def test_max_and_min_with_dim_return_values_and_indices():
    x = cr.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == cr.int64
    out = x.min(0)
    assert out.values.tolist() == [1.0, 0.0, 2.0] and out.indices.tolist() == [0, 1, 0]


TIES = cr.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5], [3.0, -1.0, 3.0]], dtype=cr.float64)


@pytest.mark.parametrize(
    "name, fn",
    [
        ("max_all", lambda a: a.max()),
        ("min_all", lambda a: a.min()),
        ("max_dim", lambda a: a.max(dim=1)),
        ("max_dim0", lambda a: a.max(dim=0)),
        ("min_dim", lambda a: a.min(dim=1, keepdim=True)),
        ("amax", lambda a: a.amax(1)),
        ("amax_all", lambda a, lib: lib.amax(a)),
        ("amin_tuple", lambda a: a.amin((0, 1), keepdim=True)),
        ("amin_dim0", lambda a, lib: lib.amin(a, 0)),
    ],
)
def test_ties_follow_torch(name, fn):
    # without dim, tied maxima share the gradient evenly; with dim, the gradient goes to the index returned
    check_op([TIES.detach().requires_grad_()], fn)


def test_tied_max_shares_gradient_evenly():
    x = cr.tensor([1.0, 4.0, 4.0, 4.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3, 0], rtol=1e-6)
    assert x.grad.dtype == cr.float32


def test_var_std_of_float32_values():
    x = cr.tensor([1.0, 2.0, 4.0])
    assert x.var().dtype == cr.float32
    assert x.var().item() == pytest.approx(7 / 3)
    assert x.var(unbiased=False).item() == pytest.approx(14 / 9)
    assert x.std(correction=0).item() == pytest.approx((14 / 9) ** 0.5)


def test_reduction_errors():
    x = cr.ones(2, 3)
    with pytest.raises(IndexError, match="range"):
        x.sum(2)
    with pytest.raises(IndexError):
        x.mean(dim=-3)
    with pytest.raises(RuntimeError):
        cr.zeros(0, 3).max()
    with pytest.raises(IndexError):
        cr.zeros(0, 3).max(0)
    with pytest.raises(RuntimeError, match="float"):
        cr.tensor([1, 2]).mean()


def test_integer_sums_accumulate_in_int64():
    for data, dtype in [([True, True, False], cr.bool), ([100, 100], cr.int8), ([1, 2], cr.int32)]:
        check_op([cr.tensor(data, dtype=dtype)], lambda a: a.sum(), grad=False)


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
@pytest.mark.parametrize("scale", [1.0, 1e4, -1e4, 1e30])
@pytest.mark.parametrize(
    "name, fn",
    [
        ("softmax", lambda a: a.softmax(dim=1)),
        ("log_softmax", lambda a: a.log_softmax(dim=1)),
        ("logsumexp", lambda a: a.logsumexp(1)),
        ("softmax_column", lambda a: a.softmax(dim=1)[:, 0]),
    ],
)
def test_softmax_family_is_stable_for_large_logits(name, fn, dtype, scale):
    # logits of any size: finite values and gradients, and the same numbers as torch
    base = np.array([[1.0, 0.5, -0.25], [0.0, 0.0, 0.0], [2.0, -3.0, 0.125]])
    x = cr.tensor(base * scale, dtype=dtype, requires_grad=True)
    out = fn(x)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(out.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))
    x.grad = None
    check_op([x], fn, rtol=1e-5 if dtype == cr.float32 else 1e-7, atol=1e-5 if dtype == cr.float32 else 1e-9)


def test_softmax_rows_sum_to_one_and_log_softmax_matches_log():
    x = cr.randn(4, 7, dtype=cr.float64, generator=cr.Generator(3))
    np.testing.assert_allclose(x.softmax(-1).sum(-1).numpy(), np.ones(4), rtol=1e-12)
    np.testing.assert_allclose(x.log_softmax(1).numpy(), np.log(x.softmax(1).numpy()), rtol=1e-12)


def test_logsumexp_of_minus_infinity_rows():
    x = cr.tensor([[-np.inf, -np.inf], [0.0, -np.inf]], dtype=cr.float64)
    assert_out = torch.tensor([[-np.inf, -np.inf], [0.0, -np.inf]], dtype=torch.float64).logsumexp(1)
    np.testing.assert_array_equal(x.logsumexp(1).numpy(), assert_out.numpy())


def test_softmax_needs_a_dim():
    with pytest.raises(TypeError, match="dim"):
        cr.ones(2, 3).softmax()
