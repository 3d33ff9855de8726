"""chainrule.search and `chainrule search`: specs, determinism, validation-only choice, one test evaluation."""

import csv
import json

import pytest

from chainrule.cli import main
from chainrule.search import SearchError, grid, parse_space, random_configs, run_search

TOY = ["--dataset", "circle", "--subset", "120", "--epochs", "2", "--batch-size", "32"]


def train_parser():
    from chainrule.cli import build_parser

    return build_parser().subcommands["train"]


def test_parse_space_grid_and_fixed_options():
    dims, fixed = parse_space(["--lr", "1e-4,1e-3,1e-2", "--hidden", "128;256,128", "--dropout", "0,0.2",
                               "--dataset", "spiral"], train_parser())
    assert [d.option for d in dims] == ["--lr", "--hidden", "--dropout"]
    assert dims[1].values == ["128", "256,128"] and fixed == ["--dataset", "spiral"]
    configs = grid(dims)
    assert len(configs) == 12 and configs[0] == {"--lr": "1e-4", "--hidden": "128", "--dropout": "0"}
    assert random_configs(dims, 5, seed=1) == random_configs(dims, 5, seed=1)
    assert len({tuple(c.values()) for c in random_configs(dims, 12, seed=1)}) == 12  # no repeats
    (lr,), _ = parse_space(["--lr", "1e-4:1e-1:log"], train_parser())
    draws = [float(c["--lr"]) for c in random_configs([lr], 20, seed=0)]
    assert all(1e-4 <= v <= 1e-1 for v in draws) and len(set(draws)) > 10


@pytest.mark.parametrize("spec, message", [
    (["--lrr", "1e-3,1e-2"], "unknown train option --lrr; did you mean --lr?"),
    (["--lr", ""], "--lr: empty value"),
    (["--lr", "1e-3,"], "--lr: empty value"),
    (["--lr", "1e-3,abc"], "--lr: expected a positive number, got 'abc'"),
    (["--hidden", "16;x"], "--hidden: expected comma-separated"),
    (["--optimizer", "adam,adamm"], "--optimizer: unknown optimizer 'adamm'"),
    (["--reduce-lr", "2,1.5"], "--reduce-lr: expected an integer >= 0"),
    (["--lr"], "--lr: expected a list of values"),
    (["--seed", "1,2"], "--seed is set by the search itself"),
    (["--lr", "1e-3:1e-2"], "--lr: a LOW:HIGH range needs random search"),
])
def test_bad_specs_name_the_option(spec, message, tmp_path):
    with pytest.raises(SearchError) as info:
        run_search([*TOY, *spec], name="bad", out=tmp_path, verbose=False)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "bad").exists()  # nothing trained or written


