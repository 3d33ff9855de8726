"""Similarity, distances, sorting and EmbeddingBag against PyTorch in float64 and by finite differences."""

import numpy as np
import pytest
from tests.oracle import assert_close, check_finite_differences, torch

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

TF = torch.nn.functional
INF = float("inf")


def pair(arr, requires_grad=True):
    arr = np.asarray(arr, dtype=np.float64)
    return (cr.tensor(arr, dtype=cr.float64, requires_grad=requires_grad),
            torch.tensor(arr, dtype=torch.float64, requires_grad=requires_grad))


def same(fc, ft, *arrays, seed=0):
    """Values and the gradients of every input agree with PyTorch's."""
    ins = [pair(a) for a in arrays]
    oc, ot = fc(*[c for c, _ in ins]), ft(*[t for _, t in ins])
    assert_close(oc, ot)
    g = np.random.default_rng(seed).normal(size=tuple(ot.shape))
    oc.backward(cr.tensor(g))
    ot.backward(torch.tensor(g))
    for i, (c, t) in enumerate(ins):
        expected = t.grad if t.grad is not None else torch.zeros_like(t)  # PyTorch leaves p=0 norms without one
        actual = c.grad if c.grad is not None else cr.zeros_like(c)
        assert_close(actual, expected, what=f"grad of input {i}")


rng = np.random.default_rng(0)


def rnd(*shape):
    return rng.normal(size=shape)


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((3, 1, 5), (1, 4, 5)), -1), (((4, 5), (4, 5)), 0),
                                        (((5,), (5,)), 0), (((4, 5), (5,)), 1)])
def test_cosine_similarity_shapes_and_broadcasting(shapes, dim):
    same(lambda a, b: F.cosine_similarity(a, b, dim=dim), lambda a, b: TF.cosine_similarity(a, b, dim=dim),
         *[rnd(*s) for s in shapes])


def test_cosine_similarity_eps_clamps_value_not_gradient():
    # a zero vector and vectors shorter than eps: PyTorch clamps each norm's value only
    same(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b),
         [[0, 0, 0], [1, 2, 3]], rnd(2, 3))
    same(lambda a, b: F.cosine_similarity(a, b, eps=0.5), lambda a, b: TF.cosine_similarity(a, b, eps=0.5),
         [[0.1, 0.1, 0.1], [0.2, 0.1, 0.3]], [[1, 2, 3], [0.01, 0.02, 0.01]])


def test_cosine_similarity_module_and_top_level():
    a, b = rnd(3, 4), rnd(3, 4)
    assert_close(nn.CosineSimilarity(dim=0)(cr.tensor(a), cr.tensor(b)),
                 torch.nn.CosineSimilarity(dim=0)(torch.tensor(a), torch.tensor(b)))
    assert_close(cr.cosine_similarity(cr.tensor(a), cr.tensor(b)),
                 torch.cosine_similarity(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, INF])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim):
    for sa, sb in [((4, 5), (4, 5)), ((5,), (5,)), ((4, 5), (5,)), ((2, 4, 5), (2, 4, 5))]:
        same(lambda a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim),
             lambda a, b: TF.pairwise_distance(a, b, p=p, keepdim=keepdim), rnd(*sa), rnd(*sb))
    x = rnd(3, 4)
    same(lambda a, b: nn.PairwiseDistance(p, eps=0)(a, b), lambda a, b: torch.nn.PairwiseDistance(p, eps=0)(a, b), x, x)


@pytest.mark.parametrize("p", [1, 2, 3, INF])
def test_normalize(p):
    same(lambda a: F.normalize(a, p=p), lambda a: TF.normalize(a, p=p), rnd(4, 5))
    same(lambda a: F.normalize(a, p=p, dim=-1), lambda a: TF.normalize(a, p=p, dim=-1), rnd(2, 3, 4))
    same(lambda a: F.normalize(a, p=p), lambda a: TF.normalize(a, p=p), [[0, 0, 0], [1, 2, 3]])
    same(lambda a: F.normalize(a, p=p, eps=0.5), lambda a: TF.normalize(a, p=p, eps=0.5), [[0.1, 0, 0.1], [1, 2, 3]])


