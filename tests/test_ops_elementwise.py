"""Elementwise ops and activations against PyTorch (float64 and float32) and central differences.

Each row of a table is (name, fn, positive): ``fn`` runs unchanged on chainrule and on torch
(``lib`` is the module, ``F`` the namespace holding gelu/silu/...); ``positive`` asks for inputs in
[0.1, 2) where the op needs them (log, sqrt, division, non-integer powers).
"""

import numpy as np
import pytest
from oracle import check_finite_differences, check_float32, check_op, functional

import chainrule as cr


def _ids(table):
    return [row[0] for row in table]


# -- binary arithmetic, tensor with tensor ----------------------------------------------------------
BINARY = [
    ("add", lambda a, b: a + b, False),
    ("sub", lambda a, b: a - b, False),
    ("mul", lambda a, b: a * b, False),
    ("div", lambda a, b: a / b, True),
    ("pow", lambda a, b: a**b, True),
    ("maximum", lambda a, b, lib: lib.maximum(a, b), False),
    ("minimum", lambda a, b, lib: lib.minimum(a, b), False),
    ("method_add", lambda a, b: a.add(b), False),
    ("method_mul", lambda a, b: a.mul(b), False),
    ("method_sub", lambda a, b: a.sub(b), False),
    ("method_div", lambda a, b: a.div(b), True),
    ("method_pow", lambda a, b: a.pow(b), True),
]

# broadcasting, size-1 dims, 0-d tensors and empty tensors
BROADCAST_SHAPES = [
    [(3, 4), (3, 4)],
    [(3, 4), (4,)],
    [(4,), (3, 4)],
    [(3, 1), (1, 4)],
    [(2, 1, 4), (3, 1)],
    [(), (3,)],
    [(2, 3), ()],
    [(1,), (1, 1)],
    [(0, 4), (4,)],
    [(1,), (0,)],
    [(2, 0, 3), (1, 3)],
]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name, fn, positive", BINARY, ids=_ids(BINARY))
def test_binary_matches_torch(name, fn, positive, shapes):
    check_op(shapes, fn, positive=positive)


@pytest.mark.parametrize("name, fn, positive", BINARY, ids=_ids(BINARY))
def test_binary_finite_differences(name, fn, positive):
    check_finite_differences([(2, 3), (3,)], fn, positive=positive)


@pytest.mark.parametrize("name, fn, positive", BINARY, ids=_ids(BINARY))
def test_binary_float32(name, fn, positive):
    check_float32([(3, 4), (4,)], fn, positive=positive)


def test_same_tensor_on_both_sides():
    check_op([(3, 4)], lambda a: a * a + a / (a.abs() + 1) - a)


# -- a Python number on either side -----------------------------------------------------------------
SCALAR = [
    ("add_right", lambda a: a + 2.5, False),
    ("add_left", lambda a: 2.5 + a, False),
    ("sub_right", lambda a: a - 3, False),
    ("sub_left", lambda a: 3 - a, False),
    ("mul_right", lambda a: a * 2, False),
    ("mul_left", lambda a: -1.5 * a, False),
    ("div_right", lambda a: a / 4, False),
    ("div_left", lambda a: 2 / a, True),
    ("pow_int", lambda a: a**3, False),
    ("pow_two", lambda a: a**2, False),
    ("pow_half", lambda a: a**0.5, True),
    ("pow_negative", lambda a: a**-1.5, True),
    ("pow_zero", lambda a: a**0, False),
    ("pow_one", lambda a: a**1, False),
    ("rpow", lambda a: 2**a, False),
    ("rpow_float", lambda a: 0.5**a, False),
    ("neg", lambda a: -a, False),
    ("pos", lambda a: +a * 1.0, False),
]


@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)], ids=str)
@pytest.mark.parametrize("name, fn, positive", SCALAR, ids=_ids(SCALAR))
def test_scalar_operand_matches_torch(name, fn, positive, shape):
    check_op([shape], fn, positive=positive)


@pytest.mark.parametrize("name, fn, positive", SCALAR, ids=_ids(SCALAR))
def test_scalar_operand_finite_differences(name, fn, positive):
    check_finite_differences([(2, 3)], fn, positive=positive)


