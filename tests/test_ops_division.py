"""``%`` and ``//``: values, dtypes and gradients as PyTorch's (remainder differentiable, floor_divide not)."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op

import chainrule as cr


def _inputs(lib_tensor=cr.tensor, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-5, 5, size=(4, 5))
    b = rng.uniform(0.5, 2, size=(5,)) * rng.choice([-1, 1], size=5)
    return [lib_tensor(a, dtype=cr.float64, requires_grad=True), lib_tensor(b, dtype=cr.float64, requires_grad=True)]


def test_remainder_value_and_gradients_match_torch():
    check_op(_inputs(), lambda a, b: a % b)
    check_op(_inputs()[:1], lambda a: a % 1.5)
    check_op(_inputs()[:1], lambda a: a % -2)


def test_remainder_finite_differences():
    check_finite_differences(_inputs(seed=1), lambda a, b: a % b)


def test_floor_divide_is_recorded_and_backward_raises_like_torch():
    a, b = _inputs()
    q = a // b
    expected = torch.from_numpy(a._data) // torch.from_numpy(b._data)
    np.testing.assert_array_equal(q._data, expected.numpy())
    assert q.requires_grad  # as torch: the gradient is not silently dropped ...
    with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
        q.sum().backward()  # ... asking for it raises
    with cr.no_grad():
        assert not (a // b).requires_grad


@pytest.mark.parametrize("left, right", [([5, -7, 3], 2), ([5, -7, 3], 2.5), ([5.5, -7.25], 2), ([True, False], 2)])
def test_integer_and_mixed_dtypes_match_torch(left, right):
    for op in (lambda x, y: x % y, lambda x, y: x // y):
        ours, theirs = op(cr.tensor(left), right), op(torch.tensor(left), right)
        assert ours.dtype == getattr(cr, str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(ours._data, theirs.numpy())