@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, INF])
def test_cdist(p):
    same(lambda a, b: cr.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p), rnd(4, 5), rnd(3, 5))
    # 30 and 27 rows: the matrix-product path at p=2
    same(lambda a, b: cr.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p), rnd(30, 5), rnd(27, 5))
    same(lambda a, b: cr.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p), rnd(2, 4, 5), rnd(1, 3, 5))
    y = rnd(3, 4)
    same(lambda a, b: cr.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p), y, np.vstack([y, rnd(1, 4)]))
    # coordinates that tie for the largest difference, and zero differences
    same(lambda a, b: cr.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p),
         [[1., 2., 3.], [0, 0, 0]], [[0, 0, 0.], [2, 3, 4]])


@pytest.mark.parametrize("p", [1, 2, 3, INF])
def test_cdist_finite_differences(p):
    check_finite_differences([(5, 3), (4, 3)], lambda a, b: cr.cdist(a, b, p=p))
    check_finite_differences([(2, 30, 3), (1, 27, 3)], lambda a, b: cr.cdist(a, b, p=p))


@pytest.mark.parametrize("fn", [
    lambda a, b: F.cosine_similarity(a, b),
    lambda a, b: F.cosine_similarity(a.unsqueeze(1), b.unsqueeze(0), dim=-1),
    lambda a, b: F.pairwise_distance(a, b, p=3, keepdim=True),
    lambda a, b: F.normalize(a, p=2) * b,
    lambda a, b: F.normalize(a, p=1, dim=0) * b,
    lambda a, b: (a.sort(dim=1, descending=True).values * b).sum(),
    lambda a, b: a.topk(2, dim=0).values.sum() + b.sum(),
])
def test_similarity_finite_differences(fn):
    check_finite_differences([(4, 5), (4, 5)], fn)


def test_embedding_bag_finite_differences():
    ids, offsets = cr.tensor([0, 1, 1, 3, 2, 0]), cr.tensor([0, 2, 4])
    for mode in ("sum", "mean", "max"):
        check_finite_differences([(4, 3)], lambda w: F.embedding_bag(ids, w, offsets, mode=mode))
    check_finite_differences([(4, 3), (6,)], lambda w, psw: F.embedding_bag(ids, w, offsets, mode="sum",
                                                                           per_sample_weights=psw))


def test_cdist_errors_name_the_values():
    with pytest.raises(RuntimeError, match="X1: 3 X2: 4"):
        cr.cdist(cr.ones(2, 3), cr.ones(2, 4))
    with pytest.raises(RuntimeError, match="p=-1"):
        cr.cdist(cr.ones(2, 3), cr.ones(2, 3), p=-1)
    with pytest.raises(RuntimeError, match="1D"):
        cr.cdist(cr.ones(3), cr.ones(2, 3))


V = np.array([[3., 1., 3., 2., 1., 3.], [0., -0., 5., 5., 5., 1.]])
VN = np.array([1., np.nan, 3., -np.inf, np.inf, 0, np.nan])


