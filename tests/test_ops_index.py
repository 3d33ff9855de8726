"""Indexing: slices, integers, integer arrays (repeated too), pairs of arrays, boolean masks."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_float32, check_op, to_torch

import chainrule as cr


def _idx(data, dtype="int64"):
    """The same index as a chainrule tensor and as a torch tensor: (cr_index, torch_index)."""
    return cr.tensor(np.array(data, dtype=dtype)), torch.tensor(np.array(data, dtype=dtype))


def pick(cr_index, torch_index):
    """A lambda indexing with the right library's tensor."""
    return lambda a, lib: a[cr_index if lib is cr else torch_index]


ROWS = _idx([0, 2, 0, 3, 2])
PAIR = (_idx([0, 1, 1, 0]), _idx([2, 3, 3, 2]))
MASK = _idx([[True, False, True, True], [False, False, True, False], [True, True, False, False],
             [False, True, True, True]], dtype=bool)
ROW_MASK = _idx([True, False, True, False], dtype=bool)
EMPTY = _idx([], dtype="int64")

INDEX = [
    ("int", [(4, 3)], lambda a: a[1]),
    ("neg_int", [(4, 3)], lambda a: a[-1]),
    ("two_ints", [(4, 3)], lambda a: a[2, 1]),
    ("slice", [(5, 3)], lambda a: a[1:4]),
    ("slice_step", [(4, 6)], lambda a: a[:, ::2]),
    ("slice_neg", [(5, 3)], lambda a: a[-3:-1]),
    ("slice_empty", [(5, 3)], lambda a: a[2:2]),
    ("ellipsis", [(2, 3, 4)], lambda a: a[..., 1]),
    ("none", [(2, 3)], lambda a: a[None, 1]),
    ("mixed_basic", [(3, 4, 5)], lambda a: a[1:, 2, 1::2]),
    ("slice_then_array", [(3, 4, 5)], lambda a: a[1:, [0, 3, 0], 2]),
    ("arrays_apart", [(3, 4, 5)], lambda a: a[[0, 2], :, [1, 1]]),
    ("list", [(4, 3)], lambda a: a[[0, 2, 3]]),
    ("list_repeated", [(4, 3)], lambda a: a[[1, 1, 1, 0]]),
    ("tensor_repeated", [(4, 3)], pick(*ROWS)),
    ("columns_repeated", [(3, 4)], lambda a: a[:, [3, 1, 3]]),
    ("pair", [(2, 4)], lambda a, lib: a[PAIR[0][0], PAIR[1][0]] if lib is cr else a[PAIR[0][1], PAIR[1][1]]),
    ("pair_lists", [(3, 3)], lambda a: a[[0, 2, 0], [1, 1, 1]]),
    ("pair_broadcast", [(3, 4)], lambda a: a[[[0], [2]], [1, 3, 1]]),
    ("index_2d", [(4, 3)], pick(*_idx([[0, 1], [1, 3]]))),
    ("mask", [(4, 4)], pick(*MASK)),
    ("mask_rows", [(4, 3)], pick(*ROW_MASK)),
    ("mask_rows_then_slice", [(4, 3)], lambda a, lib: a[ROW_MASK[0] if lib is cr else ROW_MASK[1], 1:]),
    ("mask_from_values", [(3, 4)], lambda a: a[a > 0]),
    ("mask_all_false", [(3, 4)], lambda a: a[a > 10]),
    ("int_tensor_0d", [(4, 3)], lambda a, lib: a[lib.tensor(2)]),
    ("empty_index", [(4, 3)], pick(*EMPTY)),
    ("empty_list", [(4, 3)], lambda a: a[[]]),
    ("index_of_empty", [(0, 3)], lambda a: a[:, 1]),
    ("chain", [(4, 5)], lambda a: a[1:][[0, 0, 2]][:, 1:4] * 2),
]
NONEMPTY = [r for r in INDEX if "empty" not in r[0] and "all_false" not in r[0]]


@pytest.mark.parametrize("name, shapes, fn", INDEX, ids=[r[0] for r in INDEX])
def test_indexing_matches_torch(name, shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("name, shapes, fn", NONEMPTY, ids=[r[0] for r in NONEMPTY])
def test_indexing_finite_differences(name, shapes, fn):
    check_finite_differences(shapes, fn)


@pytest.mark.parametrize("name, shapes, fn", NONEMPTY, ids=[r[0] for r in NONEMPTY])
def test_indexing_keeps_float32(name, shapes, fn):
    check_float32(shapes, fn)


def test_repeated_index_accumulates_gradient():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = cr.zeros(2, 2, requires_grad=True)
    (y[[0, 0, 1], [1, 1, 0]] * cr.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert y.grad.tolist() == [[0.0, 11.0], [100.0, 0.0]]


def test_setitem_writes_through_and_respects_autograd():
    x = cr.zeros(3, 2)
    x[1] = 5.0
    x[x == 0] = 1.0
    x[:, 1] = cr.tensor([7.0, 8.0, 9.0])
    assert x.tolist() == [[1.0, 7.0], [5.0, 8.0], [1.0, 9.0]]
    leaf = cr.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        leaf[0] = 1.0
    with cr.no_grad():
        leaf[0] = 1.0
    assert leaf.tolist() == [1.0, 0.0]


def test_nested_list_index_is_an_index_array():
    # NOTE: torch 2.13 still reads x[[[0, 1], [1, 3]]] as x[[0, 1], [1, 3]] but deprecates it in favour
    # of the NumPy meaning, x[tensor([[0, 1], [1, 3]])], which chainrule already uses
    x = cr.arange(12).reshape(4, 3)
    assert x[[[0, 1], [1, 3]]].shape == (2, 2, 3)
    assert x[[[0, 1], [1, 3]]].tolist() == to_torch(x)[torch.tensor([[0, 1], [1, 3]])].tolist()


def test_index_out_of_range_raises():
    with pytest.raises(IndexError):
        cr.zeros(3)[3]
    with pytest.raises(IndexError):
        cr.zeros(3)[[0, 5]]


def test_indexing_result_and_torch_agree_on_values():
    x = cr.arange(12).reshape(3, 4)
    for index in [(1,), (slice(None), 2), ([0, 2], [1, 3]), (x > 5,)]:
        t_index = tuple(to_torch(i) if isinstance(i, cr.Tensor) else i for i in index)
        np.testing.assert_array_equal(x[index].numpy(), to_torch(x)[t_index].numpy())