@pytest.mark.parametrize("name, fn, positive", SCALAR, ids=_ids(SCALAR))
def test_scalar_operand_keeps_float32(name, fn, positive):
    # a Python number never promotes a float32 tensor, forward or backward
    check_float32([(3, 4)], fn, positive=positive)


def test_pow_at_zero_base_matches_torch():
    # x**0 has gradient 0 at x == 0; x**2 has 0 too; d(b**x)/dx at b == 0 is 0 (torch's convention)
    x = cr.tensor([0.0, 1.0, -2.0], dtype=cr.float64, requires_grad=True)
    check_op([x], lambda a: a**0 + a**2 + a**1)
    base = cr.tensor([0.0, 0.0, 0.0, 2.0, 3.0, -2.0], dtype=cr.float64, requires_grad=True)
    e = cr.tensor([1.0, 0.0, 2.0, 0.0, 2.0, 2.0], dtype=cr.float64, requires_grad=True)
    check_op([base, e], lambda a, b: a**b)  # 0 ** 0: both gradients 0; (-2) ** 2: d/db is nan


def test_clamp_with_tensor_bounds_matches_torch():
    x = cr.tensor([-1.0, 0.5, 2.0, 0.0, 0.3], dtype=cr.float64, requires_grad=True)
    lo = cr.tensor([0.0, 0.0, 0.0, 0.0, 0.5], dtype=cr.float64, requires_grad=True)
    hi = cr.tensor([1.0, 1.0, 1.0, 0.0, 0.4], dtype=cr.float64, requires_grad=True)
    check_op([x, lo, hi], lambda a, b, c: a.clamp(b, c))
    check_op([(3, 4), (4,)], lambda a, b: a.clamp(min=b))
    check_op([(3, 4), (3, 1)], lambda a, b, lib: lib.clamp(a, max=b))


# -- unary math and activations ---------------------------------------------------------------------
UNARY = [
    ("exp", lambda a, lib: lib.exp(a), False),
    ("log", lambda a, lib: lib.log(a), True),
    ("log1p", lambda a, lib: lib.log1p(a), True),
    ("sqrt", lambda a, lib: lib.sqrt(a), True),
    ("abs", lambda a, lib: lib.abs(a), False),
    ("abs_builtin", lambda a: abs(a), False),
    ("sin", lambda a, lib: lib.sin(a), False),
    ("cos", lambda a, lib: lib.cos(a), False),
    ("square", lambda a: a.square(), False),
    ("clamp_min", lambda a: a.clamp(min=-0.5), False),
    ("clamp_max", lambda a: a.clamp(max=0.7), False),
    ("clamp_both", lambda a, lib: lib.clamp(a, -0.5, 0.7), False),
    ("clip", lambda a: a.clip(-1, 1), False),
    ("relu", lambda a, lib: lib.relu(a), False),
    ("relu_method", lambda a: a.relu(), False),
    ("leaky_relu", lambda a, lib: functional(lib).leaky_relu(a), False),
    ("leaky_relu_0.2", lambda a, lib: functional(lib).leaky_relu(a, negative_slope=0.2), False),
    ("elu", lambda a, lib: functional(lib).elu(a), False),
    ("elu_alpha", lambda a, lib: functional(lib).elu(a, alpha=0.5), False),
    ("gelu", lambda a, lib: functional(lib).gelu(a), False),
    ("gelu_tanh", lambda a, lib: functional(lib).gelu(a, approximate="tanh"), False),
    ("silu", lambda a, lib: functional(lib).silu(a), False),
    ("sigmoid", lambda a, lib: lib.sigmoid(a), False),
    ("sigmoid_method", lambda a: a.sigmoid(), False),
    ("tanh", lambda a, lib: lib.tanh(a), False),
    ("tanh_method", lambda a: a.tanh(), False),
    ("softplus", lambda a, lib: functional(lib).softplus(a), False),
    ("softplus_beta", lambda a, lib: functional(lib).softplus(a, beta=2.0), False),
    ("softplus_threshold", lambda a, lib: functional(lib).softplus(a, beta=2.0, threshold=1.0), False),
]