@pytest.mark.parametrize("descending", [False, True])
def test_sort_ties_nan_and_integer_dtypes(descending):
    for arr in [V, VN, V.T]:
        for dim in range(arr.ndim):
            c = cr.tensor(arr).sort(dim=dim, descending=descending)
            t = torch.tensor(arr).sort(dim=dim, descending=descending)
            assert_close(c.values, t.values)
            np.testing.assert_array_equal(c.indices._data, t.indices.numpy())  # stable: ties keep their order
            ours = cr.tensor(arr).argsort(dim=dim, descending=descending)._data
            theirs = torch.tensor(arr).argsort(dim=dim, descending=descending, stable=True).numpy()
            np.testing.assert_array_equal(ours, theirs)
    for dt in ["uint8", "int32", "int64", "bool"]:
        arr = np.array([3, 0, 200 if dt == "uint8" else -5, 1, 3]).astype(dt)
        c = cr.tensor(arr).sort(descending=descending)
        t = torch.tensor(arr).sort(descending=descending, stable=True)
        np.testing.assert_array_equal(c.values._data, t.values.numpy())
        np.testing.assert_array_equal(c.indices._data, t.indices.numpy())
    big = np.array([np.iinfo(np.int64).min, 0, 5])
    np.testing.assert_array_equal(cr.tensor(big).argsort(descending=descending)._data,
                                  torch.tensor(big).argsort(descending=descending).numpy())
    same(lambda a: a.sort(dim=0, descending=descending).values, lambda a: a.sort(dim=0, descending=descending).values,
         rnd(4, 3))


@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_gradients_and_tie_rule(largest):
    for dim in (0, 1, -1):
        same(lambda a: a.topk(2, dim=dim, largest=largest).values,
             lambda a: a.topk(2, dim=dim, largest=largest).values, rnd(4, 6))
    for k in range(4):
        c, t = cr.tensor(V).topk(k, largest=largest), torch.tensor(V).topk(k, largest=largest)
        assert_close(c.values, t.values)  # PyTorch leaves the order of tied indices unspecified; ours:
    idx = cr.tensor(V).topk(3, largest=largest).indices._data
    expected = np.argsort(-V if largest else V, axis=1, kind="stable")[:, :3]  # ties: the lower index first
    np.testing.assert_array_equal(idx, expected)
    c, t = cr.tensor(VN).topk(3, largest=largest), torch.tensor(VN).topk(3, largest=largest)
    assert_close(c.values, t.values)
    with pytest.raises(RuntimeError, match="k=7"):
        cr.tensor(V).topk(7)


# -- EmbeddingBag --------------------------------------------------------------------------------

