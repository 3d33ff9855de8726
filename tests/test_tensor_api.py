"""Tensor methods and functions real programs use (issue 20): products, einsum, out=, norms, math,
formatting, type(). Values and gradients against PyTorch in float64 and by finite differences."""

import math

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op

import chainrule as cr

PRODUCTS = [
    ([(3, 4), (4, 5)], lambda a, b, lib: lib.mm(a, b)),
    ([(3, 4), (4, 5)], lambda a, b: a.mm(b)),
    ([(2, 3, 4), (2, 4, 5)], lambda a, b, lib: lib.bmm(a, b)),
    ([(3, 4), (4,)], lambda a, b, lib: lib.mv(a, b)),
    ([(4,), (4,)], lambda a, b, lib: lib.dot(a, b)),
    ([(3,), (5,)], lambda a, b, lib: lib.outer(a, b)),
    ([(3, 5), (3, 4), (4, 5)], lambda c, a, b, lib: lib.addmm(c, a, b)),
    ([(5,), (3, 4), (4, 5)], lambda c, a, b, lib: lib.addmm(c, a, b, beta=0.5, alpha=2.0)),
    ([(3, 4), (4, 5)], lambda a, b, lib: lib.einsum("ij,jk->ik", a, b)),
    ([(2, 3, 4), (2, 4, 5)], lambda a, b, lib: lib.einsum("bij,bjk->bik", a, b)),
    ([(3, 4), (3, 4)], lambda a, b, lib: lib.einsum("ij,ij->", a, b)),
    ([(3, 4)], lambda a, lib: lib.einsum("ij->j", a)),
    ([(3, 4)], lambda a, lib: lib.einsum("ij->ji", a)),
    ([(4, 4)], lambda a, lib: lib.einsum("ii->i", a)),
    ([(4, 4)], lambda a, lib: lib.einsum("ii", a)),
    ([(2, 3, 4), (4,)], lambda a, b, lib: lib.einsum("...j,j->...", a, b)),
    ([(3,), (5,)], lambda a, b, lib: lib.einsum("i,j", a, b)),
    ([(2, 3), (3, 4), (4, 2)], lambda a, b, c, lib: lib.einsum("ab,bc,cd->ad", [a, b, c])),
    ([(3, 4)], lambda a, lib: lib.log2(a.abs() + 0.5)),
    ([(3, 4)], lambda a, lib: lib.log10(a.abs() + 0.5)),
    ([(3, 4)], lambda a, lib: (a.abs() + 0.5).log10() + a.expm1() + a.abs().log1p() + lib.expm1(a)),
    ([(3, 4)], lambda a: a.norm()),
    ([(3, 4)], lambda a: a.norm(dim=1)),
    ([(3, 4)], lambda a: a.norm(1, dim=0, keepdim=True)),
    ([(3, 4)], lambda a: a.norm(3.0, dim=1)),
    ([(3, 4)], lambda a: a.norm(float("inf"), dim=1)),
    ([(3, 4)], lambda a, lib: lib.norm(a, p="fro")),
    ([(3, 4)], lambda a, lib: lib.linalg.norm(a)),
    ([(3, 4)], lambda a, lib: lib.linalg.norm(a, dim=1)),
    ([(3, 4)], lambda a, lib: lib.linalg.norm(a, ord=1)),
    ([(3, 4)], lambda a, lib: lib.linalg.norm(a, ord=float("inf"))),
    ([(3, 4)], lambda a, lib: lib.linalg.norm(a, ord="nuc")),
    ([(3, 4)], lambda a, lib: lib.linalg.norm(a, ord=2)),
    ([(2, 3, 4)], lambda a, lib: lib.linalg.matrix_norm(a, ord=-1, keepdim=True)),
    ([(2, 3, 4)], lambda a, lib: lib.linalg.vector_norm(a, ord=2, dim=(0, 2))),
    ([(2, 3, 4)], lambda a, lib: lib.linalg.vector_norm(a, ord=0.5)),
    ([(2, 3, 4)], lambda a, lib: lib.linalg.vector_norm(a, ord=float("-inf"), dim=-1)),
    ([(2, 3)], lambda a: a.sum(1, keepdims=True) + a.mean(0, keepdims=True)),
    ([(3, 4), (4,)],
     lambda a, b, lib: lib.add(a, b, alpha=2) + lib.sub(a, b, alpha=0.5) + lib.mul(a, b) + lib.div(a, b)),
]


