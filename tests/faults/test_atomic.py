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
