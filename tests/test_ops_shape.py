"""Shape ops (reshape, view, flatten, transpose, permute, squeeze, expand, cat, stack, split, chunk)."""

import numpy as np
import pytest
from oracle import check_finite_differences, check_float32, check_op

import chainrule as cr

SHAPE = [
    ("reshape", [(3, 4)], lambda a: a.reshape(2, 6)),
    ("reshape_tuple", [(3, 4)], lambda a: a.reshape((4, 3))),
    ("reshape_minus1", [(2, 3, 4)], lambda a: a.reshape(-1, 4)),
    ("reshape_flat", [(3, 4)], lambda a: a.reshape(-1)),
    ("reshape_0d", [()], lambda a: a.reshape(1, 1)),
    ("reshape_to_0d", [(1,)], lambda a: a.reshape(())),
    ("reshape_empty", [(0, 4)], lambda a: a.reshape(2, 0, 2)),
    ("reshape_function", [(3, 4)], lambda a, lib: lib.reshape(a, (6, 2))),
    ("view", [(3, 4)], lambda a: a.view(4, 3)),
    ("view_minus1", [(2, 3, 4)], lambda a: a.view(2, -1)),
    ("view_as", [(3, 4), (2, 6)], lambda a, b: a.view_as(b) * b),
    ("flatten", [(2, 3, 4)], lambda a: a.flatten()),
    ("flatten_start", [(2, 3, 4)], lambda a: a.flatten(1)),
    ("flatten_range", [(2, 3, 4, 5)], lambda a: a.flatten(1, 2)),
    ("flatten_neg", [(2, 3, 4)], lambda a: a.flatten(0, -2)),
    ("flatten_0d", [()], lambda a: a.flatten()),
    ("flatten_empty", [(2, 0, 3)], lambda a: a.flatten(1)),
    ("flatten_function", [(2, 3, 4)], lambda a, lib: lib.flatten(a, 1)),
    ("unflatten", [(2, 12)], lambda a: a.unflatten(1, (3, 4))),
    ("transpose", [(3, 4)], lambda a: a.transpose(0, 1)),
    ("transpose_neg", [(2, 3, 4)], lambda a: a.transpose(-1, -3)),
    ("transpose_same", [(2, 3)], lambda a: a.transpose(1, 1)),
    ("transpose_function", [(2, 3, 4)], lambda a, lib: lib.transpose(a, 1, 2)),
    ("t", [(3, 4)], lambda a: a.t()),
    ("T", [(3, 4)], lambda a: a.T),
    ("mT", [(2, 3, 4)], lambda a: a.mT),
    ("permute", [(2, 3, 4)], lambda a: a.permute(2, 0, 1)),
    ("permute_tuple", [(2, 3, 4)], lambda a: a.permute((1, 2, 0))),
    ("permute_neg", [(2, 3, 4)], lambda a: a.permute(-1, 0, 1)),
    ("permute_function", [(2, 3, 4)], lambda a, lib: lib.permute(a, (0, 2, 1))),
    ("permute_empty", [(2, 0, 3)], lambda a: a.permute(2, 1, 0)),
    ("squeeze", [(1, 3, 1, 4)], lambda a: a.squeeze()),
    ("squeeze_dim", [(1, 3, 1, 4)], lambda a: a.squeeze(2)),
    ("squeeze_neg", [(3, 4, 1)], lambda a: a.squeeze(-1)),
    ("squeeze_not_one", [(3, 4)], lambda a: a.squeeze(0)),
    ("squeeze_tuple", [(1, 3, 1)], lambda a: a.squeeze((0, 2))),
    ("squeeze_function", [(1, 3)], lambda a, lib: lib.squeeze(a, 0)),
    ("unsqueeze", [(3, 4)], lambda a: a.unsqueeze(0)),
    ("unsqueeze_middle", [(3, 4)], lambda a: a.unsqueeze(1)),
    ("unsqueeze_neg", [(3, 4)], lambda a: a.unsqueeze(-1)),
    ("unsqueeze_0d", [()], lambda a: a.unsqueeze(0)),
    ("unsqueeze_function", [(3,)], lambda a, lib: lib.unsqueeze(a, 1)),
    ("expand", [(1, 4)], lambda a: a.expand(3, 4)),
    ("expand_minus1", [(3, 1)], lambda a: a.expand(-1, 5)),
    ("expand_new_dims", [(3, 1)], lambda a: a.expand(2, 3, 4)),
    ("expand_tuple", [(4,)], lambda a: a.expand((2, 4))),
    ("expand_0d", [()], lambda a: a.expand(2, 3)),
    ("expand_to_empty", [(1, 3)], lambda a: a.expand(0, 3)),
    ("expand_as", [(3, 1), (3, 4)], lambda a, b: a.expand_as(b) * b),
    ("cat", [(2, 3), (4, 3)], lambda a, b, lib: lib.cat([a, b])),
    ("cat_dim1", [(2, 3), (2, 1)], lambda a, b, lib: lib.cat([a, b], dim=1)),
    ("cat_neg", [(2, 3, 1), (2, 3, 2), (2, 3, 1)], lambda a, b, c, lib: lib.cat((a, b, c), dim=-1)),
    ("cat_same_tensor", [(2, 3)], lambda a, lib: lib.cat([a, a * 2, a], 0)),
    ("cat_with_empty", [(2, 3), (0, 3)], lambda a, b, lib: lib.cat([a, b])),
    ("cat_one", [(2, 3)], lambda a, lib: lib.cat([a], 1)),
    ("cat_1d", [(3,), (2,)], lambda a, b, lib: lib.cat([a, b])),
    ("concat", [(2, 3), (1, 3)], lambda a, b, lib: lib.concat([a, b])),
    ("stack", [(2, 3), (2, 3)], lambda a, b, lib: lib.stack([a, b])),
    ("stack_dim1", [(2, 3), (2, 3), (2, 3)], lambda a, b, c, lib: lib.stack([a, b, c], dim=1)),
    ("stack_neg", [(2, 3), (2, 3)], lambda a, b, lib: lib.stack((a, b), dim=-1)),
    ("stack_0d", [(), ()], lambda a, b, lib: lib.stack([a, b])),
    ("stack_empty", [(0, 3), (0, 3)], lambda a, b, lib: lib.stack([a, b], 1)),
    ("split", [(5, 3)], lambda a: a.split(2)),
    ("split_dim1", [(3, 5)], lambda a: a.split(2, dim=1)),
    ("split_sizes", [(6, 2)], lambda a: a.split([1, 3, 2])),
    ("split_sizes_neg_dim", [(2, 6)], lambda a: a.split([4, 2], dim=-1)),
    ("split_big", [(3, 2)], lambda a: a.split(5)),
    ("split_function", [(4, 2)], lambda a, lib: lib.split(a, 3)),
    ("split_partly_used", [(6, 2)], lambda a: a.split(2)[1]),
    ("chunk", [(6, 2)], lambda a: a.chunk(3)),
    ("chunk_uneven", [(5, 2)], lambda a: a.chunk(2)),
    ("chunk_more_than_size", [(6,)], lambda a: a.chunk(4)),
    ("chunk_dim1", [(2, 7)], lambda a: a.chunk(3, dim=1)),
    ("chunk_function", [(4, 2)], lambda a, lib: lib.chunk(a, 2, 1)),
    ("narrow", [(4, 3)], lambda a: a.narrow(0, 1, 2)),
    ("chain", [(2, 3, 4)], lambda a: a.permute(2, 0, 1).reshape(4, 6).T.unsqueeze(0).squeeze().flatten()),
]
NONEMPTY = [row for row in SHAPE if all(np.prod(s) for s in row[1]) and "empty" not in row[0]]


