"""Exact resume: a run killed after k steps and resumed from its checkpoint ends bitwise where an
uninterrupted run ends, with the same per-step losses, logs and metrics.csv.

The subprocess tests SIGKILL a real training process (no clean-up code runs) and resume it in a new one.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import weights

import chainrule as cr
from chainrule import nn, optim
from chainrule.cli import main
from chainrule.data import DataLoader, Sampler, TensorDataset
from chainrule.data import transforms as T
from chainrule.io import load_checkpoint, load_state_dict, save_checkpoint
from chainrule.train import fit
from chainrule.train.callbacks import (
    BackupAndRestore, CSVLogger, EarlyStopping, LambdaCallback, LRScheduler, ReduceLROnPlateau,
)

SRC = Path(__file__).parent.parent / "src"


def data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def assert_bitwise_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


# --- DataLoader.state_dict ------------------------------------------------------------------------

def _batches(loader, n=None):
    out = []
    for i, (x, y) in enumerate(loader):
        out.append((x.numpy().copy(), y.numpy().copy()))
        if n is not None and i + 1 == n:
            break
    return out


def _loader(**kw):
    X, y = data(50)
    return DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=3, transform=T.GaussianNoise(0.5), **kw)


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x1, x2) and np.array_equal(y1, y2) for (x1, y1), (x2, y2) in zip(a, b))


@pytest.mark.parametrize("done", [0, 1, 3, 7])  # 7 batches per pass: 7 = the pass has just ended
def test_loader_continues_a_pass_from_its_state(done):
    straight = _loader()
    expected = _batches(straight) + _batches(straight)  # two epochs
    first = _loader()
    seen = _batches(first, done) if done else []
    state = json.loads(json.dumps({k: v.tolist() if isinstance(v, np.ndarray) else v
                                   for k, v in first.state_dict().items()}))  # survives a plain file
    assert state["batches_done"] == done and ("order" in state) == (done > 0)
    resumed = _loader()
    resumed.load_state_dict(state)
    rest = _batches(resumed) + _batches(resumed)  # the rest of this pass, then a whole new one
    assert _same(seen + rest, expected)


class LazySampler(Sampler):
    """A custom sampler without a whole-pass order: draws each index when asked (replayed on resume)."""

    def __init__(self, n, generator):
        self.n, self.generator = n, generator

    def __iter__(self):
        for _ in range(self.n):
            yield int(self.generator.rng.integers(self.n))

    def __len__(self):
        return self.n


def test_loader_replays_a_custom_sampler():
    X, y = data(30)

    def make():
        g = cr.Generator(5)
        return DataLoader(TensorDataset(X, y), batch_size=4, sampler=LazySampler(30, g), generator=g,
                          transform=T.GaussianNoise(1.0))

    expected = _batches(make())
    first = make()
    seen = _batches(first, 3)
    state = first.state_dict()
    assert "order" not in state and state["pass_start"] is not None
    resumed = make()
    resumed.load_state_dict(state)
    assert _same(seen + _batches(resumed), expected)


def test_loader_state_must_fit_the_loader():
    state = _loader().state_dict()
    X, y = data(50)
    with pytest.raises(ValueError, match="batch_size=8, this loader has batch_size=4"):
        DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=3).load_state_dict(state)
    with pytest.raises(ValueError, match="same generator= / seed= setting"):
        DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True).load_state_dict(state)


# --- fit(checkpoint=..., resume=...) in one process ------------------------------------------------

class Interrupt(Exception):
    pass


def run(ckpt, kill_at=None, resume=None, epochs=5, seed=0, csv_path=None, **kw):
    """A run with everything that has state: dropout, augmentation, a split, a scheduler, callbacks."""
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    losses = []

    def end(batch, logs):
        if kill_at is not None and len(losses) == kill_at:
            raise Interrupt

    callbacks = [LambdaCallback(on_before_backward=lambda batch, loss: losses.append(loss), on_train_batch_end=end),
                 EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True),
                 ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5),
                 LRScheduler(lambda epoch, lr: lr * 0.9)]
    if csv_path is not None:
        callbacks.append(CSVLogger(csv_path))
    X, y = data()
    try:
        history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, val_split=0.2, batch_size=16,
                      seed=seed, verbose=0, transform=T.GaussianNoise(0.1), scheduler=sched, callbacks=callbacks,
                      checkpoint=ckpt, checkpoint_every=3, resume=resume, **kw)
    except Interrupt:
        history = None
    return model, losses, history


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    folder = tmp_path_factory.mktemp("straight")
    model, losses, history = run(folder / "ckpt.safetensors", csv_path=folder / "m.csv")
    assert len(losses) == 40  # 120 training samples in batches of 16: 8 steps per epoch, 5 epochs
    return weights(model), losses, history.history, (folder / "m.csv").read_text()


# steps per epoch 8, checkpoints every 3 steps and at every epoch end: 7 -> mid-epoch checkpoint at 6;
# 8 -> epoch-end checkpoint; 9 -> checkpoint at step 9 = the first of epoch 2; 24 -> last step of epoch 3
@pytest.mark.parametrize("kill_at", [1, 7, 8, 9, 17, 24, 39])
def test_fit_resumes_bitwise_after_an_interruption(tmp_path, straight, kill_at):
    expected_weights, expected_losses, expected_history, expected_csv = straight
    ckpt, csv_path = tmp_path / "ckpt.safetensors", tmp_path / "m.csv"
    _, before, _ = run(ckpt, kill_at=kill_at, csv_path=csv_path)
    model, after, history = run(ckpt, resume=True, csv_path=csv_path)
    redone = len(before) + len(after) - 40  # steps after the last checkpoint are done again
    assert 0 <= redone <= 3  # at most checkpoint_every steps
    assert before + after[redone:] == expected_losses  # every per-step loss, bitwise
    assert_bitwise_equal(weights(model), expected_weights)
    assert history.history == expected_history  # epoch logs (from running sums restored mid-epoch) too
    assert csv_path.read_text() == expected_csv  # no epoch repeated or lost


def test_resume_of_a_finished_run_changes_nothing(tmp_path, straight):
    ckpt = tmp_path / "ckpt.safetensors"
    run(ckpt)
    model, losses, history = run(ckpt, resume=ckpt)
    assert losses == [] and history.history == straight[2]
    assert_bitwise_equal(weights(model), straight[0])


def test_resume_can_fail_without_the_generator_states(tmp_path, straight, monkeypatch):
    # the check above is meaningful: with the global generator not restored, dropout differs
    ckpt = tmp_path / "ckpt.safetensors"
    run(ckpt, kill_at=17)
    monkeypatch.setattr(cr, "set_rng_state", lambda state: None)
    model, _, _ = run(ckpt, resume=True)
    assert not np.array_equal(weights(model)["0.weight"], straight[0]["0.weight"])


def test_resume_with_a_loader_on_the_global_generator(tmp_path):
    X, y = data()

    def go(kill_at=None, resume=None):
        cr.manual_seed(7)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loader = DataLoader(TensorDataset(X, y), batch_size=10, shuffle=True)  # no seed: global generator
        count = []

        def end(batch, logs):
            count.append(batch)
            if len(count) == kill_at:
                raise Interrupt

        try:
            fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, verbose=0, checkpoint=tmp_path / "c.safetensors",
                checkpoint_every=4, resume=resume, callbacks=[LambdaCallback(on_train_batch_end=end)])
        except Interrupt:
            pass
        cr.manual_seed(123)  # the global state after a run must not matter to the resumed one
        return weights(model)

    expected = go()
    go(kill_at=22)  # 15 steps per epoch: checkpoint at step 20, in the middle of epoch 2
    assert_bitwise_equal(go(resume=True), expected)


def test_backup_and_restore_callback_is_keras_like(tmp_path):
    X, y = data()
    path = tmp_path / "backup.safetensors"

    def go(kill_at=None):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = optim.Adam(model.parameters(), lr=0.01)
        seen = []

        def end(batch, logs):
            seen.append(batch)
            if len(seen) == kill_at:
                raise Interrupt

        backup = BackupAndRestore(path, save_freq=5)
        try:
            fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=32, seed=1, verbose=0,
                callbacks=[backup, LambdaCallback(on_train_batch_end=end)])
        except Interrupt:
            return None, seen
        return weights(model), seen

    expected, _ = go()
    assert not path.exists()  # delete_checkpoint=True: a finished run leaves no backup
    assert go(kill_at=7) == (None, [0, 1, 2, 3, 4, 0, 1]) and path.exists()
    resumed, seen = go()  # restores by itself: 5 steps were saved, 5 steps remain
    assert seen == [0, 1, 2, 3, 4] and not path.exists()
    assert_bitwise_equal(resumed, expected)


def test_checkpoint_holds_the_whole_training_state(tmp_path):
    ckpt = tmp_path / "ckpt.safetensors"
    run(ckpt, kill_at=7)
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    extra, arrays = load_checkpoint(ckpt, model=model, optimizer=opt, scheduler=sched, return_arrays=True)
    state = extra["fit"]
    assert (state["epoch"], state["step"], state["global_step"], state["seed"]) == (0, 6, 6, 0)
    assert state["rng"]["bit_generator"]["bit_generator"] == "PCG64"
    loader = state["loader"]
    assert loader["batches_done"] == 6 and loader["generator"]["bit_generator"] == "PCG64"
    order = arrays[loader["order"]["__array__"]]
    assert sorted(order.tolist()) == list(range(120))  # the epoch's permutation of the training split
    assert opt.state[model[0].weight]["step"] == 6
    names = [c["class"] for c in state["callbacks"]]
    assert names == ["EarlyStopping", "ReduceLROnPlateau", "LRScheduler", "LRScheduler"]


def test_resume_refuses_other_arguments(tmp_path):
    ckpt = tmp_path / "ckpt.safetensors"
    run(ckpt, kill_at=7)
    with pytest.raises(ValueError, match="seed=0, but this fit has seed=1"):
        run(ckpt, resume=True, seed=1)
    with pytest.raises(FileNotFoundError, match="no such checkpoint file"):
        run(ckpt, resume=tmp_path / "missing.safetensors")
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path / "plain.safetensors", model=model)
    with pytest.raises(ValueError, match="not one written by fit"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (np.zeros((4, 2)), np.zeros((4, 2))),
            verbose=0, resume=tmp_path / "plain.safetensors")


def test_resume_reads_the_checkpoint_file_once(tmp_path, monkeypatch):
    from chainrule.io import checkpoint

    ckpt = tmp_path / "ckpt.safetensors"
    run(ckpt, kill_at=7)
    reads = []
    real = checkpoint._read_header
    monkeypatch.setattr(checkpoint, "_read_header", lambda path: reads.append(path) or real(path))
    run(ckpt, resume=True)
    assert reads == [os.fspath(ckpt)]  # one read: checked, then restored, from the same bytes
    reads.clear()
    with pytest.raises(ValueError, match="seed=0, but this fit has seed=1"):
        run(ckpt, resume=True, seed=1)
    assert len(reads) == 1


# --- a real process, killed with SIGKILL ----------------------------------------------------------

CHILD = textwrap.dedent("""
    import os, signal, sys, time
    import numpy as np
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.data import transforms as T
    from chainrule.io import save_state_dict
    from chainrule.train import fit
    from chainrule.train.callbacks import LambdaCallback

    out, kill_at, resume, sleep = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "resume", float(sys.argv[4])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    log = open(os.path.join(out, "losses.txt"), "a")
    epoch, steps = [0], [0]

    def begin(e, logs):
        epoch[0] = e

    def before(batch, loss):
        log.write(f"{epoch[0]}:{batch} {loss!r}\\n")
        log.flush()

    def end(batch, logs):
        steps[0] += 1
        if steps[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind
        time.sleep(sleep)

    ckpt = os.path.join(out, "ckpt.safetensors")
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=4, batch_size=16, seed=0, verbose=0, val_split=0.2,
        transform=T.GaussianNoise(0.1), checkpoint=ckpt, checkpoint_every=5, resume=True if resume else None,
        callbacks=[LambdaCallback(on_epoch_begin=begin, on_before_backward=before, on_train_batch_end=end)])
    save_state_dict(model.state_dict(), os.path.join(out, "final.safetensors"))
