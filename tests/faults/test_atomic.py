"""Atomic writes under faults: a full disk names the file, and Ctrl-C at any moment leaves no temporary file."""

import os

import pytest

import chainrule as cr
from chainrule.cli.runs import write_text
from chainrule.io import atomic, save_state_dict
from chainrule.io.atomic import temp_files_of
from faults.helpers import full_disk, interrupt_after


def test_no_space_left_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text("old")
    with full_disk(monkeypatch), pytest.raises(OSError, match="No space left on device") as e:
        write_text(target, "new" * 1000)
    assert e.value.filename == str(target) and str(target) in str(e.value)
    assert target.read_text() == "old" and not temp_files_of(target)


def test_no_space_left_while_saving_weights_names_the_file(tmp_path, monkeypatch):
    with full_disk(monkeypatch), pytest.raises(OSError) as e:
        save_state_dict({"w": cr.ones(100)}, tmp_path / "m.safetensors")
    assert e.value.filename == str(tmp_path / "m.safetensors")


@pytest.mark.parametrize("call", [1])
def test_ctrl_c_right_after_the_temporary_file_is_created_leaves_nothing(tmp_path, monkeypatch, call):
    target = tmp_path / "m.safetensors"
    with interrupt_after(monkeypatch, atomic.os, "open", calls=call), pytest.raises(KeyboardInterrupt):
        save_state_dict({"w": cr.ones(3)}, target)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_ctrl_c_while_writing_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "r.md"
    with interrupt_after(monkeypatch, atomic.os, "fsync"), pytest.raises(KeyboardInterrupt):
        write_text(target, "x")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_during_checkpointing_training_leaves_no_temporary_file(tmp_path, sig):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    cmd = [sys.executable, "-m", "chainrule", "train", "--dataset", "spiral", "--subset", "2000", "--epochs", "200",
           "--hidden", "64,64", "--checkpoint-every", "1", "--quiet", "--out", str(tmp_path), "--name", "r"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = tmp_path / "r" / "checkpoint.safetensors"
    deadline = time.monotonic() + 60
    while not ckpt.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(getattr(signal, sig))
    code = proc.wait(60)
    assert code == 130, proc.stderr.read()
    assert not [n for n in os.listdir(tmp_path / "r") if n.endswith(".tmp")]
    from chainrule.io import load_checkpoint

    load_checkpoint(ckpt)  # whole


def test_no_space_left_while_logging_metrics_names_the_csv(tmp_path, monkeypatch):
    from chainrule.train.callbacks import CSVLogger

    logger = CSVLogger(tmp_path / "metrics.csv")
    with full_disk(monkeypatch):
        logger.on_train_begin()
        with pytest.raises(OSError) as e:
            logger.on_epoch_end(0, {"loss": 1.0})
    logger.on_train_end()
    assert e.value.filename == str(tmp_path / "metrics.csv")


def test_ctrl_c_right_after_a_download_file_is_created_leaves_nothing(tmp_path, monkeypatch):
    from chainrule.data.datasets import download

    with interrupt_after(monkeypatch, download.os, "open"), pytest.raises(KeyboardInterrupt):
        download._fetch("http://127.0.0.1:9/x.gz", tmp_path / "x.gz", "0" * 64, 1.0, False)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_saving_into_a_missing_folder_names_the_target_not_a_temporary_file(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        cr.save({"w": cr.ones(1)}, tmp_path / "missing" / "m.pt")
    assert e.value.filename == str(tmp_path / "missing" / "m.pt")
