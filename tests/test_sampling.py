"""normal / multinomial / bernoulli / poisson and the in-place samplers: shapes, dtypes, errors and
distributions as PyTorch's (the numbers differ: chainrule's generator is PCG64)."""

import numpy as np
import pytest
import torch

import chainrule as cr


def _same_meta(c, t):
    assert tuple(c.shape) == tuple(t.shape) and str(t.dtype).removeprefix("torch.") == str(c.dtype)


@pytest.mark.parametrize("make", [
    lambda lib: lib.normal(lib.zeros(3, 2), lib.ones(3, 2)),
    lambda lib: lib.normal(lib.zeros(3, 1, dtype=lib.float64), 2.0),
    lambda lib: lib.normal(1.0, lib.ones(4)),
    lambda lib: lib.normal(0.0, 1.0, size=(2, 5)),
    lambda lib: lib.normal(lib.zeros(3, 1), lib.ones(1, 4)),
    lambda lib: lib.multinomial(lib.tensor([0.2, 0.3, 0.5]), 2),
    lambda lib: lib.multinomial(lib.ones(4, 3), 7, replacement=True),
    lambda lib: lib.bernoulli(lib.full((3, 2), 0.5)),
    lambda lib: lib.bernoulli(lib.full((3,), 0.5, dtype=lib.float64)),
    lambda lib: lib.poisson(lib.full((2, 3), 4.0)),
    lambda lib: lib.ones(5).multinomial(2),
])
def test_shapes_and_dtypes_match_torch(make):
    _same_meta(make(cr), make(torch))


def test_distributions_are_right():
    g = cr.Generator().manual_seed(0)
    x = cr.normal(cr.full((200_000,), 3.0), cr.full((200_000,), 2.0), generator=g)
    assert abs(x.mean().item() - 3) < 0.02 and abs(x.std().item() - 2) < 0.02
    w = cr.tensor([1.0, 0.0, 3.0])
    s = cr.multinomial(w, 40_000, replacement=True, generator=g).numpy()
    assert not np.any(s == 1) and abs(np.mean(s == 2) - 0.75) < 0.01
    # without replacement: the first draw follows the weights, every row is a permutation prefix
    rows = cr.multinomial(cr.tensor([[1.0, 2.0, 7.0]]).expand(20_000, 3), 3, generator=g).numpy()
    assert all(sorted(r) == [0, 1, 2] for r in rows[:100])
    assert abs(np.mean(rows[:, 0] == 2) - 0.7) < 0.015
    # zero-weight categories come last without replacement, as torch
    assert cr.multinomial(cr.tensor([1.0, 0.0, 0.0]), 2, generator=g).tolist() == [0, 1]
    b = cr.bernoulli(cr.full((100_000,), 0.25), generator=g)
    assert abs(b.mean().item() - 0.25) < 0.01 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    p = cr.poisson(cr.full((100_000,), 4.0), generator=g)
    assert abs(p.mean().item() - 4) < 0.03 and abs(p.var().item() - 4) < 0.1


def test_generator_makes_draws_reproducible():
    for draw in [lambda g: cr.normal(0.0, 1.0, (5,), generator=g), lambda g: cr.multinomial(cr.ones(9), 4, generator=g),
                 lambda g: cr.bernoulli(cr.full((5,), 0.5), generator=g), lambda g: cr.poisson(cr.ones(5), generator=g),
                 lambda g: cr.zeros(5).normal_(0, 1, generator=g), lambda g: cr.zeros(5).uniform_(-1, 1, generator=g),
                 lambda g: cr.zeros(5).exponential_(generator=g), lambda g: cr.zeros(5).bernoulli_(0.3, generator=g)]:
        a, b = draw(cr.Generator().manual_seed(7)), draw(cr.Generator().manual_seed(7))
        assert a.equal(b)
    cr.manual_seed(3)
    a = cr.normal(0.0, 1.0, (4,))
    cr.manual_seed(3)
    assert a.equal(cr.normal(0.0, 1.0, (4,)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.normal(lib.zeros(2), -1.0),
    lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1),
    lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1),
    lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 3),
    lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1),
    lambda lib: lib.multinomial(lib.tensor([1, 2]), 1),
    lambda lib: lib.multinomial(lib.ones(3), 0),
    lambda lib: lib.bernoulli(lib.tensor([1.5])),
    lambda lib: lib.poisson(lib.tensor([-1.0])),
])
def test_bad_input_raises_what_torch_raises(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)):
        call(cr)


def test_inplace_init_on_parameter_data():
    layer = cr.nn.Linear(50, 40)
    g = cr.Generator().manual_seed(0)
    layer.weight.data.normal_(0.0, 0.01, generator=g)
    w = layer.weight.detach().numpy()
    assert abs(w.std() - 0.01) < 0.001 and layer.weight.dtype == cr.float32
    layer.bias.data.fill_(0.5)
    assert np.all(layer.bias.detach().numpy() == 0.5)
    layer.bias.data.zero_()
    assert np.all(layer.bias.detach().numpy() == 0)
    layer.weight.data.uniform_(-0.1, 0.1)
    assert np.abs(layer.weight.detach().numpy()).max() <= 0.1
    assert layer.weight.requires_grad and layer.weight.is_leaf
    r = cr.zeros(1000).random_(0, 5)
    assert set(np.unique(r.numpy())) == {0, 1, 2, 3, 4}