""")


def _child(tmp_path, kill_at=0, resume=False, sleep=0.0, wait=True):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, str(script), str(tmp_path), str(kill_at), "resume" if resume else "new", str(sleep)]
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def _losses(folder):
    """Per-step losses by (epoch, step); a step redone after the resume must repeat its loss exactly."""
    by_step = {}
    for line in (folder / "losses.txt").read_text().splitlines():
        step, loss = line.split()
        assert by_step.setdefault(step, loss) == loss
    return by_step


@pytest.fixture(scope="module")
def child_straight(tmp_path_factory):
    folder = tmp_path_factory.mktemp("child-straight")
    proc = _child(folder)
    assert proc.returncode == 0, proc.stderr
    return folder


def test_sigkill_after_k_steps_then_resume_is_bitwise_equal(tmp_path, child_straight):
    # 160 training samples in batches of 16: 10 steps per epoch, checkpoints every 5 steps and every epoch;
    # killed at step 13 (in epoch 2), it resumes from the checkpoint at step 10 and redoes 3 steps
    killed = _child(tmp_path, kill_at=13)
    assert killed.returncode == -signal.SIGKILL
    assert len(_losses(tmp_path)) == 13 and not (tmp_path / "final.safetensors").exists()
    resumed = _child(tmp_path, resume=True)
    assert resumed.returncode == 0, resumed.stderr
    expected = _losses(child_straight)
    assert len(expected) == 40 and _losses(tmp_path) == expected
    assert len((tmp_path / "losses.txt").read_text().splitlines()) == 43  # steps 10, 11, 12 twice
    assert_bitwise_equal({k: v.numpy() for k, v in load_state_dict(tmp_path / "final.safetensors").items()},
                         {k: v.numpy() for k, v in load_state_dict(child_straight / "final.safetensors").items()})


def test_sigkill_at_any_moment_then_resume_is_bitwise_equal(tmp_path, child_straight):
    # killed from outside at a moment the test does not choose (maybe while writing a checkpoint)
    proc = _child(tmp_path, sleep=0.02, wait=False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            (tmp_path / "losses.txt").exists() and len((tmp_path / "losses.txt").read_text().splitlines()) >= 17):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    resumed = _child(tmp_path, resume=True)
    assert resumed.returncode == 0, resumed.stderr
    assert _losses(tmp_path) == _losses(child_straight)
    assert_bitwise_equal({k: v.numpy() for k, v in load_state_dict(tmp_path / "final.safetensors").items()},
                         {k: v.numpy() for k, v in load_state_dict(child_straight / "final.safetensors").items()})


# --- chainrule train --resume ---------------------------------------------------------------------

TRAIN = ["train", "--dataset", "spiral", "--subset", "300", "--epochs", "6", "--hidden", "16", "--dropout", "0.2",
         "--augment", "noise", "--reduce-lr", "1", "--early-stopping", "3", "--checkpoint-every", "7",
         "--seed", "3", "--quiet"]

CLI_CHILD = textwrap.dedent("""
    import os, signal, sys
    import chainrule.train
    from chainrule.cli import main
    from chainrule.train.callbacks import LambdaCallback

    kill_at, argv = int(sys.argv[1]), sys.argv[2:]
    fit, steps = chainrule.train.fit, []

    def killing_fit(*args, **kwargs):
        def end(batch, logs):
            steps.append(batch)
            if len(steps) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        kwargs["callbacks"] = kwargs["callbacks"] + [LambdaCallback(on_train_batch_end=end)]
        return fit(*args, **kwargs)

    chainrule.train.fit = killing_fit
    sys.exit(main(argv))