@pytest.mark.parametrize("shapes,fn", PRODUCTS)
def test_values_and_gradients_match_torch(shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("shapes,fn", [PRODUCTS[i] for i in (0, 6, 9, 13, 15, 22, 25, 31, 32, 35)])
def test_gradients_match_finite_differences(shapes, fn):
    check_finite_differences(shapes, fn)


def test_norm_gradient_at_zero_is_zero_as_torch():
    check_op([cr.zeros(3, dtype=cr.float64, requires_grad=True)], lambda a: a.norm())


def test_out_writes_into_the_given_tensor():
    for name, args in [("add", (2.0,)), ("sub", (2.0,)), ("mul", (2.0,)), ("div", (2.0,))]:
        out = cr.empty(3)
        r = getattr(cr, name)(cr.ones(3), *args, out=out)
        t = getattr(torch, name)(torch.ones(3), *args)
        assert r is out and np.allclose(out.numpy(), t.numpy())
    out = cr.zeros(2, 2)
    assert cr.matmul(cr.eye(2), cr.ones(2, 2), out=out) is out and out.sum().item() == 4
    out = cr.empty(0)
    cr.add(cr.ones(2, 3), 1, out=out)  # resized, as PyTorch
    assert tuple(out.shape) == (2, 3)


@pytest.mark.parametrize("call", [
    lambda lib: lib.add(lib.ones(2, requires_grad=True), 1.0, out=lib.empty(2)),
    lambda lib: lib.add(lib.ones(2), 1.5, out=lib.empty(2, dtype=lib.long)),
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.mm(lib.ones(3), lib.ones(3, 5)),
    lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(2, 3)),
    lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 3)),
    lambda lib: lib.mv(lib.ones(2, 3), lib.ones(4)),
    lambda lib: lib.dot(lib.ones(2, 3), lib.ones(4)),
    lambda lib: lib.dot(lib.ones(3), lib.ones(4)),
    lambda lib: lib.outer(lib.ones(2, 2), lib.ones(3)),
    lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.einsum("ij,jk", lib.ones(2, 3)),
    lambda lib: lib.div(lib.ones(2), 2, rounding_mode="round"),
    lambda lib: f"{lib.ones(2):.2f}",
    lambda lib: lib.linalg.vector_norm(lib.ones(2, dtype=lib.long)),
    lambda lib: lib.ones(2).type("torch.NoSuchTensor"),
])
def test_errors_have_torchs_exception_types(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)):
        call(cr)


def test_div_rounding_modes_match_torch():
    for a, b in [([5, -5, 7], 2), ([5.5, -5.5, 7.0], 2.0), ([5, -5], [2, 3])]:
        for mode in ("trunc", "floor"):
            c = cr.div(cr.tensor(a), cr.tensor(b) if isinstance(b, list) else b, rounding_mode=mode)
            t = torch.div(torch.tensor(a), torch.tensor(b) if isinstance(b, list) else b, rounding_mode=mode)
            assert c.tolist() == t.tolist() and str(c.dtype) == str(t.dtype).removeprefix("torch.")


def test_formatting_zero_d_tensors():
    loss, w = cr.tensor(0.123456), cr.tensor(-1.5)
    tl, tw = torch.tensor(0.123456), torch.tensor(-1.5)
    assert f"{loss:.4f}" == f"{tl:.4f}" == "0.1235"
    assert "{:+.2f}".format(w) == "{:+.2f}".format(tw) == "-1.50"
    assert f"{cr.tensor(3):d}" == "3" and f"{cr.tensor([1.5])}" == str(cr.tensor([1.5]))


def test_type_nelement_and_new_tensors():
    x = cr.ones(2, 3)
    assert x.type() == torch.ones(2, 3).type() == "torch.FloatTensor"
    assert cr.ones(2, dtype=cr.int64).type() == "torch.LongTensor"
    assert x.type(cr.float64).dtype == cr.float64 and x.type("torch.DoubleTensor").dtype == cr.float64
    assert x.nelement() == 6 and cr.numel(x) == 6
    assert x.new_zeros(2).dtype == cr.float32 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_full((2,), 7.0).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == cr.float32
    assert x.double().new_empty(3).dtype == cr.float64


def test_tensor_constructor_with_sizes_as_torch():
    for args in [(), (3,), (2, 3), (cr.Size([2, 3]),), ((2, 3),), ([2, 3],)]:
        targs = tuple(torch.Size(a) if isinstance(a, cr.Size) else a for a in args)
        ours, theirs = cr.Tensor(*args), torch.Tensor(*targs)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == cr.float32, args
    layer_weight = cr.nn.Parameter(cr.Tensor(4, 3))  # the custom-layer tutorials' pattern
    cr.nn.init.kaiming_uniform_(layer_weight)
    assert tuple(layer_weight.shape) == (4, 3) and layer_weight.requires_grad
    with pytest.raises(TypeError):
        cr.Tensor([1.0], 2)


def test_legacy_tensor_types():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        ours, theirs = getattr(cr, name), getattr(torch, name)
        assert str(ours([1, 0]).dtype) == str(theirs([1, 0]).dtype).removeprefix("torch.")
        assert tuple(ours(2, 3).shape) == tuple(theirs(2, 3).shape) and tuple(ours().shape) == (0,)
        assert isinstance(ours([1, 0]), ours) and not isinstance(cr.zeros(2, dtype=cr.float16), ours)
    assert cr.ones(2).type(cr.LongTensor).dtype == cr.int64
    assert isinstance(cr.tensor([1.0]), cr.FloatTensor) and not isinstance(cr.tensor([1]), cr.FloatTensor)


def test_matrix_norms_match_numpy():
    a = np.random.default_rng(0).normal(size=(4, 3))
    t = cr.tensor(a)
    for ord_ in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        assert np.isclose(cr.linalg.matrix_norm(t, ord_).item(), np.linalg.norm(a, ord_))