@pytest.mark.parametrize("name, shapes, fn", SHAPE, ids=[r[0] for r in SHAPE])
def test_shape_op_matches_torch(name, shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("name, shapes, fn", NONEMPTY, ids=[r[0] for r in NONEMPTY])
def test_shape_op_finite_differences(name, shapes, fn):
    check_finite_differences(shapes, fn)


@pytest.mark.parametrize("name, shapes, fn", NONEMPTY, ids=[r[0] for r in NONEMPTY])
def test_shape_op_keeps_float32(name, shapes, fn):
    check_float32(shapes, fn)


@pytest.mark.filterwarnings("ignore:The use of `x.T`")  # torch deprecates .T on non-2-D tensors
@pytest.mark.parametrize("shape", [(4,), (2, 3, 4)], ids=str)
def test_T_reverses_all_dims(shape):
    check_op([shape], lambda a: a.T)


def test_cat_and_stack_promote_like_torch():
    ints, floats = cr.tensor([1, 2]), cr.tensor([0.5])
    check_op([ints, floats], lambda a, b, lib: lib.cat([a, b]), grad=False)
    check_op([cr.tensor([1, 2]), cr.tensor([0.5, 1.5])], lambda a, b, lib: lib.stack([a, b]), grad=False)
    check_op([cr.tensor([1.0], dtype=cr.float64), cr.tensor([2.0])], lambda a, b, lib: lib.cat([a, b]), grad=False)


def test_shape_errors_are_clear():
    x = cr.ones(3, 4)
    with pytest.raises(RuntimeError, match="invalid for input of size 12"):
        x.reshape(5, 3)
    with pytest.raises(RuntimeError, match="permut"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="expand"):
        x.expand(3, 5)
    with pytest.raises(RuntimeError, match="sizes must match"):
        cr.cat([x, cr.ones(3, 5)])
    with pytest.raises(RuntimeError, match="equal size"):
        cr.stack([x, cr.ones(4, 3)])
    with pytest.raises(RuntimeError, match="add up"):
        x.split([1, 1])
    with pytest.raises(IndexError):
        x.unsqueeze(3)


def test_views_share_memory_like_torch():
    x = cr.zeros(2, 3)
    x.view(6)[0] = 5.0
    x.T[2, 1] = 7.0
    assert x[0, 0].item() == 5.0 and x[1, 2].item() == 7.0


def test_expand_gradient_sums_over_the_copies():
    x = cr.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(2, 5).sum().backward()
    assert x.grad.tolist() == [[5.0], [5.0]]