""")


def test_cli_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path, capsys):
    assert main(TRAIN + ["--out", str(tmp_path), "--name", "straight"]) == 0
    script = tmp_path / "cli_child.py"
    script.write_text(CLI_CHILD)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    # 270 training samples in batches of 32: 9 steps per epoch; killed at step 25 (epoch 3), after the
    # checkpoints of epoch 2 (step 18) and of step 21
    killed = subprocess.run([sys.executable, str(script), "25", *TRAIN, "--out", str(tmp_path), "--name", "run"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run_dir = tmp_path / "run"
    rows = list(csv.reader((run_dir / "metrics.csv").open()))
    assert [r[0] for r in rows[1:]] == ["1", "2"] and not (run_dir / "model.safetensors").exists()
    resumed = subprocess.run([sys.executable, "-m", "chainrule", "train", "--resume", str(run_dir), "--quiet"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    straight = tmp_path / "straight"
    def without_time(path):  # the time column is wall-clock seconds: the one column that differs
        rows = list(csv.reader(path.open()))
        keep = [i for i, name in enumerate(rows[0]) if name != "time"]
        return [[row[i] for i in keep] for row in rows]

    assert without_time(run_dir / "metrics.csv") == without_time(straight / "metrics.csv")  # appended, no repeats
    assert_bitwise_equal({k: v.numpy() for k, v in load_state_dict(run_dir / "model.safetensors").items()},
                         {k: v.numpy() for k, v in load_state_dict(straight / "model.safetensors").items()})
    assert (run_dir / "checkpoint.safetensors").is_file()  # the run folder keeps its checkpoint
    assert json.loads((run_dir / "config.json").read_text())["checkpoint_every"] == 7


def test_cli_resume_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--resume", str(tmp_path), "--lr", "0.1"])
    assert e.value.code == 2 and "--resume continues a run with its own config.json; drop --lr" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "nowhere")]) == 1
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "config.json").write_text("{}")
    assert main(["train", "--resume", str(tmp_path)]) == 1
    assert "has no checkpoint.safetensors to resume from" in capsys.readouterr().err
