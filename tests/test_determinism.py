"""Determinism: the same seed gives bitwise the same training on the same machine, and NumPy's global
random state (np.random.seed, np.random.rand, np.random.set_state) has no influence on anything."""

import re
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset, random_split
from chainrule.data import transforms as T
from chainrule.train import fit
from chainrule.train.callbacks import Callback

SRC = Path(__file__).parent.parent / "src" / "chainrule"


def images(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 8, 8), dtype=np.uint8)
    return X, rng.integers(0, 3, n).astype(np.int64)


class NumpyChaos(Callback):
    """Uses, reseeds and replaces NumPy's global random state all through training."""

    def _stir(self, *args):
        np.random.seed(np.random.randint(2**31))
        np.random.rand(10)
        np.random.shuffle(np.arange(10))
        np.random.set_state(np.random.RandomState(12345).get_state())
        np.random.standard_normal(3)

    on_train_begin = on_epoch_begin = on_epoch_end = on_train_batch_begin = on_train_batch_end = _stir

    def on_before_backward(self, batch, loss):
        self._stir()


def train(seed=0, chaos=False, epochs=1):
    """Everything random at once: init, split, shuffling, augmentation, dropout."""
    if chaos:
        np.random.seed(987)
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    transform = T.Compose([T.ToFloat(), T.RandomShift(1), T.RandomHorizontalFlip(), T.GaussianNoise(0.1)])
    history = fit(model, nn.CrossEntropyLoss(), opt, images(), epochs=epochs, val_split=0.25, batch_size=16,
                  seed=seed, verbose=0, transform=transform, callbacks=[NumpyChaos()] if chaos else [])
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}, history.history


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_same_seed_gives_bitwise_equal_weights_after_an_epoch():
    w1, h1 = train(seed=0)
    cr.manual_seed(99)  # whatever happened before must not matter: fit(seed=...) reseeds
    w2, h2 = train(seed=0)
    assert same(w1, w2) and h1 == h2


def test_another_seed_gives_other_weights():
    assert not same(train(seed=0)[0], train(seed=1)[0])  # so the test above can fail


def test_numpy_global_random_state_changes_nothing():
    w1, h1 = train(seed=0, epochs=2)
    w2, h2 = train(seed=0, epochs=2, chaos=True)
    assert same(w1, w2) and h1 == h2


def test_numpy_global_state_is_not_drawn_from():
    np.random.seed(5)
    before = np.random.get_state()
    train(seed=0)
    cr.randn(3)
    DataLoader(TensorDataset(np.zeros((10, 2))), batch_size=3, shuffle=True).__iter__().__next__()
    random_split(range(10), [0.5, 0.5])
    nn.init.xavier_uniform_(cr.empty(3, 3))
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def test_library_code_never_uses_numpy_global_random_functions():
    # np.random.<fn>(...) with the global RandomState: seed, rand, randn, randint, shuffle, permutation, ...
    allowed = {"Generator", "default_rng", "PCG64", "SeedSequence", "BitGenerator", "Philox", "SFC64", "MT19937"}
    pattern = re.compile(r"\b(?:np|numpy)\.random\.([A-Za-z_][A-Za-z0-9_]*)")
    offenders = []
    for path in SRC.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name in pattern.findall(line):
                if name not in allowed:
                    offenders.append(f"{path.relative_to(SRC)}:{number}: np.random.{name}")
    assert not offenders, offenders
    # and no `from numpy.random import rand`-style imports that would hide it
    assert not [p for p in SRC.rglob("*.py") if re.search(r"from numpy\.random import|from numpy import random",
                                                          p.read_text())]


@pytest.mark.parametrize("draw", [
    lambda: cr.randn(4, 4), lambda: cr.rand(5), lambda: cr.randint(0, 10, (6,)), lambda: cr.randperm(7),
    lambda: nn.Linear(5, 3).weight.detach(), lambda: nn.Dropout(0.5)(cr.ones(20)),
])
def test_every_draw_follows_manual_seed_only(draw):
    cr.manual_seed(0)
    np.random.seed(1)
    a = draw().numpy().copy()
    cr.manual_seed(0)
    np.random.seed(2)
    np.random.rand(100)
    assert np.array_equal(a, draw().numpy())
