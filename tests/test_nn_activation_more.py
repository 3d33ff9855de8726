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


@pytest.mark.parametrize("name", ["hardswish", "hardsigmoid"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hard_activations_gradient_at_the_kinks_matches_torch(name, dtype):
    # PyTorch 2.13: hardsigmoid's slope is 0 at exactly +-3; hardswish's is 0 at -3 and 1 at +3
    eps = 1e-9 if dtype == "float64" else 1e-4
    x = np.array([-4.0, -3 - eps, -3.0, -3 + eps, -1.5, 0.0, 1.5, 3 - eps, 3.0, 3 + eps, 4.0], dtype=dtype)
    ours_x = cr.tensor(x, requires_grad=True)
    ours = getattr(cr.nn.functional, name)(ours_x)
    upstream = np.linspace(0.5, 1.5, x.size).astype(dtype)  # a non-uniform upstream gradient
    ours.backward(cr.tensor(upstream))
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = getattr(torch.nn.functional, name)(theirs_x)
    theirs.backward(torch.tensor(upstream))
    assert ours.dtype == getattr(cr, dtype)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    # torch's float64 hardsigmoid slope is float32(1/6) (a 3e-8 relative difference); ours is 1/6 in the dtype
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-6 if dtype == "float32" else 1e-7,
                               atol=0)
    at_kinks = ours_x.grad.numpy()[[2, 8]] / upstream[[2, 8]]
    np.testing.assert_allclose(at_kinks, [0.0, 0.0] if name == "hardsigmoid" else [0.0, 1.0])
    module = {"hardswish": cr.nn.Hardswish, "hardsigmoid": cr.nn.Hardsigmoid}[name]()
    x3 = cr.tensor([-3.0, 3.0], requires_grad=True)
    module(x3).sum().backward()
    np.testing.assert_array_equal(x3.grad.numpy(), [0.0, 0.0] if name == "hardsigmoid" else [0.0, 1.0])