@pytest.mark.parametrize("shape", [(3, 4), (), (2, 1, 3), (0, 3)], ids=str)
@pytest.mark.parametrize("name, fn, positive", UNARY, ids=_ids(UNARY))
def test_unary_matches_torch(name, fn, positive, shape):
    check_op([shape], fn, positive=positive)


@pytest.mark.parametrize("name, fn, positive", UNARY, ids=_ids(UNARY))
def test_unary_finite_differences(name, fn, positive):
    check_finite_differences([(2, 3)], fn, positive=positive)


@pytest.mark.parametrize("name, fn, positive", UNARY, ids=_ids(UNARY))
def test_unary_float32(name, fn, positive):
    check_float32([(3, 4)], fn, positive=positive)


KINKS = cr.tensor([-2.0, -0.5, 0.0, 0.5, 0.7, 1.0, 3.0], dtype=cr.float64)


@pytest.mark.parametrize(
    "name, fn",
    [
        ("relu", lambda a, lib: lib.relu(a)),
        ("abs", lambda a, lib: lib.abs(a)),
        ("leaky_relu", lambda a, lib: functional(lib).leaky_relu(a, 0.1)),
        ("elu", lambda a, lib: functional(lib).elu(a)),
        ("clamp_at_bounds", lambda a: a.clamp(-0.5, 0.7)),
        ("clamp_min_at_bound", lambda a: a.clamp(min=0.0)),
        ("clamp_max_at_bound", lambda a: a.clamp(max=1.0)),
        ("softplus_at_threshold", lambda a, lib: functional(lib).softplus(a, beta=2.0, threshold=1.0)),
    ],
)
def test_gradient_at_kinks_matches_torch(name, fn):
    # the derivative at a kink is a convention (relu'(0) = 0, clamp passes its bounds): follow torch's
    check_op([KINKS.detach().requires_grad_()], fn)


def test_clamp_requires_a_bound():
    with pytest.raises(RuntimeError, match="min"):
        cr.ones(3).clamp()


def test_maximum_minimum_split_ties_like_torch():
    a = cr.tensor([1.0, 2.0, 3.0, -1.0], dtype=cr.float64, requires_grad=True)
    b = cr.tensor([1.0, 0.0, 3.0, -1.0], dtype=cr.float64, requires_grad=True)
    check_op([a, b], lambda x, y, lib: lib.maximum(x, y))
    a.grad = b.grad = None
    check_op([a, b], lambda x, y, lib: lib.minimum(x, y))
    a.grad = b.grad = None
    out = cr.maximum(a, b)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0, 0.5, 0.5])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0, 0.5, 0.5])


def test_maximum_with_itself_gets_full_gradient():
    check_op([(3,)], lambda a, lib: lib.maximum(a, a))


# -- where ------------------------------------------------------------------------------------------
WHERE = [
    ("same_shape", [(3, 4), (3, 4)], lambda a, b, lib: lib.where(a > 0, a, b)),
    ("broadcast", [(3, 1), (4,)], lambda a, b, lib: lib.where(b > 0, a, b)),
    ("cond_broadcast", [(3, 4), (3, 4)], lambda a, b, lib: lib.where(a[:1] > 0, a, b)),
    ("scalar_other", [(3, 4)], lambda a, lib: lib.where(a > 0, a, 0.0)),
    ("scalar_input", [(3, 4)], lambda a, lib: lib.where(a > 0, 1.5, a)),
    ("masked_fill", [(3, 4)], lambda a: a.masked_fill(a < 0, 2.0)),
    ("empty", [(0, 4), (4,)], lambda a, b, lib: lib.where(a > 0, a, b)),
]


@pytest.mark.parametrize("name, shapes, fn", WHERE, ids=_ids(WHERE))
def test_where_matches_torch(name, shapes, fn):
    check_op(shapes, fn)
    if all(np.prod(s) for s in shapes):
        check_finite_differences(shapes, fn)
        check_float32(shapes, fn)


def test_where_of_numbers_has_torch_dtypes():
    cond = cr.tensor([True, False])
    assert cr.where(cond, 1.0, 0.0).dtype == cr.float32
    assert cr.where(cond, 1, 0).dtype == cr.int64
    np.testing.assert_array_equal(cr.where(cond, 1, 0).numpy(), [1, 0])


