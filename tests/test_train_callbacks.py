"""chainrule.train.callbacks: each callback's behaviour inside fit."""

import csv
import io as pyio
import math

import numpy as np
import pytest
from helpers import blobs, weights

import chainrule as cr
from chainrule import io, nn, optim
from chainrule.train import fit
from chainrule.train.callbacks import (
    Callback, CSVLogger, EarlyStopping, History, LambdaCallback, LRScheduler, ModelCheckpoint, ProgressBar,
    ReduceLROnPlateau, TerminateOnNaN,
)


def setup(lr=0.05, seed=0):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    return model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr)


class Script(Callback):
    """Puts a scripted value under ``key`` into each epoch's logs (before the callbacks after it see them),
    and snapshots the weights at every epoch end."""

    def __init__(self, key, values):
        self.key, self.values, self.snapshots = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(weights(self.model))


def run(callbacks, epochs, lr=0.05, **kwargs):
    model, loss_fn, opt = setup(lr)
    X, y = blobs()
    history = fit(model, loss_fn, opt, (X, y), epochs=epochs, callbacks=callbacks, verbose=0, seed=0, **kwargs)
    return model, history


# --- EarlyStopping -------------------------------------------------------------------------------

def test_early_stopping_patience():
    script = Script("score", [1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.4])
    stopper = EarlyStopping(monitor="score", patience=2)
    _, h = run([script, stopper], epochs=7)
    assert h.epoch == [0, 1, 2, 3]  # best at 1; epochs 2 and 3 without improvement
    assert stopper.stopped_epoch == 3 and stopper.best == 0.9 and stopper.best_epoch == 1


def test_early_stopping_min_delta():
    values = [1.0, 0.97, 0.96, 0.5, 0.4]
    _, h = run([Script("score", values), EarlyStopping(monitor="score", patience=2)], epochs=5)
    assert len(h.epoch) == 5  # every epoch improves a little
    _, h = run([Script("score", values), EarlyStopping(monitor="score", patience=2, min_delta=0.05)], epochs=5)
    assert h.epoch == [0, 1, 2]  # 0.97 and 0.96 are not 0.05 better than 1.0


def test_early_stopping_auto_mode_baseline_and_start_epoch():
    # "accuracy"-like monitors are maximised
    _, h = run([Script("val_accuracy", [0.5, 0.6, 0.55, 0.58, 0.9]), EarlyStopping("val_accuracy", patience=1)], 5)
    assert h.epoch == [0, 1, 2]
    # improvements that do not beat the baseline do not reset the count (Keras)
    values = [0.9, 0.8, 0.7, 0.75, 0.6]
    _, h = run([Script("score", values), EarlyStopping("score", patience=2, baseline=0.5)], 5)
    assert h.epoch == [0, 1, 2, 3]
    _, h = run([Script("score", values), EarlyStopping("score", patience=2)], 5)
    assert h.epoch == [0, 1, 2, 3, 4]
    # nothing is watched before start_from_epoch
    _, h = run([Script("score", [0.1, 0.9, 0.9, 0.8, 0.9, 0.9]),
                EarlyStopping("score", patience=1, start_from_epoch=2)], 6)
    assert h.epoch == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("epochs, stopped", [(8, True), (4, False)])
def test_early_stopping_restores_best_weights(epochs, stopped):
    script = Script("val_loss", [1.0, 0.5, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9])
    stopper = EarlyStopping(patience=3, restore_best_weights=True)
    model, h = run([script, stopper], epochs=epochs)
    assert (stopper.stopped_epoch > 0) is stopped
    assert len(h.epoch) == (5 if stopped else 4)
    assert not np.array_equal(script.snapshots[1]["0.weight"], script.snapshots[-1]["0.weight"])
    for key, value in weights(model).items():
        np.testing.assert_array_equal(value, script.snapshots[1][key])  # the best epoch's weights


def test_early_stopping_warns_when_monitor_missing():
    with pytest.warns(UserWarning, match="val_loss"):
        _, h = run([EarlyStopping(patience=0)], epochs=3)
    assert len(h.epoch) == 3


# --- ModelCheckpoint -----------------------------------------------------------------------------

def test_model_checkpoint_save_best_only_formats_the_path(tmp_path):
    script = Script("val_loss", [1.0, 0.8, 0.9, 0.7])
    ckpt = ModelCheckpoint(tmp_path / "ck" / "e{epoch:02d}-{val_loss:.4f}.safetensors", save_best_only=True)
    run([script, ckpt], epochs=4)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == [
        "e01-1.0000.safetensors", "e02-0.8000.safetensors", "e04-0.7000.safetensors"]
    assert ckpt.best == 0.7 and ckpt.last_saved.endswith("e04-0.7000.safetensors")
    saved = io.load_state_dict(tmp_path / "ck" / "e02-0.8000.safetensors")
    for key, value in script.snapshots[1].items():
        np.testing.assert_array_equal(saved[key].numpy(), value)
    meta = io.read_metadata(tmp_path / "ck" / "e02-0.8000.safetensors")
    assert meta["epoch"] == "2" and float(meta["val_loss"]) == 0.8


