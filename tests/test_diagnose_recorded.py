"""diagnose() on histories recorded from real `chainrule train` runs (tests/fixtures/histories/*.json,
re-recorded by record.py there): each kind of curve the issue met, with what the run knew."""

import json
from pathlib import Path

import pytest

from chainrule.train.diagnose import diagnose

HERE = Path(__file__).parent / "fixtures" / "histories"


def _diagnose(name, **override):
    run = json.loads((HERE / f"{name}.json").read_text())
    context = {"chance": run["chance"], "val_samples": run["val_samples"], "early_stopping": run["early_stopping"],
               "dropout": run["dropout"]} | override
    return diagnose(run["history"], **context), run


def test_readme_spiral_under_the_old_defaults_is_not_learning():
    # loss at ln 2 after the lr was halved to ~1e-6: it used to say "converged... more epochs will not help"
    d, run = _diagnose("spiral_old_defaults")
    assert d.kind == "not_learning", d.message
    assert "raise the learning rate" in d.message and "labels" in d.message
    assert diagnose(run["history"]).kind == "converged"  # without the chance level, the shape alone misleads


def test_plane_rise_within_the_noise_of_50_validation_samples_is_not_overfitting():
    # val_loss 0.00233 at its best; the later rise is within the noise of a mean over 50 samples
    d, run = _diagnose("plane_old_defaults")
    assert run["val_samples"] == 50 and run["early_stopping"]
    assert d.kind != "overfitting", d.message
    assert "early stopping" not in d.message


def test_exploded_run_is_diverged_whatever_its_last_epochs_did():
    # lr 1e6: the loss reached ~1e21 in epoch 1 and later fell by ten orders of magnitude (exit 0; the
    # shape alone, without the chance level, reads as "converged")
    d, run = _diagnose("circle_lr1e6")
    assert d.kind == "diverged" and d.epoch == 1, d.message
    assert "lower the learning rate" in d.message
    assert run["history"]["loss"][-1] < max(run["history"]["loss"]) / 1e9


def test_real_overfitting_and_advice_that_is_not_already_in_place():
    d, _ = _diagnose("circle_new_defaults_seed1")
    assert d.kind == "overfitting" and d.epoch is not None, d.message
    assert "use early stopping" in d.message and "regularisation (dropout" in d.message
    # the same curve from a run that had early stopping and dropout on: advise neither again
    d, _ = _diagnose("circle_new_defaults_seed1", early_stopping=True, dropout=0.2)
    assert d.kind == "overfitting"
    assert "use early stopping" not in d.message and "kept the weights of epoch" in d.message
    assert "more regularisation" in d.message


@pytest.mark.parametrize("name", ["spiral_old_defaults", "plane_old_defaults", "circle_lr1e6",
                                  "circle_new_defaults_seed1"])
def test_fixtures_are_real_runs(name):
    run = json.loads((HERE / f"{name}.json").read_text())
    assert run["command"].startswith("chainrule train --dataset")
    assert len(run["history"]["loss"]) == len(run["history"]["val_loss"]) >= 10


def test_readme_spiral_under_the_new_defaults_learns():
    # the same command with the toy defaults: the loss leaves ln 2 after ~60 epochs and keeps falling
    d, _ = _diagnose("spiral_new_defaults")
    assert d.kind in ("still_improving", "converged"), d.message
