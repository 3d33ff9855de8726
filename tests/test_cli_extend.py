"""`chainrule train --resume RUN --epochs N` extends a run; Ctrl-C prints the resume command;
`--config FILE.json` takes settings from a file (a run's own config.json), typed options winning."""

import csv
import json

import numpy as np
import pytest

from chainrule.cli import main

SMALL = ["train", "--dataset", "spiral", "--subset", "200", "--hidden", "8", "--seed", "0", "--quiet"]


def _epochs(run):
    with open(run / "metrics.csv") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


def test_resume_with_more_epochs_extends_a_finished_run(tmp_path):
    assert main([*SMALL, "--epochs", "3", "--out", str(tmp_path), "--name", "r"]) == 0
    run = tmp_path / "r"
    assert _epochs(run) == [1, 2, 3]
    assert main(["train", "--resume", str(run), "--epochs", "5", "--quiet"]) == 0
    assert _epochs(run) == [1, 2, 3, 4, 5]
    assert json.loads((run / "config.json").read_text())["epochs"] == 5
    assert json.loads((run / "results.json").read_text())["epochs"]["run"] == 5
    with pytest.raises(SystemExit) as e:  # fewer than done: a usage error
        main(["train", "--resume", str(run), "--epochs", "4"])
    assert e.value.code == 2
    with pytest.raises(SystemExit):  # other settings still come from config.json
        main(["train", "--resume", str(run), "--lr", "0.1"])


def test_fit_resumed_with_more_epochs_continues_an_early_stopped_run(tmp_path):
    from chainrule import nn, optim
    from chainrule.train import fit
    from chainrule.train.callbacks import EarlyStopping

    X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)

    def run(epochs, resume=None):
        model = nn.Linear(2, 2)
        stop = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)  # nothing counts as progress
        return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=epochs,
                   seed=0, verbose=0, callbacks=[stop], checkpoint=tmp_path / "c.safetensors", resume=resume)

    assert len(run(10).history["loss"]) == 2  # stopped early at epoch 2
    assert len(run(10, resume=True).history["loss"]) == 2  # the same plan: stays stopped, as before
    assert len(run(12, resume=True).history["loss"]) > 2  # a larger plan: trains on


def test_ctrl_c_prints_the_command_that_resumes(tmp_path, monkeypatch, capsys):
    import chainrule.cli.train as train

    def interrupted(config, data, run_dir, *args, **kwargs):
        (run_dir / "checkpoint.safetensors").write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "train_model", interrupted)
    assert main([*SMALL, "--epochs", "3", "--out", str(tmp_path), "--name", "x"]) == 130
    err = capsys.readouterr().err
    assert f"chainrule train --resume {tmp_path / 'x'}" in err


def test_config_file_with_overrides(tmp_path):
    assert main([*SMALL, "--epochs", "2", "--lr", "0.02", "--out", str(tmp_path), "--name", "a"]) == 0
    assert main(["train", "--config", str(tmp_path / "a" / "config.json"), "--epochs", "3", "--name", "b",
                 "--quiet"]) == 0
    a, b = (json.loads((tmp_path / n / "config.json").read_text()) for n in "ab")
    assert b["epochs"] == 3 and b["name"] == "b"
    assert {k: b[k] for k in ("lr", "hidden", "seed", "subset", "dataset")} == \
        {k: a[k] for k in ("lr", "hidden", "seed", "subset", "dataset")}
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps({"dataset": "circle", "hidden": [4], "early-stopping": 0, "epochs": 2}))
    assert main(["train", "--config", str(settings), "--out", str(tmp_path), "--name", "c", "--quiet"]) == 0
    c = json.loads((tmp_path / "c" / "config.json").read_text())
    assert (c["dataset"], c["hidden"], c["epochs"]) == ("circle", [4], 2)
    settings.write_text(json.dumps({"learning_rate": 0.1}))
    with pytest.raises(SystemExit) as e:
        main(["train", "--config", str(settings)])
    assert e.value.code == 2


def test_a_fixed_thread_count_is_kept_for_the_reproduce_line_config_and_resume(tmp_path, monkeypatch):
    # --threads N is what makes a seeded run repeat bit for bit (docs/runs.md): config.json keeps it, the
    # report's reproduce line says it, --config and --resume apply it again
    from chainrule.cli import build_parser
    from chainrule.cli.config_file import expand

    calls = []
    monkeypatch.setattr("chainrule.cli.train.set_threads", lambda n, parser: calls.append(n))  # (BLAS untouched)
    assert main([*SMALL, "--epochs", "2", "--threads", "1", "--out", str(tmp_path), "--name", "t"]) == 0
    run = tmp_path / "t"
    assert json.loads((run / "config.json").read_text())["threads"] == 1 and calls == [1]
    assert "--threads 1" in (run / "report.md").read_text()
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 0
    assert calls == [1, 1]
    parser = build_parser()
    args = parser.parse_args(expand(["train", "--config", str(run / "config.json")], parser.subcommands["train"]))
    assert args.threads == 1
    assert main([*SMALL, "--epochs", "1", "--out", str(tmp_path), "--name", "u"]) == 0  # the adaptive default
    assert json.loads((tmp_path / "u" / "config.json").read_text())["threads"] is None
    assert "--threads" not in (tmp_path / "u" / "report.md").read_text() and calls == [1, 1]
