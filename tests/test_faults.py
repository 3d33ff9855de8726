"""Numerical faults: fit stops before the optimizer step on a NaN/inf loss or gradient, names where it
happened and what to try, leaves the parameters and the last checkpoint as they were."""

import math

import numpy as np
import pytest
from helpers import blobs, weights
from helpers import mlp as _mlp

import chainrule as cr
from chainrule import nn, optim
from chainrule.autograd import Op
from chainrule.io import load_checkpoint
from chainrule.train import NonFiniteError, fit
from chainrule.train.callbacks import LambdaCallback, TerminateOnNaN


def mlp(*middle):
    return _mlp(*middle, hidden=8)




class NaNLossAt:
    """Cross-entropy that returns NaN on its k-th call (from 1)."""

    def __init__(self, k):
        self.k, self.calls = k, 0

    def __call__(self, output, target):
        self.calls += 1
        loss = nn.functional.cross_entropy(output, target)
        return loss * float("nan") if self.calls == self.k else loss


class PoisonGrad(nn.Module):
    """Identity forward; on the k-th backward (from 1) the gradient it passes on is NaN, the loss stays finite."""

    def __init__(self, k):
        super().__init__()
        self.k, self.calls = k, 0

    def forward(self, x):
        self.calls += 1
        return _Poison.apply(x, bad=self.calls == self.k)


class _Poison(Op):
    def forward(ctx, x, bad=False):
        ctx.bad = bad
        return x.copy()

    def backward(ctx, grad):
        return grad * np.float32("nan") if ctx.bad else grad


def snapshots(model):
    """A callback recording the model's weights after every step, and the list they go into."""
    seen = []
    return seen, LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(weights(model)))


def test_nan_loss_stops_before_the_update_and_the_checkpoint_stays_good(tmp_path):
    X, y = blobs()  # 3 steps per epoch with batches of 32
    model = mlp()
    seen, recorder = snapshots(model)
    opt = optim.Adam(model.parameters(), lr=0.01)
    ckpt = tmp_path / "ckpt.safetensors"
    with pytest.raises(NonFiniteError) as info:  # the 5th step: epoch 2, step 2
        fit(model, NaNLossAt(5), opt, (X, y), epochs=3, seed=0, verbose=0, checkpoint=ckpt, checkpoint_every=1,
            callbacks=[recorder])
    error = info.value
    assert isinstance(error, FloatingPointError) and (error.epoch, error.step, error.parameter) == (1, 1, None)
    message = str(error)
    assert "the loss is nan at epoch 2, step 2" in message
    assert "before this step's update" in message and "lower learning rate (lr=0.01)" in message
    assert f"the last checkpoint, {ckpt}, is as it was" in message
    assert "clip_grad_norm" in message and "check_finite=False" in message
    assert len(seen) == 4
    assert all(np.array_equal(weights(model)[k], seen[-1][k]) for k in seen[-1])  # untouched by step 5
    # the checkpoint on disk is the state after step 4, and it loads
    fresh = mlp()
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.01)
    extra = load_checkpoint(ckpt, model=fresh, optimizer=fresh_opt)
    assert (extra["fit"]["epoch"], extra["fit"]["step"], extra["fit"]["global_step"]) == (1, 1, 4)
    assert all(np.array_equal(weights(fresh)[k], seen[-1][k]) for k in seen[-1])
    assert fresh_opt.state[fresh[0].weight]["step"] == 4


def test_nan_gradient_names_the_first_bad_parameter():
    X, y = blobs()
    model = nn.Sequential(nn.Linear(2, 8), PoisonGrad(k=2), nn.ReLU(), nn.Linear(8, 2))
    seen, recorder = snapshots(model)
    with pytest.raises(NonFiniteError) as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, seed=0,
            verbose=0, callbacks=[recorder])
    error = info.value
    assert (error.epoch, error.step, error.parameter) == (0, 1, "0.weight")
    message = str(error)
    assert "gradient of parameter '0.weight' (shape (8, 2)) has 16 non-finite values (nan)" in message
    assert "at epoch 1, step 2, with a finite loss" in message and "detect_anomaly" in message
    assert len(seen) == 1 and all(np.array_equal(weights(model)[k], seen[0][k]) for k in seen[0])


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_huge_learning_rate_is_stopped_with_finite_parameters():
    X, y = blobs()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    with pytest.raises(NonFiniteError, match=r"Try a lower learning rate \(lr=1e\+30\)") as info:
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1e30), (X, y[:, None].astype(np.float32)),
            epochs=5, seed=0, verbose=0, metrics=())
    assert info.value.epoch == 0
    assert all(np.isfinite(v).all() for v in weights(model).values())


def test_nan_in_the_inputs_is_caught():
    X, y = blobs()
    X[40, 1] = np.nan  # in the second batch without shuffling
    with pytest.raises(NonFiniteError, match="epoch 1, step 2"):
        fit(mlp(), nn.CrossEntropyLoss(), optim.SGD(mlp().parameters(), lr=0.1), (X, y), shuffle=False, verbose=0)


def test_check_finite_false_lets_nan_through():
    X, y = blobs()
    model = mlp()
    history = fit(model, NaNLossAt(2), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1, seed=0, verbose=0,
                  check_finite=False)
    assert math.isnan(history.history["loss"][0])
    assert not np.isfinite(weights(model)["0.weight"]).all()  # what the default protects against


def test_terminate_on_nan_is_the_soft_alternative():
    X, y = blobs()
    model = mlp()
    stopper = TerminateOnNaN()
    history = fit(model, NaNLossAt(2), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, seed=0, verbose=0,
                  callbacks=[stopper])  # stops without raising: it sees the loss first
    assert stopper.stopped_at == (0, 1) and history.epoch == [0]
    assert all(np.isfinite(v).all() for v in weights(model).values())


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_finite_gradients_whose_sum_overflows_are_not_an_error():
    # the cheap check adds up float32 sums of squares; gradients of 3e38 overflow it, but all are finite
    class Huge(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(cr.zeros(4))

        def forward(self, x):
            return (self.w * 3e38).sum() + x.sum() * 0

    model = Huge()
    fit(model, lambda out, target: out, optim.SGD(model.parameters(), lr=0.0), (np.zeros((4, 1), np.float32),
        np.zeros(4, np.float32)), batch_size=4, verbose=0, metrics=())


def test_clip_grad_norm_option_keeps_a_high_learning_rate_finite():
    X, y = blobs()
    model = mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), (X, y), epochs=3, seed=0, verbose=0,
        clip_grad_norm=0.01)
    assert all(np.isfinite(v).all() for v in weights(model).values())
    with pytest.raises(ValueError, match="clip_grad_norm must be a positive number, got -1"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), (X, y), clip_grad_norm=-1)


def test_with_clipping_the_error_still_names_the_parameter_whose_gradient_went_bad(monkeypatch):
    import numpy as np

    import chainrule as cr
    from chainrule import nn
    from chainrule.train import NonFiniteError, fit

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    X = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
    y = np.zeros(16, np.int64)
    backward = cr.Tensor.backward

    def poisoned(self, *args, **kwargs):
        backward(self, *args, **kwargs)
        model[2].bias.grad._data[0] = np.nan  # only this parameter's gradient is bad

    monkeypatch.setattr(cr.Tensor, "backward", poisoned)
    with pytest.raises(NonFiniteError) as info:
        fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
            batch_size=8, verbose=0, clip_grad_norm=1.0)
    assert info.value.parameter == "2.bias"
