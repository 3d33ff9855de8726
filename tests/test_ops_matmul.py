"""Matrix products: ``@`` / ``matmul`` in every form torch accepts, and the fused Linear op."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_float32, check_op

import chainrule as cr
from chainrule.ops.matmul import Linear

MATMUL_SHAPES = [
    [(3,), (3,)],  # dot product
    [(2, 3), (3,)],  # matrix-vector
    [(3,), (3, 4)],  # vector-matrix
    [(2, 3), (3, 4)],
    [(1, 3), (3, 1)],
    [(2, 3, 4), (4, 5)],  # batch with a shared matrix
    [(4,), (2, 4, 5)],  # vector against a batch
    [(2, 3, 4), (4,)],
    [(2, 3, 4), (2, 4, 5)],
    [(1, 3, 4), (2, 4, 5)],  # broadcast batch
    [(2, 1, 3, 4), (5, 4, 6)],
    [(3, 4), (2, 2, 4, 5)],
    [(2, 1, 3, 4), (1, 2, 4, 2)],
    [(0, 3), (3, 4)],  # empty
    [(2, 0), (0, 3)],  # empty inner dimension: zeros
    [(2, 3), (3, 0)],
    [(0, 3, 4), (4, 2)],
    [(4, 1), (1, 5)],  # outer products: a broadcast multiply instead of NumPy's slow matmul loop
    [(2, 3, 1), (1, 4)],
    [(2, 1, 3, 1), (5, 1, 2)],
]
IDS = [f"{a}@{b}" for a, b in MATMUL_SHAPES]
NONEMPTY = [s for s in MATMUL_SHAPES if all(np.prod(x) for x in s)]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=IDS)
def test_matmul_operator_matches_torch(shapes):
    check_op(shapes, lambda a, b: a @ b)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=IDS)
def test_matmul_function_and_method_match_torch(shapes):
    check_op(shapes, lambda a, b, lib: lib.matmul(a, b) + a.matmul(b))


@pytest.mark.parametrize("shapes", NONEMPTY, ids=[f"{a}@{b}" for a, b in NONEMPTY])
def test_matmul_finite_differences(shapes):
    check_finite_differences(shapes, lambda a, b: a @ b)


@pytest.mark.parametrize("shapes", NONEMPTY, ids=[f"{a}@{b}" for a, b in NONEMPTY])
def test_matmul_keeps_float32(shapes):
    check_float32(shapes, lambda a, b: a @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2, 3), (4, 5)], [(2, 3, 4), (3, 4, 5)], [(2, 3), (2,)]], ids=str)
def test_incompatible_shapes_raise_like_torch(shapes):
    a, b = (cr.ones(*s) for s in shapes)
    with pytest.raises(RuntimeError):
        torch.ones(*shapes[0]) @ torch.ones(*shapes[1])
    with pytest.raises(RuntimeError, match="matmul"):
        a @ b


def test_matmul_of_0d_raises():
    with pytest.raises(RuntimeError, match="1 dimension"):
        cr.tensor(2.0) @ cr.ones(3)


def test_matmul_of_only_one_input_requiring_grad():
    w = cr.tensor(np.ones((3, 2)), requires_grad=True)
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.repeat(x.numpy().sum(0)[:, None], 2, axis=1))
    assert x.grad is None


def test_matmul_promotes_int_with_float():
    # NOTE: torch refuses int64 @ float32 ("expected m1 and m2 to have the same dtype"); chainrule
    # promotes as for the other binary ops
    out = cr.tensor([[1, 2], [3, 4]]) @ cr.tensor([[0.5], [1.5]])
    assert out.dtype == cr.float32 and out.tolist() == [[3.5], [7.5]]
    assert (cr.tensor([[1, 2]]) @ cr.tensor([[3], [4]])).dtype == cr.int64


def test_rmatmul_with_numpy_array():
    w = cr.tensor(np.ones((3, 2)), requires_grad=True)
    out = np.arange(6.0).reshape(2, 3) @ w
    assert isinstance(out, cr.Tensor) and out.shape == (2, 2) and out.requires_grad


LINEAR = [
    ("2d", [(5, 3), (4, 3), (4,)]),
    ("batched", [(2, 5, 3), (4, 3), (4,)]),
    ("vector", [(3,), (4, 3), (4,)]),
    ("one_output", [(5, 3), (1, 3), (1,)]),
    ("one_input", [(5, 1), (4, 1), (4,)]),  # outer products forward and backward
    ("one_input_short_batch", [(2, 1), (4, 1), (4,)]),
    ("one_sample_one_output", [(1, 3), (1, 3), (1,)]),
    ("short_batch", [(3, 5), (7, 5), (7,)]),  # fewer rows than outputs: the transposed product
    ("empty_batch", [(0, 3), (4, 3), (4,)]),
]


@pytest.mark.parametrize("name, shapes", LINEAR, ids=[r[0] for r in LINEAR])
def test_fused_linear_matches_torch(name, shapes):
    def fn(x, w, b, lib):
        return Linear.apply(x, w, b) if lib is cr else torch.nn.functional.linear(x, w, b)

    check_op(shapes, fn)


@pytest.mark.parametrize("name, shapes", LINEAR, ids=[r[0] for r in LINEAR])
def test_fused_linear_without_bias_matches_torch(name, shapes):
    def fn(x, w, lib):
        return Linear.apply(x, w, None) if lib is cr else torch.nn.functional.linear(x, w)

    check_op(shapes[:2], fn)


def test_fused_linear_finite_differences_and_float32():
    check_finite_differences([(2, 5, 3), (4, 3), (4,)], lambda x, w, b: Linear.apply(x, w, b))
    check_float32([(5, 3), (4, 3), (4,)],
                  lambda x, w, b, lib: Linear.apply(x, w, b) if lib is cr else torch.nn.functional.linear(x, w, b))


def test_fused_linear_equals_the_unfused_expression():
    x, w, b = (cr.randn(*s, dtype=cr.float64, generator=cr.Generator(i)) for i, s in enumerate([(6, 3), (4, 3), (4,)]))
    np.testing.assert_allclose(Linear.apply(x, w, b).numpy(), (x @ w.T + b).numpy(), rtol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [1, 16, 64, 300])
def test_fused_linear_fast_path_is_as_accurate_as_the_reference_form(batch, bias):
    # batch < out_features takes (W @ x.T).T: the same sums in another order (as another BLAS thread
    # count would give), so it must be as close to the exact result as x @ W.T + b, and row-major
    rng = np.random.default_rng(batch)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(batch, 784), (256, 784), (256,)])
    out = Linear.apply(cr.from_numpy(x), cr.from_numpy(w), cr.from_numpy(b) if bias else None).numpy()
    reference = x @ w.T + b if bias else x @ w.T
    exact = x.astype(np.float64) @ w.T.astype(np.float64) + (b if bias else 0)
    assert out.flags.c_contiguous and out.dtype == np.float32
    assert np.abs(out - exact).max() <= 4 * np.abs(reference - exact).max() + 1e-6
    np.testing.assert_allclose(out, reference, rtol=1e-4, atol=1e-4)


def test_outer_products_give_matmul_bits_and_layout():
    # (n, 1) @ (1, m) as a multiply: one product per element, nothing summed, so exactly matmul's values
    from chainrule.ops.matmul import _mm

    rng = np.random.default_rng(0)
    for a_shape, b_shape in [((200, 1), (1, 100)), ((3, 7, 1), (1, 5)), ((2, 1, 4, 1), (3, 1, 6))]:
        for dtype in (np.float32, np.float64):
            a, b = rng.standard_normal(a_shape).astype(dtype), rng.standard_normal(b_shape).astype(dtype)
            out = _mm(a, b)
            np.testing.assert_array_equal(out, np.matmul(a, b))
            assert out.dtype == dtype and out.shape == np.matmul(a, b).shape and out.flags.c_contiguous


def test_bias_gradient_column_sums_are_numpys_bits():
    # the compiled bias gradient of Linear (matmul._bias_grad) against NumPy's sum over the batch
    from chainrule.ops import matmul

    if matmul._kernels() is None:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(1)
    for n, m in [(1, 2), (5, 3), (200, 10), (513, 37), (64, 256)]:
        for dtype in (np.float32, np.float64):
            g = (rng.standard_normal((n, m)) * 10.0 ** rng.uniform(-4, 4, (n, m))).astype(dtype)
            np.testing.assert_array_equal(matmul._bias_grad(g), g.sum(axis=0))
    g = np.array([[-0.0, np.nan, np.inf, -0.0], [-0.0, 1.0, -np.inf, 2.0]], np.float32)
    with np.errstate(invalid="ignore"):  # inf + -inf
        got, want = matmul._bias_grad(g), g.sum(axis=0)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    column = rng.standard_normal((300, 1)).astype(np.float32)  # one column: NumPy's own (pairwise) sum
    np.testing.assert_array_equal(matmul._bias_grad(column), column.sum(axis=0))
