"""Extreme but valid command-line numbers: a run trains, and the folder it writes is read back."""

from chainrule.cli import main

TOY = ["train", "--dataset", "xor", "--subset", "40", "--epochs", "1", "--hidden", "4", "--quiet"]


def test_a_huge_seed_and_batch_size_train_and_evaluate(tmp_path, capsys):
    big = str(10**20)
    assert main([*TOY, "--seed", big, "--batch-size", big, "--checkpoint-every", big, "--early-stopping", big,
                 "--out", str(tmp_path), "--name", "r"]) == 0
    assert main(["evaluate", str(tmp_path / "r")]) == 0
    assert "Traceback" not in capsys.readouterr().err