def test_model_checkpoint_fixed_path_keeps_the_best_and_every_epoch_mode(tmp_path):
    script = Script("val_accuracy", [0.5, 0.9, 0.7])  # mode auto: max
    run([script, ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_accuracy", save_best_only=True)], 3)
    saved = io.load_state_dict(tmp_path / "best.safetensors")
    np.testing.assert_array_equal(saved["2.bias"].numpy(), script.snapshots[1]["2.bias"])
    run([ModelCheckpoint(str(tmp_path / "all-{epoch}.safetensors"))], 3)
    assert sorted(p.name for p in tmp_path.glob("all-*")) == [f"all-{i}.safetensors" for i in (1, 2, 3)]
    with pytest.raises(KeyError, match="val_f1"):
        run([ModelCheckpoint(str(tmp_path / "{val_f1}.safetensors"))], 1)


def test_model_checkpoint_full_training_state(tmp_path):
    model, _ = run([ModelCheckpoint(tmp_path / "state.safetensors", save_weights_only=False)], 2)
    fresh, _, opt = setup(seed=1)
    extra = io.load_checkpoint(tmp_path / "state.safetensors", model=fresh, optimizer=opt)
    assert extra["epoch"] == 2 and set(extra["logs"]) == {"loss", "accuracy", "lr"}
    for key, value in weights(model).items():
        np.testing.assert_array_equal(weights(fresh)[key], value)


# --- learning-rate callbacks ---------------------------------------------------------------------

def test_lr_scheduler_with_a_schedule_function_and_a_scheduler():
    _, h = run([LRScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)], epochs=4, lr=0.1)
    assert h.history["lr"] == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    model, loss_fn, opt = setup(lr=0.1)
    X, y = blobs()
    h = fit(model, loss_fn, opt, (X, y), epochs=4, verbose=0,
            callbacks=[LRScheduler(optim.lr_scheduler.MultiStepLR(opt, milestones=[2], gamma=0.1))])
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.01, 0.01])


def test_lr_scheduler_steps_one_cycle_every_batch():
    model, loss_fn, opt = setup(lr=0.1)
    X, y = blobs(96)  # 3 batches of 32
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=6)
    fit(model, loss_fn, opt, (X, y), epochs=2, verbose=0, scheduler=sched)
    assert sched.last_epoch == 6


def test_lr_scheduler_feeds_the_metric_to_torch_style_plateau():
    model, loss_fn, opt = setup(lr=0.1)
    X, y = blobs()
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, threshold=0.0)
    script = Script("val_loss", [1.0, 1.0, 1.0])
    h = fit(model, loss_fn, opt, (X, y), epochs=3, verbose=0, callbacks=[script, LRScheduler(sched)])
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.01])  # PyTorch: reduce after patience + 1 bad epochs


def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr():
    flat = [1.0] * 8
    _, h = run([Script("val_loss", flat), ReduceLROnPlateau(patience=2)], epochs=6, lr=0.1)
    # epoch 0 sets the best; epochs 1, 2 bad -> reduce after epoch 2; epochs 3, 4 bad -> reduce after epoch 4
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.001])
    _, h = run([Script("val_loss", flat), ReduceLROnPlateau(patience=2, cooldown=2)], epochs=7, lr=0.1)
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])
    _, h = run([Script("val_loss", flat), ReduceLROnPlateau(patience=1, factor=0.5, min_lr=0.03)], epochs=5, lr=0.1)
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.03, 0.03])
    # improvements smaller than min_delta do not count
    _, h = run([Script("val_loss", [1.0, 0.99995, 0.9999, 0.9998]), ReduceLROnPlateau(patience=2, min_delta=1e-3)],
               epochs=4, lr=0.1)
    assert h.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.01])
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.5)


# --- TerminateOnNaN ------------------------------------------------------------------------------

def test_terminate_on_nan_stops_before_the_bad_update(capsys):
    model, loss_fn, opt = setup(lr=0.05)
    X, y = blobs(96)
    calls = []

    def flaky_loss(output, target):  # NaN on the 5th batch: epoch 2 (1-based), step 2
        calls.append(1)
        loss = loss_fn(output, target)
        return loss * float("nan") if len(calls) == 5 else loss

    steps = []
    original_step = opt.step
    opt.step = lambda *a: steps.append(1) or original_step(*a)
    before = {}
    spy = LambdaCallback(on_before_backward=lambda batch, loss: before.update(weights(model)))
    nan_stop = TerminateOnNaN()
    h = fit(model, flaky_loss, opt, (X, y), epochs=5, callbacks=[spy, nan_stop], verbose=0, shuffle=False)
    assert len(calls) == 5 and len(steps) == 4  # no update from the NaN batch, nothing after it
    assert nan_stop.stopped_at == (1, 1)
    for key, value in weights(model).items():
        assert np.isfinite(value).all()
        np.testing.assert_array_equal(value, before[key])
    assert h.epoch == [0, 1] and math.isnan(h.history["loss"][1])
    err = capsys.readouterr().err
    assert "loss is nan at epoch 2, step 2" in err and "lower learning rate" in err


