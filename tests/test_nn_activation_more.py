"""The less common activations and similarity layers: values, gradients and repr against PyTorch."""

import numpy as np
import pytest
import torch
from oracle import check_finite_differences, check_op

import chainrule as cr

FUNCTIONAL = [
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("selu", {}), ("celu", {}),
    ("celu", {"alpha": 0.5}), ("softsign", {}), ("logsigmoid", {}), ("mish", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("softshrink", {}), ("softshrink", {"lambd": 1.0}), ("hardshrink", {}),
    ("tanhshrink", {}), ("relu6", {}),
]


@pytest.mark.parametrize("name,kw", FUNCTIONAL)
def test_functional_matches_torch(name, kw):
    # inputs away from the kinks, where both libraries define one-sided derivatives differently
    x = np.random.default_rng(0).uniform(-4, 4, size=(4, 5))
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.2, x)
    check_op([cr.tensor(x, requires_grad=True)], lambda a, lib: getattr(
        torch.nn.functional if lib is torch else cr.nn.functional, name)(a, **kw))


def test_threshold_glu_prelu_rrelu_cosine_pairwise():
    F = {torch: torch.nn.functional, cr: cr.nn.functional}
    check_op([(4, 5)], lambda a, lib: F[lib].threshold(a, 0.3, -2.0))
    check_op([(4, 6)], lambda a, lib: F[lib].glu(a) + F[lib].glu(a, dim=1))
    check_op([(4, 3, 2), (3,)], lambda a, w, lib: F[lib].prelu(a, w))
    check_op([(4, 5)], lambda a, lib: F[lib].rrelu(a, training=False))
    check_op([(4, 5), (4, 5)], lambda a, b, lib: F[lib].cosine_similarity(a, b))
    check_op([(4, 5), (1, 5)], lambda a, b, lib: F[lib].cosine_similarity(a, b, dim=-1))
    check_op([(4, 5), (4, 5)], lambda a, b, lib: F[lib].pairwise_distance(a, b))
    check_op([(4, 5), (4, 5)], lambda a, b, lib: F[lib].pairwise_distance(a, b, p=1.0, keepdim=True))
    check_finite_differences([(4, 6)], lambda a, lib: cr.nn.functional.glu(a) * cr.nn.functional.mish(a[:, :3]))


MODULES = [("Hardtanh", ()), ("ReLU6", ()), ("SELU", ()), ("CELU", (0.7,)), ("Softsign", ()), ("LogSigmoid", ()),
           ("Mish", ()), ("Hardswish", ()), ("Hardsigmoid", ()), ("Softshrink", (0.3,)), ("Hardshrink", ()),
           ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)), ("GLU", ()), ("PReLU", ()), ("PReLU", (3,)),
           ("RReLU", ()), ("CosineSimilarity", ()), ("PairwiseDistance", ())]


@pytest.mark.parametrize("name,args", MODULES)
def test_modules_match_torch(name, args):
    ours, theirs = getattr(cr.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).uniform(-3, 3, size=(2, 3, 4))
    if name in ("CosineSimilarity", "PairwiseDistance"):
        out = ours(cr.tensor(x), cr.tensor(x[::-1].copy()))
        expected = theirs(torch.tensor(x), torch.tensor(x[::-1].copy()))
    else:
        if name == "PReLU":
            ours.double()
            theirs.double()
        out, expected = ours(cr.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_prelu_learns_its_slope():
    layer = cr.nn.PReLU()
    assert [n for n, _ in layer.named_parameters()] == ["weight"] and layer.weight.item() == 0.25
    layer(cr.tensor([-2.0, 1.0])).sum().backward()
    assert layer.weight.grad.tolist() == [-2.0]
