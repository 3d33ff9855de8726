"""Run folders: claimed by exactly one run, never written through symbolic links, never outside --out, and never
a folder that holds something else."""

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.cli.run_folder import claim_run_dir
from chainrule.cli.runs import RunError
from chainrule.train.callbacks import CSVLogger
from faults.helpers import symlink

TOY = ["train", "--dataset", "xor", "--subset", "40", "--epochs", "1", "--hidden", "4", "--quiet"]


def _claim(out, barrier, results, i):
    barrier.wait()
    try:
        claim_run_dir(out, "same", {"who": i}, numbered=False)
        results[i] = "won"
    except RunError as e:
        results[i] = str(e)


@pytest.mark.parametrize("precreated", [False, True])
def test_concurrent_claims_of_one_name_have_exactly_one_winner(tmp_path, precreated):
    if precreated:  # an existing empty folder: the race moves from mkdir to publishing config.json
        (tmp_path / "same").mkdir()
    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier, results = ctx.Barrier(n), ctx.Manager().dict()
    procs = [ctx.Process(target=_claim, args=(tmp_path, barrier, results, i)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    outcomes = [results[i] for i in range(n)]
    assert outcomes.count("won") == 1, outcomes
    assert all("already holds a run" in o for o in outcomes if o != "won"), outcomes
    assert sorted(os.listdir(tmp_path / "same")) == ["config.json"]  # no temporary file left


@pytest.mark.slow
def test_two_cli_trainings_with_the_same_name_one_wins_the_other_exits_1(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    cmd = [sys.executable, "-m", "chainrule", *TOY, "--out", str(tmp_path), "--name", "same"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    assert "already holds a run" in next(err for code, err in results if code == 1)
    rows = (tmp_path / "same" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1"]  # one epoch, counted from 1


def test_a_symlinked_metrics_csv_in_a_foreign_folder_is_never_followed(tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "runs" / "x").mkdir(parents=True)
    symlink(tmp_path / "runs" / "x" / "metrics.csv", victim)
    assert main([*TOY, "--out", str(tmp_path / "runs"), "--name", "x"]) == 1
    assert "is not empty (metrics.csv) and is not a chainrule run folder" in capsys.readouterr().err
    assert victim.read_text() == "precious"


def test_a_non_empty_folder_without_config_json_is_refused_and_untouched(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "report.md").write_text("mine")
    assert main([*TOY, "--out", str(tmp_path), "--name", "x"]) == 1
    assert "not a chainrule run folder" in capsys.readouterr().err
    assert (tmp_path / "x" / "report.md").read_text() == "mine" and len(os.listdir(tmp_path / "x")) == 1


def test_a_run_folder_that_is_a_symlink_is_refused(tmp_path, capsys):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "runs").mkdir()
    symlink(tmp_path / "runs" / "x", tmp_path / "elsewhere")
    assert main([*TOY, "--out", str(tmp_path / "runs"), "--name", "x"]) == 1
    assert "is a symbolic link" in capsys.readouterr().err
    assert not os.listdir(tmp_path / "elsewhere")


@pytest.mark.parametrize("name", ["..", ".", "a/b", "../up", ""])
def test_run_names_are_one_path_component(tmp_path, name, capsys):
    with pytest.raises(SystemExit) as e:
        main([*TOY, "--out", str(tmp_path / "runs"), "--name", name])
    assert e.value.code == 2 and "--name" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "config.json").exists()


def test_resume_refuses_a_run_folder_whose_files_are_links(toy_run, tmp_path, capsys):
    shutil.copytree(toy_run, tmp_path / "r")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.remove(tmp_path / "r" / "metrics.csv")
    symlink(tmp_path / "r" / "metrics.csv", victim)
    assert main(["train", "--resume", str(tmp_path / "r"), "--quiet"]) == 1
    assert "metrics.csv is a symbolic link" in capsys.readouterr().err
    assert victim.read_text() == "precious"


def test_csv_logger_never_writes_through_a_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    logger = CSVLogger(symlink(tmp_path / "log.csv", victim))
    with pytest.raises(OSError, match="symbolic link"):
        logger.on_train_begin()
    assert victim.read_text() == "precious"
