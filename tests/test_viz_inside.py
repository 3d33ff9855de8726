"""Inside the network: dead-ReLU fraction and gradient-norm ratio on constructed cases, and the callback."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import fit
from chainrule.train.callbacks import InsideRecorder
from chainrule.viz.inside import dead_fraction, grad_norm_ratio, inspect_batch


def _model():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with cr.no_grad():
        # units 0 and 1 always fire on positive inputs; 2 and 3 never do (dead): 50% dead
        model[0].weight.copy_(cr.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]))
        model[0].bias.fill_(0.0)
    return model


def test_dead_relu_fraction_and_gradient_ratio_on_a_constructed_case():
    model = _model()
    x = cr.tensor(np.random.default_rng(0).uniform(0.1, 1.0, (16, 2)).astype(np.float32))
    y = cr.tensor(np.arange(16) % 2)
    snap = inspect_batch(model, nn.CrossEntropyLoss(), x, y)
    assert snap.dead["ReLU 1"] == 0.5
    # the expected ratio, from an ordinary backward
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    first, last = model[0].weight.grad.numpy(), model[4].weight.grad.numpy()
    assert snap.grad_ratio == pytest.approx(np.linalg.norm(first) / np.linalg.norm(last), rel=1e-6)
    assert list(snap.grads) == ["0.weight", "2.weight", "4.weight"]
    assert np.array_equal(snap.grads["0.weight"], first)
    worst = max(snap.dead, key=snap.dead.get)  # the diagnosis names the layer with most dead units
    assert f"{100 * snap.dead[worst]:.0f}% of {worst}'s units never fire" in snap.diagnosis()


def test_inspect_batch_restores_grads():
    model = _model()
    for p in model.parameters():
        p.grad = cr.ones_like(p)
    inspect_batch(model, nn.CrossEntropyLoss(), cr.ones(4, 2), cr.tensor([0, 1, 0, 1]))
    assert all(float(p.grad.numpy().min()) == 1.0 for p in model.parameters())


def test_helpers_on_hand_made_arrays():
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert dead_fraction(a) == pytest.approx(1 / 3)
    assert grad_norm_ratio([np.full(4, 1e-4), np.ones(4)]) == pytest.approx(1e-4)
    from chainrule.viz.inside import Snapshot

    assert "vanishing gradients" in Snapshot(grad_ratio=1e-4).diagnosis()
    assert "exploding gradients" in Snapshot(grad_ratio=1e4).diagnosis()


def test_inside_recorder_writes_a_plot_per_epoch(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    rec = InsideRecorder(X[:32], y[:32], nn.CrossEntropyLoss(), log_dir=tmp_path, every=1)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, verbose=0, seed=0,
        callbacks=[rec])
    assert [s.epoch for s in rec.snapshots] == [1, 2]
    assert (tmp_path / "inside-epoch2.png").stat().st_size > 1000
    assert rec.summary().startswith("inside the network (epoch 2): dead ReLUs:")


def test_large_arrays_keep_a_sample_and_the_diagnoses_use_the_whole_batch():
    # 600 units on 64 samples (38,400 values > SAMPLE): the snapshot holds 20,000 of them, but the dead
    # fraction (units 300-599 never fire) and the gradient ratio come from the whole arrays
    from chainrule.viz import inside

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 600), nn.ReLU(), nn.Linear(600, 40), nn.Linear(40, 2))
    with cr.no_grad():
        w = np.zeros((600, 2), np.float32)
        w[:300, 0] = 1.0
        w[300:, 0] = -1.0
        model[0].weight.copy_(cr.tensor(w))
        model[0].bias.fill_(0.0)
    x = cr.tensor(np.random.default_rng(0).uniform(0.1, 1.0, (64, 2)).astype(np.float32))
    y = cr.tensor(np.arange(64) % 2)
    snap = inspect_batch(model, nn.CrossEntropyLoss(), x, y)
    assert snap.activations["ReLU 1"].shape == (inside.SAMPLE,)
    assert snap.dead["ReLU 1"] == 0.5
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    ratio = np.linalg.norm(model[0].weight.grad.numpy()) / np.linalg.norm(model[3].weight.grad.numpy())
    assert snap.grad_ratio == pytest.approx(ratio, rel=1e-6)
    assert snap.grads["2.weight"].shape == (inside.SAMPLE,) and snap.grads["3.weight"].shape == (2, 40)
    values = snap.activations["ReLU 1"]  # a sample of the whole batch: about half zeros (the dead units)
    assert 0.45 < np.mean(values == 0) < 0.55
    again = inspect_batch(model, nn.CrossEntropyLoss(), x, y)  # the same sample every time
    assert np.array_equal(again.activations["ReLU 1"], values)
