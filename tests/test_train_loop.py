"""chainrule.train.loop: fit / evaluate / predict / predict_proba on tiny toy problems."""

import numpy as np
import pytest
from helpers import blobs as _blobs
from helpers import mlp, weights

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import History, evaluate, fit, predict, predict_proba
from chainrule.train.callbacks import Callback, LambdaCallback


def blobs(n=200, seed=0):
    """This file's blobs: 200 samples, further apart than the default."""
    return _blobs(n, seed, spread=2.5)


def test_fit_learns_a_separable_problem_and_returns_history():
    X, y = blobs()
    model = mlp()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=8,
                  seed=0, verbose=0)
    assert isinstance(history, History)
    assert history.epoch == list(range(8))
    assert list(history.history) == ["loss", "accuracy", "lr"]
    assert all(len(v) == 8 for v in history.history.values())
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert history.history["accuracy"][-1] >= 0.95
    assert history.history["lr"] == [0.1] * 8
    assert history.params == {"epochs": 8, "steps": 7, "verbose": 0, "batch_size": 32, "samples": 200}
    assert all(type(v) is float for vals in history.history.values() for v in vals)


def test_logs_are_means_weighted_by_batch_size():
    # with lr=0 the weights never move: the epoch's loss and accuracy are those of the whole set
    X, y = blobs(n=200)
    model = mlp()
    loss_fn = nn.CrossEntropyLoss()
    with cr.no_grad():
        out = model(cr.tensor(X))
        full_loss = loss_fn(out, cr.tensor(y)).item()
        full_acc = float((out.numpy().argmax(1) == y).mean())
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.0), (X, y), batch_size=64, shuffle=False,
                  verbose=0)  # batches of 64, 64, 64 and 8
    assert history.history["loss"][0] == pytest.approx(full_loss, rel=1e-5)
    assert history.history["accuracy"][0] == pytest.approx(full_acc, abs=1e-12)


class InputSpy(nn.Module):
    """Records the inputs it sees in eval mode (the validation samples)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.seen = []

    def forward(self, x):
        if not self.training:
            self.seen.append(x.numpy().copy())
        return self.inner(x)


def test_val_split_is_a_seeded_random_split():
    X, y = blobs()
    val_inputs, histories = [], []
    for seed in (3, 3, 4):
        spy = InputSpy(mlp())
        h = fit(spy, nn.CrossEntropyLoss(), optim.SGD(spy.parameters(), lr=0.1), (X, y), epochs=1,
                val_split=0.25, seed=seed, verbose=0)
        val_inputs.append(np.concatenate(spy.seen))
        histories.append(h.history)
    assert list(histories[0]) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert h.params["samples"] == 150 and len(val_inputs[0]) == 50
    assert histories[0] == histories[1]
    np.testing.assert_array_equal(val_inputs[0], val_inputs[1])
    assert not np.array_equal(np.sort(val_inputs[0], axis=0), np.sort(val_inputs[2], axis=0))
    # a random subset of the samples, not the last quarter
    rows = {tuple(r) for r in X}
    assert all(tuple(r) in rows for r in val_inputs[0])
    assert not np.array_equal(np.sort(val_inputs[0], axis=0), np.sort(X[150:], axis=0))


def test_val_data_logs_match_evaluate_of_the_final_model():
    X, y = blobs(300)
    train, val = (X[:200], y[:200]), (X[200:], y[200:])
    loss_fn = nn.CrossEntropyLoss()
    for val_data in (val, TensorDataset(*val), DataLoader(TensorDataset(*val), batch_size=7)):
        model = mlp()
        history = fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.01), train, epochs=3, val_data=val_data,
                      seed=0, verbose=0)
        result = evaluate(model, val, loss_fn=loss_fn)
        assert history.history["val_loss"][-1] == pytest.approx(result.loss, rel=1e-5)
        assert history.history["val_accuracy"][-1] == pytest.approx(result.accuracy)


def test_val_split_errors():
    X, y = blobs(20)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="either val_data or val_split"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), val_split=0.2, val_data=(X, y), verbose=0)
    with pytest.raises(ValueError, match="val_split needs"):
        fit(model, nn.CrossEntropyLoss(), opt, DataLoader(TensorDataset(X, y)), val_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="leaves 0 for validation"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), val_split=0.01, verbose=0)
    with pytest.raises(TypeError, match=r"\(X, y\)"):
        fit(model, nn.CrossEntropyLoss(), opt, X, verbose=0)


class ModeSpy(nn.Module):
    """Wraps a model and records (training, grad enabled, output requires grad) per call."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = []

    def forward(self, x):
        out = self.inner(x)
        self.calls.append((self.training, self.inner[2].training, cr.is_grad_enabled(), out.requires_grad))
        return out


