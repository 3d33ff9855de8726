"""linalg.inv/det/solve, median, nan-reductions, logaddexp, cross, kron, cdist, tensordot and counting
functions against PyTorch (float64 values and gradients)."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op, to_torch

import chainrule as cr

WELL_CONDITIONED = np.eye(3) * 3 + np.random.default_rng(0).uniform(-0.5, 0.5, size=(2, 3, 3))


def _spd():
    return [cr.tensor(WELL_CONDITIONED, requires_grad=True)]


CASES = [
    (_spd, lambda a, lib: lib.linalg.inv(a)),
    (_spd, lambda a, lib: lib.linalg.det(a)),
    (_spd, lambda a, lib: a.inverse() + a.det().reshape(2, 1, 1)),
    (lambda: _spd() + [cr.tensor(np.ones((2, 3, 2)), requires_grad=True)], lambda a, b, lib: lib.linalg.solve(a, b)),
    (lambda: _spd() + [cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)],
     lambda a, b, lib: lib.linalg.solve(a, b)),
    ([(5, 4)], lambda a: a.median(1).values + a.median(0, keepdim=True)[0].sum()),
    ([(5, 4)], lambda a: a.median()),
    ([(5, 4)], lambda a, lib: lib.nansum(a, 1) + lib.nanmean(a)),
    ([(5, 4), (5, 4)], lambda a, b, lib: lib.logaddexp(a, b)),
    ([(4, 3), (4, 3)], lambda a, b, lib: lib.cross(a, b, dim=1)),
    ([(2, 3), (3, 2)], lambda a, b, lib: lib.kron(a, b)),
    ([(5, 3), (4, 3)], lambda a, b, lib: lib.cdist(a, b)),
    ([(5, 3), (4, 3)], lambda a, b, lib: lib.cdist(a, b, p=1.0)),
    ([(3, 4, 5), (4, 5, 2)], lambda a, b, lib: lib.tensordot(a, b, dims=2)),
    ([(3, 4), (5, 3)], lambda a, b, lib: lib.tensordot(a, b, dims=([0], [1]))),
    ([(5, 4)], lambda a, lib: lib.std_mean(a, 1)[0] + lib.var_mean(a, 0, keepdim=True)[1].sum()),
]


def _inputs(spec):
    return spec() if callable(spec) else spec


@pytest.mark.parametrize("spec,fn", CASES)
def test_matches_torch(spec, fn):
    check_op(_inputs(spec), fn)


@pytest.mark.parametrize("spec,fn", [CASES[i] for i in (0, 1, 3, 9, 11)])
def test_finite_differences(spec, fn):
    check_finite_differences(_inputs(spec), fn)


def test_nan_reductions_skip_nans():
    x = cr.tensor([[1.0, float("nan")], [3.0, 4.0]])
    tx = torch.tensor([[1.0, float("nan")], [3.0, 4.0]])
    assert cr.nansum(x).item() == torch.nansum(tx).item() == 8.0
    np.testing.assert_allclose(x.nanmean(1).numpy(), tx.nanmean(1).numpy())


@pytest.mark.parametrize("fn", [
    lambda lib: lib.bincount(lib.tensor([0, 1, 1, 4])),
    lambda lib: lib.bincount(lib.tensor([0, 1, 1]), weights=lib.tensor([0.5, 1.0, 2.0]), minlength=4),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0, 1.0, 2.5]), bins=4, min=0, max=3),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0, 1.0, 2.5]), bins=3),
    lambda lib: lib.isin(lib.tensor([1, 2, 3, 4]), lib.tensor([2, 4])),
    lambda lib: lib.searchsorted(lib.tensor([1.0, 3.0, 5.0]), lib.tensor([0.0, 3.0, 6.0])),
    lambda lib: lib.searchsorted(lib.tensor([[1.0, 3.0], [2.0, 4.0]]), lib.tensor([[3.0], [3.0]]), right=True),
    lambda lib: lib.bucketize(lib.tensor([0.5, 1.0, 2.5]), lib.tensor([1.0, 2.0, 3.0])),
    lambda lib: lib.bucketize(lib.tensor([0.5, 1.0, 2.5]), lib.tensor([1.0, 2.0, 3.0]), right=True),
    lambda lib: lib.tensor([[3.0, 1.0], [2.0, 5.0]]).median(1).indices,
])
def test_counting_matches_torch(fn):
    c, t = fn(cr), fn(torch)
    np.testing.assert_allclose(c.numpy(), t.numpy())
    assert str(c.dtype) == str(t.dtype).removeprefix("torch.")


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.inv(lib.zeros(2, 2)),
    lambda lib: lib.linalg.inv(lib.ones(2, 3)),
    lambda lib: lib.linalg.solve(lib.zeros(2, 2), lib.ones(2)),
    lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(RuntimeError) as ours:  # torch.linalg.LinAlgError is a RuntimeError; ours has its name
        call(cr)
    assert type(ours.value).__name__.lstrip("_") == type(expected.value).__name__.lstrip("_")


def test_to_torch_roundtrip_helper_is_exact():
    x = cr.tensor(WELL_CONDITIONED)
    assert np.array_equal(to_torch(x).numpy(), x.numpy())