def test_nothing_to_search_and_cli_exit_status(tmp_path, capsys):
    with pytest.raises(SearchError, match="nothing to search"):
        run_search(TOY, name="x", out=tmp_path, verbose=False)
    assert main(["search", "--name", "x", "--out", str(tmp_path), *TOY, "--dropout", "0,0.2", "--lrr", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "chainrule search: error: unknown train option --lrr; did you mean --lr?"


def test_under_mpirun_only_rank_zero_prints_a_bad_specification(tmp_path, capsys, monkeypatch):
    # the spec is checked before the ranks join the group: the launcher's rank variable decides who prints
    bad = ["search", "--name", "x", "--out", str(tmp_path), *TOY, "--lr", "abc,1e-3"]
    monkeypatch.setattr("time.sleep", lambda s: None)
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    assert main(bad) == 2
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    assert main(bad) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "chainrule search: error: --lr: expected a positive number, got 'abc'"


def test_quiet_prints_only_the_winner_line(tmp_path, capsys):
    assert main(["search", "--name", "q", "--out", str(tmp_path), *TOY, "--lr", "1e-3,3e-2", "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("winner: trial "), out
    assert "val_accuracy" in out[0] and "test accuracy" in out[0]


def test_search_is_deterministic_and_touches_test_once(tmp_path):
    space = [*TOY, "--lr", "1e-3,3e-2", "--hidden", "8;16,16"]
    a = run_search(space, name="a", out=tmp_path, seed=3, verbose=False)
    b = run_search(space, name="b", out=tmp_path, seed=3, verbose=False)
    assert [r["score"] for r in a["trials"]] == [r["score"] for r in b["trials"]]
    assert a["winner"]["trial"] == b["winner"]["trial"] and a["test"]["accuracy"] == b["test"]["accuracy"]
    scores = [r["score"] for r in a["trials"]]
    assert a["winner"]["score"] == max(scores) and a["winner"]["trial"] == scores.index(max(scores))
    folder = tmp_path / "a"
    rows = list(csv.DictReader(open(folder / "trials.csv")))
    assert len(rows) == 4 and rows[1]["hidden"] == "16,16" and rows[0]["lr"] == "1e-3"
    assert (folder / "trials.md").read_text().count("\n") == 6 and (folder / "search.png").is_file()
    report = (folder / "report.md").read_text()
    assert "test set was used once" in report and "Wilson" in report
    winner_dir = folder / a["test"]["run"]
    assert (winner_dir / "model.safetensors").is_file() and (winner_dir / "report.md").is_file()
    # the other trials were never evaluated on the test set
    evaluated = [p.parent.name for p in (folder / "trials").glob("*/report.md")]
    assert evaluated == [winner_dir.name]
    assert json.loads((folder / "search.json").read_text())["trials"] == 4


def test_random_search_with_retrain_on_train_and_val(tmp_path):
    summary = run_search([*TOY, "--lr", "1e-3,1e-2,3e-2", "--dropout", "0,0.1"], name="r", out=tmp_path, trials=3,
                         seed=0, retrain=True, verbose=False)
    assert len(summary["trials"]) == 3 and summary["test"]["run"] == "final"
    config = json.loads((tmp_path / "r" / "final" / "config.json").read_text())
    assert config["val_split"] == 0 and config["epochs"] == summary["winner"]["best_epoch"]
    assert config["train_samples"] == 120
    assert (tmp_path / "r" / "final" / "report.md").is_file()


def test_optuna_search_prunes_resumes_and_repeats(tmp_path):
    pytest.importorskip("optuna")
    space = [*TOY, "--lr", "1e-3:1e-1:log", "--hidden", "8;16"]
    a = run_search(space, name="a", out=tmp_path, trials=3, seed=1, optuna=True, verbose=False)
    assert len(a["trials"]) == 3 and (tmp_path / "a" / "study.db").is_file()
    assert a["test"]["run"] == "best" and (tmp_path / "a" / "best" / "report.md").is_file()
    resumed = run_search(space, name="a", out=tmp_path, trials=4, seed=1, optuna=True, verbose=False)
    assert [r["options"] for r in resumed["trials"][:3]] == [r["options"] for r in a["trials"]]
    assert len(resumed["trials"]) == 4
    b = run_search(space, name="b", out=tmp_path, trials=3, seed=1, optuna=True, verbose=False)
    assert [r["options"] for r in b["trials"]] == [r["options"] for r in a["trials"]]
    assert b["winner"]["options"] == a["winner"]["options"]


def test_regression_search_chooses_on_val_loss(tmp_path):
    space = ["--dataset", "plane", "--subset", "100", "--epochs", "2", "--lr", "1e-3,1e-2"]
    with pytest.raises(SearchError, match="--metric must be val_loss for regression"):
        run_search(space, name="bad", out=tmp_path, metric="val_accuracy", verbose=False)
    summary = run_search(space, name="reg", out=tmp_path, verbose=False)
    losses = [r["score"] for r in summary["trials"]]
    assert summary["spec"]["metric"] == "val_loss" and summary["winner"]["score"] == min(losses)
    assert "r2" in summary["test"] and "test set was used once" in (tmp_path / "reg" / "report.md").read_text()


@pytest.mark.slow
def test_search_over_two_mpi_ranks_matches_the_serial_search(tmp_path):
    """`mpirun -n 2 chainrule search`: trials spread over the ranks, rank 0 alone writes the search folder,
    and every trial's scores and the winner (here trained on rank 1, whose weights travel to rank 0)
    are the serial search's."""
    from helpers import mpirun

    space = [*TOY, "--lr", "1e-3,3e-2", "--hidden", "4;32", "--threads", "1", "--seed", "0"]
    rc, out = mpirun("-m", "chainrule", "search", "--name", "par", "--out", tmp_path / "mpi", *space, script=None,
                     timeout=240)
    assert rc == 0, out
    assert out.count("winner:") == 1 and "over 2 MPI ranks" in out, out  # rank 0 alone reports
    assert "rank 1)" in out, out
    assert main(["search", "--name", "par", "--out", str(tmp_path / "serial"), *space, "--quiet"]) == 0
    assert [p.name for p in (tmp_path / "mpi").iterdir()] == ["par"]

    def table(folder):
        rows = list(csv.DictReader(open(folder / "par" / "trials.csv")))
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    parallel, serial = table(tmp_path / "mpi"), table(tmp_path / "serial")
    assert parallel == serial and len(serial) == 4
    reports = [(folder / "par" / "report.md").read_text().splitlines()
               for folder in (tmp_path / "mpi", tmp_path / "serial")]
    lines = [[x for x in r if x.startswith(("**Winner", "**The test set was used once"))] for r in reports]
    assert len(lines[1]) == 2 and lines[0] == lines[1], lines
    assert "trial 3**" in lines[1][0]  # an odd trial: rank 1 trained it and sent its weights to rank 0
    runs = sorted(p.name for p in (tmp_path / "mpi" / "par" / "trials").iterdir())
    assert runs == sorted(p.name for p in (tmp_path / "serial" / "par" / "trials").iterdir())
    from chainrule import io

    weights = [io.load_state_dict(folder / "par" / "trials" / "trial-003" / "model.safetensors")
               for folder in (tmp_path / "mpi", tmp_path / "serial")]
    assert weights[0].keys() == weights[1].keys()
    for key in weights[1]:
        assert (weights[0][key].numpy() == weights[1][key].numpy()).all(), key
