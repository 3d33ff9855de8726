"""Property tests: random shapes (size-1 and empty axes included) against PyTorch.

Hypothesis draws the shapes; ``check_op`` compares forward values, dtypes and every input gradient.
"""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes
from oracle import check_op

import chainrule as cr

SETTINGS = settings(max_examples=40, deadline=None)

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5),
    "pow": lambda a, b: (a.abs() + 0.5) ** b,
    "maximum": lambda a, b, lib: lib.maximum(a, b),
    "minimum": lambda a, b, lib: lib.minimum(a, b),
    "where": lambda a, b, lib: lib.where(a > b, a, b * 2),
}


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3),
       op=st.sampled_from(sorted(BINARY)))
def test_binary_ops_broadcast_like_torch(shapes, op):
    check_op(list(shapes.input_shapes), BINARY[op])


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=3))
def test_three_way_broadcast_in_one_expression(shapes):
    check_op(list(shapes.input_shapes), lambda a, b, c, lib: lib.where(c > 0, a * b, c - a))


@st.composite
def shape_and_dims(draw, min_side=0):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=min_side, max_side=4))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    negative = draw(st.lists(st.booleans(), min_size=len(dims), max_size=len(dims)))
    dims = tuple(d - len(shape) if neg else d for d, neg in zip(dims, negative))
    return shape, dims, draw(st.booleans())


REDUCTIONS = {
    "sum": lambda a, dims, keep: a.sum(dim=dims, keepdim=keep),
    "mean": lambda a, dims, keep: a.mean(dim=dims, keepdim=keep),
    "var": lambda a, dims, keep: a.var(dim=dims, keepdim=keep, correction=0),
    "std": lambda a, dims, keep: a.std(dim=dims, keepdim=keep, unbiased=False),
    "logsumexp": lambda a, dims, keep: a.logsumexp(dim=dims, keepdim=keep),
    "amax": lambda a, dims, keep: a.amax(dim=dims, keepdim=keep),
}


@SETTINGS
@given(case=shape_and_dims(min_side=1), op=st.sampled_from(sorted(REDUCTIONS)))
def test_reductions_over_any_dims_match_torch(case, op):
    shape, dims, keep = case
    check_op([shape], lambda a: REDUCTIONS[op](a, dims, keep))


@SETTINGS
@given(case=shape_and_dims(min_side=0))
def test_sums_of_possibly_empty_tensors_match_torch(case):
    shape, dims, keep = case
    check_op([shape], lambda a: a.sum(dim=dims, keepdim=keep))


@SETTINGS
@given(case=shape_and_dims(min_side=1), largest=st.booleans())
def test_max_min_along_a_dim_match_torch(case, largest):
    shape, dims, keep = case
    check_op([shape], lambda a: a.max(dims[0], keepdim=keep) if largest else a.min(dims[0], keepdim=keep))


@SETTINGS
@given(case=shape_and_dims(min_side=1), log=st.booleans(), scale=st.sampled_from([1.0, 100.0]))
def test_softmax_along_any_dim_matches_torch(case, log, scale):
    shape, dims, _ = case
    check_op([shape], lambda a: (a * scale).log_softmax(dims[0]) if log else (a * scale).softmax(dims[0]))


@st.composite
def matmul_shapes(draw):
    n, m, p = draw(st.integers(1, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3))
    a_shape = batch.input_shapes[0] + (n, m)
    b_shape = batch.input_shapes[1] + (m, p)
    if draw(st.booleans()):
        a_shape = (m,)  # a vector on the left
    elif draw(st.booleans()):
        b_shape = (m,)  # a vector on the right
    return [a_shape, b_shape]


@SETTINGS
@given(shapes=matmul_shapes())
def test_batched_matmul_matches_torch(shapes):
    check_op(shapes, lambda a, b: a @ b)


@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), data=st.data())
def test_reshape_and_permute_match_torch(shape, data):
    order = data.draw(st.permutations(range(len(shape))))
    flat = int(np.prod(shape))
    new_shape = (-1,) if flat == 0 else data.draw(st.sampled_from([(flat,), (1, flat), (flat, 1), (-1, 1)]))
    check_op([shape], lambda a: (a.permute(*order) if order else a).reshape(*new_shape) * 2)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_integer_array_indexing_with_repeats_matches_torch(shape, data):
    rows = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=0, max_size=6))
    index = np.array(rows, dtype=np.int64)
    check_op([shape], lambda a, lib: a[lib.tensor(index)] if lib is cr else a[torch.from_numpy(index)])


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4), threshold=st.floats(-2, 2))
def test_boolean_mask_indexing_matches_torch(shape, threshold):
    check_op([shape], lambda a: a[a > threshold] * 3)


@SETTINGS
@given(shapes=st.lists(array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=3), min_size=1, max_size=4),
       dim=st.integers(-2, 1))
def test_cat_matches_torch(shapes, dim):
    rows = shapes[0][dim % 2 - 1]  # make every other dim agree with the first tensor
    fixed = [tuple(s[i] if i == dim % 2 else rows for i in range(2)) for s in shapes]
    check_op(fixed, lambda *xs, lib: lib.cat(list(xs), dim=dim))
