"""fit's graph-free step for MLPs (train/chain.py) gives the bits of the ordinary step, and steps aside
wherever the ordinary step has something to do."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.ops import matmul
from chainrule.train import chain, fit
from chainrule.train.callbacks import Callback


def _data(n=230, d=12, classes=4, regression=False, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    if regression:
        return X, (X[:, :2] @ np.array([[1.0, -2.0], [0.5, 1.0]])).astype(dtype)
    return X, rng.integers(0, classes, n)


def _train(monkeypatch, on, build, loss_fn, data, optimizer=cr.optim.Adam, batch_size=64, epochs=3, **kw):
    """Parameters, gradients and loss history of a fit with the chain step on or off, and its step count."""
    monkeypatch.setattr(chain, "enabled", on)
    cr.manual_seed(0)
    model = build()
    opt = optimizer(model.parameters(), lr=1e-2)
    taken = _count_chain_steps(monkeypatch)
    history = fit(model, loss_fn, opt, data, epochs=epochs, batch_size=batch_size, seed=1, verbose=0,
                  check_finite=False, **kw)
    state = [p.detach().numpy().copy() for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.numpy().copy() for p in model.parameters()]
    return state, grads, history.history, len(taken)


def _count_chain_steps(monkeypatch):
    """A list that gets an entry for every step the chain took (not for those it declined)."""
    taken = []
    real = chain.ChainStep.__call__

    def counted(self, x, y):
        result = real(self, x, y)
        if result is not None:
            taken.append(1)
        return result

    monkeypatch.setattr(chain.ChainStep, "__call__", counted)
    return taken


def _assert_same_run(a, b):
    for u, v in zip(a[0] + a[1], b[0] + b[1]):
        if u is None or v is None:
            assert u is None and v is None
            continue
        assert u.dtype == v.dtype
        np.testing.assert_array_equal(u, v)
    assert a[2] == b[2]  # the losses and metrics of every epoch


MODELS = {
    "one hidden": lambda: nn.Sequential(nn.Linear(12, 40), nn.ReLU(), nn.Linear(40, 4)),
    "two hidden": lambda: nn.Sequential(nn.Linear(12, 100), nn.ReLU(), nn.Linear(100, 16), nn.ReLU(inplace=True),
                                        nn.Linear(16, 4)),
    "no hidden": lambda: nn.Sequential(nn.Linear(12, 4)),
    "relu last": lambda: nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU()),
    "dropout": lambda: nn.Sequential(nn.Dropout(0.1), nn.Linear(12, 100), nn.ReLU(), nn.Dropout(0.3),
                                     nn.Linear(100, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 4)),
}


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chain_step_gives_the_ordinary_steps_bits(monkeypatch, name, jit, dtype):
    if not jit:
        monkeypatch.setattr(matmul, "_kernels", lambda: None)  # the layers' NumPy forms
    X, y = _data(dtype=dtype)
    data = (X, y) if dtype == np.float32 else (cr.from_numpy(X), cr.from_numpy(y))  # (float64 arrays: float32)

    def build():
        return MODELS[name]().to(dtype)

    # batch 64 (below a 100-wide layer: the transposed product) and a last batch of 38
    fast = _train(monkeypatch, True, build, nn.CrossEntropyLoss(), data)
    plain = _train(monkeypatch, False, build, nn.CrossEntropyLoss(), data)
    assert fast[3] == 3 * 4 - 1 and plain[3] == 0  # every step but a fit's first took the chain
    _assert_same_run(fast, plain)


@pytest.mark.parametrize("optimizer", [cr.optim.Adam, cr.optim.SGD])
def test_regression_flatten_and_a_frozen_bias(monkeypatch, optimizer):
    X, y = _data(n=150, regression=True)
    images = X.reshape(150, 3, 4)

    def build():
        model = nn.Sequential(nn.Flatten(), nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 2))
        model[1].bias.requires_grad_(False)
        return model

    fast = _train(monkeypatch, True, build, nn.MSELoss(), (images, y), optimizer=optimizer, batch_size=200)
    plain = _train(monkeypatch, False, build, nn.MSELoss(), (images, y), optimizer=optimizer, batch_size=200)
    assert fast[3] == 2 and fast[1][1] is None  # 3 epochs of one batch; the frozen bias has no gradient
    _assert_same_run(fast, plain)


class _BeforeBackward(Callback):
    def on_before_backward(self, step, loss):
        pass


@pytest.mark.parametrize("case", ["tanh", "weighted loss", "smoothing", "forward hook", "tensor hook",
                                  "before-backward callback", "float64 data", "anomaly"])
def test_everything_else_takes_the_ordinary_step(monkeypatch, case):
    X, y = _data()
    build = MODELS["one hidden"]
    loss_fn, kw = nn.CrossEntropyLoss(), {}
    if case == "tanh":
        def build():
            return nn.Sequential(nn.Linear(12, 40), nn.Tanh(), nn.Linear(40, 4))
    elif case == "weighted loss":
        loss_fn = nn.CrossEntropyLoss(weight=cr.ones(4))
    elif case == "smoothing":
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    elif case == "forward hook":
        def build():
            model = MODELS["one hidden"]()
            model[2].register_forward_hook(lambda m, args, out: None)
            return model
    elif case == "tensor hook":
        def build():
            model = MODELS["one hidden"]()
            model[0].weight.register_hook(lambda g: g * 2)
            return model
    elif case == "before-backward callback":
        kw = {"callbacks": [_BeforeBackward()]}
    elif case == "float64 data":  # a float64 Tensor stays float64 (arrays become float32) for a float32 model
        X, y = cr.tensor(X, dtype=cr.float64), cr.tensor(y)
    fast_kw = dict(kw)
    if case == "anomaly":
        with cr.autograd.detect_anomaly():
            fast = _train(monkeypatch, True, build, loss_fn, (X, y), **fast_kw)
        assert fast[3] == 0  # declined: detect_anomaly needs the graph
        plain = _train(monkeypatch, False, build, loss_fn, (X, y), **kw)
        _assert_same_run(fast, plain)
        return
    fast = _train(monkeypatch, True, build, loss_fn, (X, y), **fast_kw)
    plain = _train(monkeypatch, False, build, loss_fn, (X, y), **kw)
    assert fast[3] == 0
    _assert_same_run(fast, plain)


def _guarded_fit(monkeypatch, on, lr, dtype=cr.float32):
    monkeypatch.setattr(chain, "enabled", on)
    X, y = _data()
    cr.manual_seed(0)
    model = MODELS["two hidden"]().to(dtype)
    taken = _count_chain_steps(monkeypatch)
    try:
        fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=lr), (X, y), epochs=3, verbose=0,
            seed=0)  # check_finite=True: the guard's checks around every step
        error = None
    except cr.train.NonFiniteError as e:
        error = str(e)
    return [p.detach().numpy().copy() for p in model.parameters()], error, len(taken)


def test_the_non_finite_guard_sees_the_same_steps(monkeypatch):
    fast, plain = _guarded_fit(monkeypatch, True, 1e-2), _guarded_fit(monkeypatch, False, 1e-2)
    assert fast[2] > 0 and plain[2] == 0 and fast[1] is None is plain[1]
    for a, b in zip(fast[0], plain[0]):
        np.testing.assert_array_equal(a, b)
    # an lr that overflows: the same error at the same step, the parameters left finite and equal
    fast, plain = _guarded_fit(monkeypatch, True, 1e30), _guarded_fit(monkeypatch, False, 1e30)
    assert fast[1] is not None and fast[1] == plain[1]
    for a, b in zip(fast[0], plain[0]):
        assert np.isfinite(a).all()
        np.testing.assert_array_equal(a, b)


def _nan_stopped_fit(monkeypatch, on, lr):
    from chainrule.train.callbacks import TerminateOnNaN

    monkeypatch.setattr(chain, "enabled", on)
    X, y = _data()
    cr.manual_seed(0)
    model = cr.models.mlp(12, hidden=(32, 16), out_features=4, dropout=0.2)  # as `chainrule train` builds it
    taken = _count_chain_steps(monkeypatch)
    stop = TerminateOnNaN()
    history = fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=lr), (X, y), epochs=3,
                  verbose=0, seed=0, check_finite=False, callbacks=[stop])
    return [p.detach().numpy().copy() for p in model.parameters()], stop.stopped_at, history.history, len(taken)


def test_terminate_on_nan_and_the_commands_mlp(monkeypatch, capsys):
    # chainrule train's MLP (Flatten, Linear, ReLU, Dropout) with its TerminateOnNaN: the chain, same bits
    fast, plain = _nan_stopped_fit(monkeypatch, True, 1e-2), _nan_stopped_fit(monkeypatch, False, 1e-2)
    assert fast[3] == 3 * 8 - 1 and plain[3] == 0 and fast[1] is None is plain[1]  # (batches of 32)
    for a, b in zip(fast[0], plain[0]):
        np.testing.assert_array_equal(a, b)
    assert fast[2] == plain[2]
    # a loss that overflows: stopped at the same step, before its update, with the same parameters
    fast, plain = _nan_stopped_fit(monkeypatch, True, 1e30), _nan_stopped_fit(monkeypatch, False, 1e30)
    assert fast[1] is not None and fast[1] == plain[1]
    for a, b in zip(fast[0], plain[0]):
        np.testing.assert_array_equal(a, b)


def test_bad_targets_in_a_later_batch_get_the_ordinary_error(monkeypatch):
    X, y = _data()
    y[200] = 7  # 4 classes: out of range in the fourth batch of 64
    monkeypatch.setattr(chain, "enabled", True)
    model = MODELS["one hidden"]()
    with pytest.raises(Exception, match="7") as chained:
        fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters()), (X, y), batch_size=64, shuffle=False,
            verbose=0, check_finite=False)
    monkeypatch.setattr(chain, "enabled", False)
    with pytest.raises(Exception) as plain:
        fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters()), (X, y), batch_size=64, shuffle=False,
            verbose=0, check_finite=False)
    assert type(chained.value) is type(plain.value) and str(chained.value) == str(plain.value)


def test_the_estimators_default_network_takes_the_chain(monkeypatch):
    pytest.importorskip("sklearn")
    from chainrule.sklearn import NeuralNetClassifier

    calls = _count_chain_steps(monkeypatch)
    X, y = _data(n=100)
    NeuralNetClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(X, y)
    assert len(calls) == 2  # batch "auto" = 100 samples: one step an epoch, the first the ordinary one