def test_terminate_on_nan_catches_inf():
    model, loss_fn, opt = setup()
    X, y = blobs(64)
    cb = TerminateOnNaN()
    fit(model, lambda o, t: loss_fn(o, t) * float("inf"), opt, (X, y), epochs=3, callbacks=[cb], verbose=0)
    assert cb.stopped_at == (0, 0)


# --- CSVLogger, LambdaCallback, History ----------------------------------------------------------

def test_csv_logger_rows_header_and_append(tmp_path):
    path = tmp_path / "logs" / "run.csv"
    X, y = blobs()
    model, loss_fn, opt = setup()
    h = fit(model, loss_fn, opt, (X, y), epochs=3, val_split=0.25, seed=0, verbose=0, callbacks=[CSVLogger(path)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert [float(r[3]) for r in rows[1:]] == h.history["val_loss"]
    fit(model, loss_fn, opt, (X, y), epochs=2, val_split=0.25, seed=0, verbose=0,
        callbacks=[CSVLogger(path, append=True)])
    rows = list(csv.reader(path.open()))
    assert len(rows) == 6 and rows.count(rows[0]) == 1
    fit(model, loss_fn, opt, (X, y), epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;loss;accuracy;lr"


def test_csv_logger_flushes_every_epoch(tmp_path):
    path = tmp_path / "run.csv"
    lines_seen = []
    watcher = LambdaCallback(on_epoch_end=lambda epoch, logs: lines_seen.append(len(path.read_text().splitlines())))
    run([CSVLogger(path), watcher], epochs=3)
    assert lines_seen == [2, 3, 4]


def test_lambda_callback_hooks_are_called():
    counts = {}

    def count(name):
        return lambda *args: counts.__setitem__(name, counts.get(name, 0) + 1)

    names = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_batch_end", "on_before_backward"]
    run([LambdaCallback(**{n: count(n) for n in names})], epochs=2)  # 96 samples: 3 batches per epoch
    assert counts == {"on_train_begin": 1, "on_train_end": 1, "on_epoch_begin": 2, "on_epoch_end": 2,
                      "on_train_batch_begin": 6, "on_batch_end": 6, "on_before_backward": 6}
    with pytest.raises(TypeError, match="on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)


def test_callbacks_see_model_optimizer_params_and_a_given_history_is_used():
    seen = {}

    class Peek(Callback):
        def on_train_begin(self, logs=None):
            seen.update(model=self.model, optimizer=self.optimizer, params=dict(self.params))

    model, loss_fn, opt = setup()
    X, y = blobs(64)
    mine = History()
    h = fit(model, loss_fn, opt, (X, y), epochs=2, batch_size=16, callbacks=[Peek(), mine], verbose=0)
    assert h is mine and mine.epoch == [0, 1]
    assert seen["model"] is model and seen["optimizer"] is opt
    assert seen["params"] == {"epochs": 2, "steps": 4, "verbose": 0, "batch_size": 16, "samples": 64}


# --- ProgressBar ---------------------------------------------------------------------------------

def test_fit_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    model, loss_fn, opt = setup()
    X, y = blobs()
    fit(model, loss_fn, opt, (X, y), epochs=3, verbose=1)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and "\r" not in captured.err
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert "loss: " in lines[0] and "accuracy: " in lines[0] and "lr: 0.05" in lines[0]
    fit(model, loss_fn, opt, (X, y), epochs=2, verbose=0)
    assert capsys.readouterr().err == ""


def test_progress_bar_draws_live_when_forced_and_throttles():
    out = pyio.StringIO()
    run([ProgressBar(file=out, live=True, interval=0.0)], epochs=2)
    text = out.getvalue()
    assert text.count("\n") == 2 and text.count("\r") == 2 * 3 + 2  # 3 batches per epoch, then the summary
    assert "Epoch 1/2 3/3 [==============================] 100%" in text and "steps/s - loss: " in text
    out = pyio.StringIO()
    run([ProgressBar(file=out, live=True, interval=60.0)], epochs=2)
    assert out.getvalue().count("\r") == 2  # only the epoch summaries within the interval
    out = pyio.StringIO()
    run([ProgressBar(file=out)], epochs=2)  # StringIO is not a terminal: lines only
    assert "\r" not in out.getvalue() and out.getvalue().count("\n") == 2
