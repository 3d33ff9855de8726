"""Atomic writes: a killed writer leaves the old file or the new one, never a broken one."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.io import atomic_path, atomic_write, load_checkpoint, load_state_dict, save_state_dict
from chainrule.io.atomic import temp_files_of

SRC = str(Path(__file__).parent.parent / "src")
SIZE = 1_000_000  # float32 values: a 4 MB checkpoint, so that kills land mid-write

WRITER = f"""
import sys
import numpy as np
from chainrule.io import save_checkpoint

class Model:
    def __init__(self, seed):
        self.state = {{"w": np.random.default_rng(seed).standard_normal({SIZE}).astype(np.float32)}}
    def state_dict(self):
        return self.state

models = [Model(0), Model(1)]
target, i = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
while True:  # alternate the two contents until killed
    save_checkpoint(target, model=models[i % 2], extra={{"which": i % 2}})
    i += 1
"""


class Receiver:
    """A stand-in model that keeps what load_checkpoint gives it."""

    def state_dict(self):
        return {"w": ((SIZE,), np.float32)}

    def load_state_dict(self, state):
        self.w = state["w"]._data


def start_writer(target, first):
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(first)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_killed_writers_leave_the_old_or_the_new_checkpoint(tmp_path):
    contents = [np.random.default_rng(seed).standard_normal(SIZE).astype(np.float32) for seed in (0, 1)]
    target = tmp_path / "ckpt.safetensors"
    from chainrule.io import save_checkpoint

    class Model:
        def state_dict(self):
            return {"w": contents[0]}

    save_checkpoint(target, model=Model(), extra={"which": 0})
    delays = random.Random(0)
    mid_write = 0
    upcoming = start_writer(target, 1)
    try:
        for round in range(50):
            writer = upcoming
            assert writer.stdout.readline() == "ready\n"
            if round < 49:
                upcoming = start_writer(target, round)  # imports while this one writes
            writer.stdin.write("go\n")
            writer.stdin.flush()
            time.sleep(delays.uniform(0.0, 0.06))
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer.stdin.close()
            writer.stdout.close()

            receiver = Receiver()
            extra = load_checkpoint(target, model=receiver)
            np.testing.assert_array_equal(receiver.w, contents[extra["which"]])
            leftovers = temp_files_of(target)
            assert len(leftovers) <= 1, leftovers  # only the killed writer's, the next save removes it
            mid_write += len(leftovers)
            assert {p.name for p in tmp_path.iterdir()} <= {target.name} | {Path(p).name for p in leftovers}
    finally:
        for process in (writer, upcoming):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert mid_write >= 5, f"only {mid_write} of 50 kills landed mid-write; the test did not test much"
    save_checkpoint(target, model=Model(), extra={"which": 0})
    assert temp_files_of(target) == [] and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_failure_mid_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "w.safetensors"
    save_state_dict({"old": np.arange(3, dtype=np.float32)}, target)

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")  # the data is written, the disk fails to flush it

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        save_state_dict({"new": np.zeros(3, np.float32)}, target)
    monkeypatch.undo()
    np.testing.assert_array_equal(load_state_dict(target)["old"]._data, [0, 1, 2])
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "notes.txt"
    with atomic_write(target, "w") as f:
        f.write("first ✓")
    assert target.read_text(encoding="utf-8") == "first ✓"
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as f:
            f.write("second")
            raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "first ✓"
    with atomic_write(target) as f:
        f.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(ValueError, match="mode must be 'wb' or 'w'"):
        with atomic_write(target, "a"):
            pass


def test_atomic_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "f.bin") as temp:
            Path(temp).write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600


def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    target = tmp_path / "w.safetensors"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".w.safetensors.{dead.pid}.0123456789abcdef.tmp"
    live = tmp_path / f".w.safetensors.{os.getpid()}.fedcba9876543210.tmp"  # another thread, still writing
    unrelated = tmp_path / ".other.safetensors.1.0123456789abcdef.tmp"
    for p in (stale, live, unrelated):
        p.write_bytes(b"partial")
    assert temp_files_of(target) == sorted([str(stale), str(live)])
    save_state_dict({"a": np.zeros(1, np.float32)}, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, unrelated.name, target.name])


def test_importing_chainrule_io_does_not_import_safetensors():
    code = "import sys, chainrule.io; print('safetensors' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=SRC),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