@pytest.mark.parametrize("start_in_train_mode", [True, False])
def test_train_and_eval_modes_and_no_graph_during_validation(start_in_train_mode):
    X, y = blobs(64)
    spy = ModeSpy(mlp(dropout=0.5))
    spy.train(start_in_train_mode)
    fit(spy, nn.CrossEntropyLoss(), optim.SGD(spy.parameters(), lr=0.1), (X[:48], y[:48]), epochs=2,
        batch_size=16, val_data=(X[48:], y[48:]), verbose=0)
    # per epoch: 3 training batches then one validation batch
    train_calls = [c for i, c in enumerate(spy.calls) if i % 4 != 3]
    val_calls = spy.calls[3::4]
    assert len(train_calls) == 6 and len(val_calls) == 2
    assert all(c == (True, True, True, True) for c in train_calls)  # Dropout active, graph recorded
    assert all(c == (False, False, False, False) for c in val_calls)  # eval mode, no graph
    assert spy.training is start_in_train_mode and spy.inner[2].training is start_in_train_mode


def test_same_seed_gives_identical_weights_with_dropout_and_shuffling():
    X, y = blobs()
    results = []
    for seed in (5, 5, 6):
        model = mlp(dropout=0.3)
        fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), (X, y), epochs=2,
            val_split=0.2, seed=seed, verbose=0)
        results.append(weights(model))
    for key in results[0]:
        np.testing.assert_array_equal(results[0][key], results[1][key])
    assert any(not np.array_equal(results[0][k], results[2][k]) for k in results[0])


def test_inputs_as_dataset_loader_and_float64_arrays():
    X, y = blobs()
    loss_fn = nn.CrossEntropyLoss()
    for data in (TensorDataset(X, y), DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True, seed=0),
                 (X.astype(np.float64), y.astype(np.int32))):
        model = mlp()
        h = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), data, epochs=4, seed=0, verbose=0)
        assert h.history["accuracy"][-1] > 0.9
    assert h.params["steps"] == 7


def test_regression_has_no_accuracy_and_callable_metrics_are_weighted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    cr.manual_seed(0)
    model = nn.Linear(3, 1)

    def mae(y_pred, y_true):
        return float(np.abs(y_pred.numpy() - y_true.numpy()).mean())

    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.0), (X, y), batch_size=30, shuffle=False,
            metrics=("accuracy", mae), verbose=0)
    assert list(h.history) == ["loss", "mae", "lr"]
    with cr.no_grad():
        full_mae = float(np.abs(model(cr.tensor(X)).numpy() - y).mean())
    assert h.history["mae"][0] == pytest.approx(full_mae, rel=1e-5)


def test_binary_single_logit_accuracy_and_predict_proba():
    X, y = blobs()
    cr.manual_seed(0)
    model = nn.Linear(2, 1)
    h = fit(model, nn.BCEWithLogitsLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y[:, None].astype(np.float32)),
            epochs=5, seed=0, verbose=0)
    assert h.history["accuracy"][-1] > 0.95
    probs = predict_proba(model, X)
    assert probs.shape == (200, 1)
    logits = predict(model, X).numpy()
    np.testing.assert_allclose(probs.numpy(), 1 / (1 + np.exp(-logits)), rtol=1e-5)
    result = evaluate(model, (X, y[:, None].astype(np.float32)))
    assert result.confusion_matrix.shape == (2, 2) and result.n == 200
    assert result.accuracy == pytest.approx(float(((logits[:, 0] > 0) == y).mean()))


