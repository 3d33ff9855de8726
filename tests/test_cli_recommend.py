"""`chainrule recommend` end to end: on a generated ratings CSV, on a MovieLens 100K layout, and bad --data."""

import csv
import json
import re

import pytest

from chainrule.cli import main
from chainrule.recommender import synthetic_ratings


def write_csv(path, data, header=True):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(["user", "item", "rating", "timestamp"])
        for u, i, r, t in zip(data.users, data.items, data.ratings, data.timestamps):
            w.writerow([f"u{u}", f"movie {i}", f"{r:g}", t])


def test_recommend_on_a_csv_writes_a_run_folder(tmp_path, capsys):
    data, _ = synthetic_ratings(n_users=120, n_items=90, n_ratings=5000, noise=0.5, min_per_user=10, seed=2)
    write_csv(tmp_path / "mine.csv", data)
    rc = main(["recommend", "--data", str(tmp_path / "mine.csv"), "--out", str(tmp_path / "runs"), "--name", "r",
               "--epochs", "6", "--dim", "8", "--users", "3", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0 and "test RMSE" in out and "wrote" in out
    run = tmp_path / "runs" / "r"
    config = json.loads((run / "config.json").read_text())
    assert config["command"] == "recommend" and config["n_ratings"] == len(data) and config["dim"] == 8
    results = json.loads((run / "results.json").read_text())
    mf, bias = results["test"], results["baselines"]["bias baseline"]
    assert mf["rmse"] < results["baselines"]["global mean"]["rmse"] and {"precision@10", "ndcg@10"} <= set(mf)
    assert 1 <= results["epochs"]["run"] <= 6 and bias["rmse"] > 0
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,rmse,val_rmse") and len(rows) == results["epochs"]["run"] + 1
    report = (run / "report.md").read_text()
    assert "| matrix factorization |" in report and "## Sample recommendations" in report
    assert "movie " in report.split("## Sample recommendations")[1]  # the items' labels serve as titles
    if pytest.importorskip("matplotlib"):
        assert (run / "curves.png").stat().st_size > 10_000 and (run / "map.png").stat().st_size > 10_000
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_recommend_on_movielens_100k_files_with_a_time_split(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    data, _ = synthetic_ratings(n_users=80, n_items=60, n_ratings=3000, min_per_user=10, seed=4)
    folder = tmp_path / "data" / "ml-100k"
    folder.mkdir(parents=True)
    (folder / "u.data").write_text("".join(f"{u + 1}\t{i + 1}\t{int(r)}\t{880000000 + t}\n" for u, i, r, t in
                                           zip(data.users, data.items, data.ratings, data.timestamps)))
    flags = "|".join(["0", "1"] + ["0"] * 17)
    (folder / "u.item").write_text("".join(f"{i + 1}|Film {i + 1} (1995)|01-Jan-1995||http://x|{flags}\n"
                                           for i in range(60)), encoding="latin-1")
    rc = main(["recommend", "--data", "ml-100k", "--root", str(tmp_path / "data"), "--no-download", "--split",
               "time", "--out", str(tmp_path / "runs"), "--name", "ml", "--epochs", "3", "--dim", "4", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    report = (tmp_path / "runs" / "ml" / "report.md").read_text()
    assert "time split" in report and "Film " in report
    assert json.loads((tmp_path / "runs" / "ml" / "config.json").read_text())["dataset"] == "ml-100k"


def test_recommend_bad_data_gives_one_clear_line(tmp_path, capsys, monkeypatch):
    assert main(["recommend", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "runs")]) == 1
    assert "expected ml-100k, ml-latest-small, synthetic or a CSV file" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("user,item,rating\n1,2,4\n1,3,NaN\n")
    assert main(["recommend", "--data", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "runs")]) == 1
    assert "line 3: rating 'NaN' is not a finite number" in capsys.readouterr().err
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    assert main(["recommend", "--data", "ml-100k", "--no-download", "--out", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert "cannot find u.data and u.item (or ml-100k.zip)" in err and "ml-100k.zip" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())  # no run folder claimed


def test_runs_lists_a_recommend_run_and_evaluate_refuses_it(tmp_path, capsys):
    data, _ = synthetic_ratings(n_users=60, n_items=50, n_ratings=1500, min_per_user=10, seed=5)
    write_csv(tmp_path / "r.csv", data, header=False)
    assert main(["recommend", "--data", str(tmp_path / "r.csv"), "--out", str(tmp_path / "runs"), "--name", "x",
                 "--epochs", "2", "--dim", "4", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["runs", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "MF dim4" in out and re.search(r"RMSE \d\.\d{4}", out)
    assert main(["evaluate", str(tmp_path / "runs" / "x")]) == 1
    assert "is a `chainrule recommend` run" in capsys.readouterr().err
