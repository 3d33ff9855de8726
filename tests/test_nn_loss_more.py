"""Ranking, margin, embedding and likelihood losses: values and gradients against PyTorch (float64)."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op

import chainrule as cr

rng = np.random.default_rng(0)
SIGNS = rng.choice([-1.0, 1.0], size=6)
COUNTS = rng.poisson(3.0, size=(6, 4)).astype(float)
LABELS = rng.integers(0, 2, size=(6, 4)).astype(float)
CLASSES = rng.integers(0, 4, size=6)


def F(lib):
    return lib.nn.functional


def T(lib, x):
    return lib.tensor(x)


CASES = [
    ([(6,), (6,)], lambda a, b, lib: F(lib).margin_ranking_loss(a, b, T(lib, SIGNS), margin=0.3)),
    ([(6,)], lambda a, lib: F(lib).hinge_embedding_loss(a, T(lib, SIGNS), reduction="sum")),
    ([(6,)], lambda a, lib: F(lib).soft_margin_loss(a, T(lib, SIGNS))),
    ([(6, 4), (6, 4)], lambda a, b, lib: F(lib).cosine_embedding_loss(a, b, T(lib, SIGNS), margin=0.1)),
    ([(6, 4)], lambda a, lib: F(lib).poisson_nll_loss(a, T(lib, COUNTS))),
    ([(6, 4)], lambda a, lib: F(lib).poisson_nll_loss(a.abs() + 0.1, T(lib, COUNTS), log_input=False, full=True)),
    ([(6, 4), (6, 4)], lambda a, v, lib: F(lib).gaussian_nll_loss(a, T(lib, COUNTS), v.abs() + 0.1)),
    ([(6, 4), (6,)], lambda a, v, lib: F(lib).gaussian_nll_loss(a, T(lib, COUNTS), v.abs() + 0.1, full=True)),
    ([(6, 4), (6, 4), (6, 4)], lambda a, p, n, lib: F(lib).triplet_margin_loss(a, p, n)),
    ([(6, 4), (6, 4), (6, 4)], lambda a, p, n, lib: F(lib).triplet_margin_loss(a, p, n, p=1.0, swap=True)),
    ([(6, 4)], lambda a, lib: F(lib).multilabel_soft_margin_loss(a, T(lib, LABELS))),
    ([(6, 4)], lambda a, lib: F(lib).multi_margin_loss(a, T(lib, CLASSES))),
    ([(6, 4)], lambda a, lib: F(lib).multi_margin_loss(a, T(lib, CLASSES), p=2, margin=0.5, reduction="none")),
]


@pytest.mark.parametrize("shapes,fn", CASES)
def test_matches_torch(shapes, fn):
    check_op(shapes, fn)


@pytest.mark.parametrize("shapes,fn", [CASES[i] for i in (3, 6, 8, 11)])
def test_finite_differences(shapes, fn):
    check_finite_differences(shapes, fn)


MODULES = [
    ("MarginRankingLoss", dict(margin=0.2), 3), ("HingeEmbeddingLoss", {}, 2), ("SoftMarginLoss", {}, 2),
    ("CosineEmbeddingLoss", {}, 3), ("PoissonNLLLoss", {}, 2), ("GaussianNLLLoss", {}, 3),
    ("TripletMarginLoss", dict(margin=0.5), 3), ("MultiLabelSoftMarginLoss", {}, 2), ("MultiMarginLoss", {}, 2),
]


@pytest.mark.parametrize("name,kw,n", MODULES)
def test_modules_match_torch(name, kw, n):
    x = rng.normal(size=(6, 4))
    args = {
        "MarginRankingLoss": lambda lib: (T(lib, x[:, 0]), T(lib, x[:, 1]), T(lib, SIGNS)),
        "HingeEmbeddingLoss": lambda lib: (T(lib, x[:, 0]), T(lib, SIGNS)),
        "SoftMarginLoss": lambda lib: (T(lib, x[:, 0]), T(lib, SIGNS)),
        "CosineEmbeddingLoss": lambda lib: (T(lib, x), T(lib, x[::-1].copy()), T(lib, SIGNS)),
        "PoissonNLLLoss": lambda lib: (T(lib, x), T(lib, COUNTS)),
        "GaussianNLLLoss": lambda lib: (T(lib, x), T(lib, COUNTS), T(lib, np.abs(x) + 0.5)),
        "TripletMarginLoss": lambda lib: (T(lib, x), T(lib, x * 0.5), T(lib, x[::-1].copy())),
        "MultiLabelSoftMarginLoss": lambda lib: (T(lib, x), T(lib, LABELS)),
        "MultiMarginLoss": lambda lib: (T(lib, x), T(lib, CLASSES)),
    }[name]
    ours = getattr(cr.nn, name)(**kw)(*args(cr))
    theirs = getattr(torch.nn, name)(**kw)(*args(torch))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)


def test_triplet_with_distance_and_pdist():
    check_op([(6, 4), (6, 4), (6, 4)], lambda a, p, n, lib: F(lib).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: (x - y).abs().sum(-1), margin=0.5, swap=True))
    check_op([(6, 4), (6, 4), (6, 4)], lambda a, p, n, lib: lib.nn.TripletMarginWithDistanceLoss()(a, p, n))
    check_op([(5, 3)], lambda x, lib: F(lib).pdist(x) + F(lib).pdist(x, p=1.0))


def test_gumbel_softmax():
    g = cr.Generator().manual_seed(0)
    logits = cr.tensor([[1.0, 2.0, 0.5]], requires_grad=True).expand(20000, 3)
    y = F(cr).gumbel_softmax(logits, tau=0.5, generator=g)
    assert np.allclose(y.sum(1).detach().numpy(), 1)
    hard = F(cr).gumbel_softmax(logits, hard=True, generator=g)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(1) == 1)
    freq = h.mean(0)
    expected = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum()
    assert np.allclose(freq, expected, atol=0.015)  # Gumbel-max samples the categorical exactly
    (hard * cr.tensor([1.0, 2.0, 3.0])).sum().backward()  # straight-through: the soft sample's gradient
