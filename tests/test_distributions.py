"""chainrule.distributions against torch.distributions: log_prob, entropy, moments and their gradients
(float64); samples checked by shape and by their statistics."""

import numpy as np
import pytest
from oracle import check_op

import chainrule as cr

rng = np.random.default_rng(0)
ACTIONS = rng.integers(0, 4, size=(5, 3))
BITS = rng.integers(0, 2, size=(3, 4)).astype(float)


def D(lib):
    return lib.distributions


CASES = [
    ([(3, 4), (3, 4), (3, 4)], lambda loc, s, v, lib: D(lib).Normal(loc, s.abs() + 0.1).log_prob(v)),
    ([(3, 4), (3, 4)], lambda loc, s, lib: D(lib).Normal(loc, s.abs() + 0.1).entropy()),
    ([(3, 4), (3, 4), (3, 4)], lambda loc, s, v, lib: D(lib).Normal(loc, s.abs() + 0.1).cdf(v)),
    ([(3, 4), (3, 4), (3, 4), (3, 4)], lambda a, b, c, d, lib: D(lib).kl_divergence(
        D(lib).Normal(a, b.abs() + 0.1), D(lib).Normal(c, d.abs() + 0.2))),
    ([(3, 4)], lambda lg, lib: D(lib).Categorical(logits=lg).log_prob(lib.tensor(ACTIONS))),
    ([(3, 4)], lambda lg, lib: D(lib).Categorical(logits=lg).entropy() + D(lib).Categorical(logits=lg).probs.sum(1)),
    ([(3, 4)], lambda p, lib: D(lib).Categorical(probs=p.abs() + 0.1).log_prob(lib.tensor(ACTIONS[0]))),
    ([(3, 4)], lambda p, lib: D(lib).Categorical(probs=p.abs() + 0.1).entropy()),
    ([(3, 4)], lambda lg, lib: D(lib).Bernoulli(logits=lg).log_prob(lib.tensor(BITS))),
    ([(3, 4)], lambda lg, lib: D(lib).Bernoulli(logits=lg).entropy() + D(lib).Bernoulli(logits=lg).variance),
    ([(3, 4)], lambda p, lib: D(lib).Bernoulli(probs=p.sigmoid()).log_prob(lib.tensor(BITS))),
    ([(3, 4), (3, 4)], lambda lo, w, lib: D(lib).Uniform(lo, lo + w.abs() + 1).entropy()
     + D(lib).Uniform(lo, lo + w.abs() + 1).mean + D(lib).Uniform(lo, lo + w.abs() + 1).stddev),
]


@pytest.mark.parametrize("shapes,fn", CASES)
def test_matches_torch(shapes, fn):
    check_op(shapes, fn)


def test_samples_have_the_right_shape_and_statistics():
    g = cr.Generator().manual_seed(0)
    n = cr.distributions.Normal(cr.tensor([1.0, -2.0]), cr.tensor([0.5, 2.0]))
    x = n.rsample((50_000,), generator=g)
    assert tuple(x.shape) == (50_000, 2) and np.allclose(x.mean(0).numpy(), [1, -2], atol=0.03)
    assert np.allclose(x.std(0).numpy(), [0.5, 2.0], atol=0.03) and not n.sample().requires_grad
    c = cr.distributions.Categorical(probs=cr.tensor([0.2, 0.8]))
    s = c.sample((20_000,), generator=g)
    assert tuple(s.shape) == (20_000,) and abs(s.float().mean().item() - 0.8) < 0.01
    b = cr.distributions.Bernoulli(probs=cr.full((3,), 0.3)).sample((10_000,), generator=g)
    assert tuple(b.shape) == (10_000, 3) and abs(b.mean().item() - 0.3) < 0.02
    u = cr.distributions.Uniform(2.0, 5.0).sample((10_000,), generator=g)
    assert 2 <= u.min().item() and u.max().item() < 5


def test_reinforce_and_reparameterisation_gradients_flow():
    logits = cr.zeros(3, requires_grad=True)
    dist = cr.distributions.Categorical(logits=logits)
    action = dist.sample()
    (-dist.log_prob(action) * 2.0).backward()
    assert logits.grad is not None and abs(logits.grad.sum().item()) < 1e-6
    loc = cr.zeros(2, requires_grad=True)
    cr.distributions.Normal(loc, 1.0).rsample((4,)).sum().backward()
    assert loc.grad.tolist() == [4.0, 4.0]
    with pytest.raises(ValueError):
        cr.distributions.Categorical()