# -- numerics at the extremes -----------------------------------------------------------------------
EXTREMES = [-1e4, -100.0, -80.0, -30.0, -20.0, -10.0, -1e-3, 0.0, 1e-3, 10.0, 20.0, 30.0, 80.0, 100.0, 1e4]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "name, fn",
    [
        ("sigmoid", lambda a, lib: lib.sigmoid(a)),
        ("tanh", lambda a, lib: lib.tanh(a)),
        ("silu", lambda a, lib: functional(lib).silu(a)),
        ("softplus", lambda a, lib: functional(lib).softplus(a)),
        ("gelu", lambda a, lib: functional(lib).gelu(a)),
        ("gelu_tanh", lambda a, lib: functional(lib).gelu(a, approximate="tanh")),
        ("elu", lambda a, lib: functional(lib).elu(a)),
        ("log_sigmoid_through_sigmoid", lambda a, lib: lib.log(lib.sigmoid(a[2:-2]))),
    ],
)
def test_activations_at_extreme_inputs_match_torch(name, fn, dtype):
    # tails matter: sigmoid(-20) is 2e-9, not 0, and log(sigmoid(x)) must stay finite where torch's does
    x = cr.tensor(np.array(EXTREMES, dtype=dtype), requires_grad=True)
    tol = dict(rtol=1e-5, atol=1e-20) if dtype == "float32" else dict(rtol=1e-7, atol=1e-300)
    out = check_op([x], fn, **tol)
    assert np.all(np.isfinite(out.detach().numpy()))
    assert np.all(np.isfinite(x.grad.numpy()))


def test_sigmoid_tail_keeps_relative_precision():
    x = np.array([-700.0, -100.0, -40.0, -20.0])
    exact = np.exp(x) / (1 + np.exp(x))
    np.testing.assert_allclose(cr.sigmoid(cr.tensor(x)).numpy(), exact, rtol=1e-12)
    np.testing.assert_allclose(cr.sigmoid(cr.tensor(x[2:], dtype=cr.float32)).numpy(), exact[2:], rtol=1e-6)
    assert cr.sigmoid(cr.tensor(-80.0)).item() > 0  # float32: 1.8e-35 is representable


# -- integer inputs ---------------------------------------------------------------------------------
INT_UNARY = [
    ("exp", lambda a, lib: lib.exp(a)),
    ("sqrt", lambda a, lib: lib.sqrt(a)),
    ("sigmoid", lambda a, lib: lib.sigmoid(a)),
    ("tanh", lambda a, lib: lib.tanh(a)),
    ("abs", lambda a, lib: lib.abs(a)),
    ("relu", lambda a, lib: lib.relu(a)),
    ("neg", lambda a: -a),
    ("clamp", lambda a: a.clamp(0, 2)),
    ("square", lambda a: a * a),
]


@pytest.mark.parametrize("name, fn", INT_UNARY, ids=_ids(INT_UNARY))
def test_integer_inputs_give_torch_values_and_dtypes(name, fn):
    data = [[0, 1, 2], [3, 4, 5]]
    out = check_op([cr.tensor(data)], fn, rtol=1e-6, grad=False)  # compares dtypes too
    assert not out.requires_grad


def test_float32_normal_cdf_is_accurate_to_about_one_ulp_including_the_left_tail():
    import math

    from chainrule.ops.activation import normal_cdf

    x = np.linspace(-12, 12, 20001).astype(np.float32)
    exact = np.array([0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    got = normal_cdf(x)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - exact) / exact) < 2.5e-7  # float32 rounding (6e-8) plus the fit's 1.1e-7


def test_float32_gelu_matches_torch_over_a_wide_range():
    import torch

    x = np.linspace(-15, 15, 4001).astype(np.float32)
    ours_x = cr.tensor(x, requires_grad=True)
    ours = cr.nn.functional.gelu(ours_x)
    ours.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    theirs = torch.nn.functional.gelu(tx)
    theirs.sum().backward()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(ours_x.grad.numpy(), tx.grad.numpy(), rtol=2e-6, atol=1e-6)
    assert ours.dtype == cr.float32