def bag_pair(weight, **kw):
    c = nn.EmbeddingBag.from_pretrained(cr.tensor(weight, dtype=cr.float64), freeze=False, **kw)
    t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weight, dtype=torch.float64), freeze=False, **kw)
    return c, t


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_1d_offsets(mode, padding_idx, include_last_offset):
    w = rnd(8, 3)
    w[5] = w[1]  # equal rows: ties in max
    ids = np.array([1, 2, 4, 5, 4, 3, 2, 2, 7, 0, 5])
    offsets = np.array([0, 2, 2, 5, 7] + ([11] if include_last_offset else []))  # bag 1 is empty, bag 3 only padding
    c, t = bag_pair(w, mode=mode, padding_idx=padding_idx, include_last_offset=include_last_offset)
    oc = c(cr.tensor(ids), cr.tensor(offsets))
    ot = t(torch.tensor(ids), torch.tensor(offsets))
    assert_close(oc, ot)
    g = rnd(*ot.shape)
    oc.backward(cr.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(c.weight.grad, t.weight.grad)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input(mode):
    w, ids = rnd(6, 4), np.array([[0, 1, 1], [5, 3, 0]])
    c, t = bag_pair(w, mode=mode)
    oc, ot = c(cr.tensor(ids)), t(torch.tensor(ids))
    assert_close(oc, ot)
    oc.sum().backward()
    ot.sum().backward()
    assert_close(c.weight.grad, t.weight.grad)


def test_embedding_bag_per_sample_weights():
    w, ids, offsets = rnd(6, 3), np.array([0, 1, 1, 5, 3, 0]), np.array([0, 3])
    c, t = bag_pair(w, mode="sum", padding_idx=5)
    pc, pt = pair(rnd(6))
    oc, ot = c(cr.tensor(ids), cr.tensor(offsets), pc), t(torch.tensor(ids), torch.tensor(offsets), pt)
    assert_close(oc, ot)
    g = rnd(2, 3)
    oc.backward(cr.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(c.weight.grad, t.weight.grad)
    assert_close(pc.grad, pt.grad)
    with pytest.raises(NotImplementedError, match="mode='mean'"):
        nn.EmbeddingBag(6, 3)(cr.tensor(ids), cr.tensor(offsets), pc)


def test_embedding_bag_from_pretrained_freeze_max_norm_and_errors():
    w = rnd(5, 3) * 3
    frozen = nn.EmbeddingBag.from_pretrained(cr.tensor(w))
    assert not frozen.weight.requires_grad
    c, t = bag_pair(w, mode="sum", max_norm=1.0)
    ids, offsets = np.array([0, 1, 3]), np.array([0, 1])
    assert_close(c(cr.tensor(ids), cr.tensor(offsets)), t(torch.tensor(ids), torch.tensor(offsets)), rtol=1e-6)
    assert_close(c.weight, t.weight, rtol=1e-6)  # the looked-up rows were renormalised in place, as in PyTorch
    bag = nn.EmbeddingBag(5, 3)
    with pytest.raises(IndexError, match="id 9"):
        bag(cr.tensor([1, 9]), cr.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(cr.tensor([[1, 2]]), cr.tensor([0]))
    with pytest.raises(ValueError, match="got None"):
        bag(cr.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0"):
        bag(cr.tensor([1, 2]), cr.tensor([1]))
    with pytest.raises(TypeError, match="expected integer offsets .*got dtype float32"):
        bag(cr.tensor([1, 2, 3]), cr.tensor([0.0, 1.5]))  # as PyTorch, not silently cut to [0, 1]
    with pytest.raises(ValueError, match="non-decreasing and at most len"):
        bag(cr.tensor([1, 2, 3]), cr.tensor([0, 2, 1]))
    with pytest.raises(ValueError, match="non-decreasing and at most len"):
        bag(cr.tensor([1, 2, 3]), cr.tensor([0, 7]))
    with pytest.raises(ValueError, match="mode"):
        nn.EmbeddingBag(5, 3, mode="median")
    with pytest.raises(NotImplementedError, match="mode='max'"):
        nn.EmbeddingBag(5, 3, mode="max", scale_grad_by_freq=True)(cr.tensor([[1, 2]]))


def test_embedding_from_pretrained_freeze_and_max_norm():
    w = rnd(5, 3) * 3
    for freeze in (True, False):
        c = nn.Embedding.from_pretrained(cr.tensor(w), freeze=freeze, max_norm=1.5)
        t = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, max_norm=1.5)
        assert c.weight.requires_grad == t.weight.requires_grad
        assert_close(c(cr.tensor([0, 2, 2])), t(torch.tensor([0, 2, 2])), rtol=1e-6)
        assert_close(c.weight, t.weight, rtol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    # the reference is torch's Embedding(scale_grad_by_freq=True) reduced per bag: every id's gradient divided
    # by its count in the input. (PyTorch 2.13's own CPU EmbeddingBag divides by the wrong counts here: for
    # ids [0, 1, 1, 5, 1, 0, 2] it gives id 1 a total of 1.5 and id 5 one of 1/3.)
    w, ids, bags = rnd(6, 3), np.array([0, 1, 1, 5, 1, 0, 2]), [(0, 3), (3, 3), (3, 7)]
    c = nn.EmbeddingBag.from_pretrained(cr.tensor(w), freeze=False, mode=mode, scale_grad_by_freq=True)
    oc = c(cr.tensor(ids), cr.tensor([b[0] for b in bags]))
    wt = torch.tensor(w, requires_grad=True)
    rows = TF.embedding(torch.tensor(ids), wt, scale_grad_by_freq=True)
    reduce = (lambda r: r.sum(0)) if mode == "sum" else (lambda r: r.mean(0) if len(r) else r.sum(0))
    ot = torch.stack([reduce(rows[a:b]) for a, b in bags])
    assert_close(oc, ot)
    g = rnd(3, 3)
    oc.backward(cr.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(c.weight.grad, wt.grad)