def test_stop_training_from_a_batch_hook_stops_mid_epoch():
    X, y = blobs()
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    steps = []

    def on_batch_end(batch, logs):
        steps.append(batch)
        if batch == 2:
            model.stop_training = True

    h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, callbacks=[LambdaCallback(on_batch_end=on_batch_end)],
            verbose=0)
    assert steps == [0, 1, 2]
    assert h.epoch == [0]  # the epoch is still closed: logs recorded, then training stops


def test_per_batch_hooks_only_called_when_overridden(monkeypatch):
    from chainrule.train.callbacks import CallbackList

    class EpochOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.last = logs["loss"]

    class BatchEnd(Callback):
        def on_batch_end(self, batch, logs=None):  # the Keras alias counts
            pass

    def boom(*args, **kwargs):
        raise AssertionError("a per-batch hook was called on a callback that does not override it")

    for name in ("on_train_batch_begin", "on_train_batch_end", "on_before_backward"):
        monkeypatch.setattr(Callback, name, boom)
        assert CallbackList([EpochOnly()], add_history=True).hooks(name) == []
    assert len(CallbackList([EpochOnly(), BatchEnd()]).hooks("on_train_batch_end")) == 1
    X, y = blobs(64)
    model = mlp()
    cb = EpochOnly()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), callbacks=[cb], verbose=0)
    assert cb.last > 0


def test_scheduler_argument_steps_every_epoch():
    X, y = blobs(64)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=3, verbose=0,
            scheduler=optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    assert h.history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_evaluate_predict_on_a_hand_made_classifier():
    model = nn.Linear(2, 3)
    with cr.no_grad():
        model.weight.copy_(cr.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
        model.bias.zero_()
    X = np.array([[2, 0], [3, 1], [0, 2], [1, 4], [-1, -1], [2, 1], [0, 1]], np.float32)
    y = np.array([0, 0, 1, 1, 2, 1, 2])  # predictions: 0 0 1 1 2 0 1
    result = evaluate(model, (X, y), loss_fn=nn.CrossEntropyLoss(), batch_size=3)
    np.testing.assert_array_equal(result.confusion_matrix, [[2, 0, 0], [1, 2, 0], [0, 1, 1]])
    assert (result.n, result.correct) == (7, 5)
    assert result.accuracy == pytest.approx(5 / 7)
    np.testing.assert_allclose(result.per_class_accuracy, [1.0, 2 / 3, 0.5])
    assert result.accuracy_ci[0] < 5 / 7 < result.accuracy_ci[1]
    with cr.no_grad():
        want_loss = nn.CrossEntropyLoss()(model(cr.tensor(X)), cr.tensor(y)).item()
    assert result.loss == pytest.approx(want_loss, rel=1e-6)
    assert evaluate(model, (X, y), num_classes=5).confusion_matrix.shape == (5, 5)

    logits = predict(model, X, batch_size=2)
    assert isinstance(logits, cr.Tensor) and logits.shape == (7, 3) and not logits.requires_grad
    np.testing.assert_allclose(logits.numpy(), X @ model.weight.detach().numpy().T, rtol=1e-6)
    np.testing.assert_array_equal(predict(model, TensorDataset(X, y)).numpy(), logits.numpy())
    probs = predict_proba(model, cr.tensor(X)).numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(probs.argmax(1), logits.numpy().argmax(1))


def test_predict_uses_eval_mode_and_restores_it():
    model = mlp(dropout=0.9)
    X, _ = blobs(50)
    model.train()
    a, b = predict(model, X).numpy(), predict(model, X).numpy()
    np.testing.assert_array_equal(a, b)  # Dropout off: deterministic
    assert model.training


def test_evaluate_rejects_regression_targets():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="classifier"):
        evaluate(model, (np.zeros((4, 2), np.float32), np.array([[0.5], [1.5], [2.0], [0.1]], np.float32)))
