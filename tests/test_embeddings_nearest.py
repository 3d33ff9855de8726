"""chainrule.embeddings.nearest: identical to a brute-force NumPy reference, ties by index, bounded memory."""

import tracemalloc

import numpy as np
import pytest

import chainrule as cr
from chainrule.embeddings import nearest


def reference(q, t, k, metric):
    """Score everything at once in float64, sort stably: equal scores keep table order."""
    q, t = np.asarray(q, np.float64), np.asarray(t, np.float64)
    if metric == "dot":
        s = q @ t.T
    elif metric == "cosine":
        s = (q @ t.T) / np.maximum(np.linalg.norm(q, axis=1), 1e-8)[:, None]
        s = s / np.maximum(np.linalg.norm(t, axis=1), 1e-8)
    else:
        s = -(np.einsum("ij,ij->i", q, q)[:, None] - 2 * q @ t.T + np.einsum("ij,ij->i", t, t))
    idx = np.argsort(-s, axis=1, kind="stable")[:, :k]
    vals = np.take_along_axis(s, idx, 1)
    return (np.sqrt(np.maximum(-vals, 0)) if metric == "euclidean" else vals), idx


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
@pytest.mark.parametrize("block", [7, 50, 1 << 21])  # many chunks of a few rows ... one chunk
def test_identical_to_brute_force_with_many_ties(metric, block):
    rng = np.random.default_rng(1)
    # small integers: every score is exact in any summation order, and many scores tie
    t = rng.integers(-2, 3, size=(120, 4)).astype(np.float64)
    t[10:20] = t[0:10] * 2  # exact cosine ties between a row and its double
    t[30] = 0  # a zero vector: cosine 0
    q = rng.integers(-2, 3, size=(37, 4)).astype(np.float64)
    for k in (1, 5, 120):
        vals, idx = nearest(q, t, k, metric, block=block)
        rv, ri = reference(q, t, k, metric)
        np.testing.assert_array_equal(idx.numpy(), ri)
        np.testing.assert_allclose(vals.numpy(), rv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
def test_random_float32_table_matches_reference(metric):
    rng = np.random.default_rng(2)
    t = rng.normal(size=(3000, 16)).astype(np.float32)
    q = rng.normal(size=(300, 16)).astype(np.float32)  # more than one query batch
    vals, idx = nearest(q, t, 10, metric, block=20000)
    assert vals.dtype == cr.float32 and idx.dtype == cr.int64
    rv, ri = reference(q, t, 10, metric)
    assert (idx.numpy() == ri).mean() > 0.999  # float32 rounding may swap a near-tie, nothing more
    np.testing.assert_allclose(vals.numpy(), rv, rtol=1e-4, atol=1e-4)
    v64, i64 = nearest(q.astype(np.float64), t.astype(np.float64), 10, metric, block=20000)
    np.testing.assert_array_equal(i64.numpy(), ri)
    np.testing.assert_allclose(v64.numpy(), rv, rtol=1e-10, atol=1e-10)


def test_single_query_tensor_inputs_and_worked_example():
    table = cr.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7], [-1.0, 0.0]])
    out = nearest(cr.tensor([1.0, 0.1]), table, k=2)
    assert out.indices.tolist() == [0, 2]
    assert out.values.shape == (2,)
    far = nearest(cr.tensor([1.0, 0.0]), table, k=4, metric="euclidean")
    assert far.indices.tolist() == [0, 2, 1, 3]
    np.testing.assert_allclose(far.values.numpy(), [0, np.hypot(0.3, 0.7), np.sqrt(2), 2], rtol=1e-6)


def test_memory_stays_bounded_for_a_large_table():
    rng = np.random.default_rng(3)
    t = rng.normal(size=(200_000, 32)).astype(np.float32)  # 25.6 MB
    q = rng.normal(size=(64, 32)).astype(np.float32)
    block = 1 << 18
    tracemalloc.start()
    try:
        nearest(q, t, 5, "euclidean", block=block)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    full = 64 * 200_000 * 4  # what one (queries x table) score matrix would take
    assert peak < block * 14 + 2_000_000, peak  # about block * (4 + 9) bytes and a little
    assert peak < full / 4


@pytest.mark.parametrize("call,message", [
    (lambda: nearest(np.ones(3), np.ones((4, 3)), 5), "k must be an integer from 1 to the table's 4 rows, got 5"),
    (lambda: nearest(np.ones(3), np.ones((4, 3)), 0), "got 0"),
    (lambda: nearest(np.ones(3), np.ones((0, 3)), 1), "the table is empty"),
    (lambda: nearest(np.ones(2), np.ones((4, 3)), 1), "query has dimension 2 but the table's rows have 3"),
    (lambda: nearest(np.ones(3), np.ones(3), 1), "table must be 2-D"),
    (lambda: nearest(np.ones(3), np.ones((4, 3)), 1, "manhattan"), "metric must be one of"),
    (lambda: nearest([[1, 2, np.nan]], np.ones((4, 3)), 1), "query 0 contains NaN"),
    (lambda: nearest(np.ones(3), np.vstack([np.ones((5, 3)), [[0, np.nan, 0]]]), 1), "table row 5 contains NaN"),
    (lambda: nearest(np.ones(3), np.ones((4, 3)), 1, block=0), r"block must be a positive integer .*, got 0"),
    (lambda: nearest(np.ones(3), np.ones((4, 3)), 1, block=2.5), "block must be a positive integer .*, got 2.5"),
])
def test_bad_input_names_the_value(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_a_nan_table_row_raises_without_a_numpy_warning():
    import warnings

    table = np.vstack([np.ones((3, 2)), [[np.inf, 0.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "invalid value encountered in divide" would be raised instead
        with pytest.raises(ValueError, match="table row 3 contains NaN or inf"):
            nearest(np.ones(2), table, 1)
