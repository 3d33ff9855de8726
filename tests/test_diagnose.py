"""diagnose(): one synthetic history per kind of training curve, plus the edges of each threshold."""

import math

import numpy as np
import pytest

from chainrule.train import diagnose as dmod
from chainrule.train.diagnose import Diagnosis, diagnose

EPOCHS = np.arange(20)


def _decay(tau, start=2.3, floor=0.3):
    return list(floor + (start - floor) * np.exp(-EPOCHS / tau))


def test_converged_exponential_decay():
    d = diagnose({"loss": _decay(2.0)})
    assert d.kind == "converged"
    assert "converged" in d.message and "\n" not in d.message


def test_converged_with_noisy_flat_validation_loss():
    # the train loss keeps creeping down (the normal generalisation gap); val is flat with noise
    rng = np.random.default_rng(0)
    val = [v + 0.004 * rng.standard_normal() for v in _decay(1.5, 0.6, 0.32)]
    d = diagnose({"loss": list(np.linspace(0.5, 0.2, 20)), "val_loss": val})
    assert d.kind == "converged", d.message


def test_still_improving_slow_linear_descent():
    # the lecture's third curve: learning rate too low, has not converged yet
    d = diagnose({"loss": list(2.3 - 0.02 * EPOCHS)})
    assert d.kind == "still_improving"
    assert "train longer or raise the learning rate" in d.message


def test_still_improving_uses_val_loss_when_present():
    loss = list(np.linspace(1.0, 0.2, 12))
    assert diagnose({"loss": loss, "val_loss": list(np.linspace(1.1, 0.4, 12))}).kind == "still_improving"
    assert diagnose({"loss": loss, "val_loss": [1.1, 0.5] + [0.45] * 10}).kind == "converged"


@pytest.mark.parametrize("loss", [
    [2.3, 5.0, 40.0, 1e4],                   # exploding from the start
    [2.3, 0.5, 0.4, 1.2],                   # fell, then blew up
    [2.3, 1.5, 1.0, 0.9, 2.35],              # ended above the start
])
def test_diverged_rising_loss(loss):
    d = diagnose({"loss": loss})
    assert d.kind == "diverged"
    assert "lower the learning rate" in d.message


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_diverged_non_finite_reports_epoch(bad):
    d = diagnose({"loss": [2.3, 1.0, bad, bad], "val_loss": [2.3, 1.1, 1.0, 1.0]})
    assert (d.kind, d.epoch) == ("diverged", 3)
    # a NaN is diverged even before there are enough epochs to judge a shape
    assert diagnose({"loss": [float("nan")]}).kind == "diverged"
    assert diagnose({"loss": [1.0, 0.5, 0.4], "val_loss": [1.0, bad, 0.5]}).kind == "diverged"


def test_small_rise_near_zero_is_noise_not_divergence():
    # 0.002 -> 0.005 is 2.5x the minimum but a tiny share of the 2.3 drop
    assert diagnose({"loss": [2.3, 0.01, 0.002, 0.005]}).kind != "diverged"


def test_stalled_flat_from_the_start():
    d = diagnose({"loss": [2.3026, 2.3025, 2.3027, 2.3024, 2.3025]})
    assert d.kind == "stalled"
    assert "learning rate" in d.message and "bug" in d.message


def test_stall_threshold_edge():
    first = 1.0
    just_below = first * (1 - dmod.STALL_TOL) + 1e-6
    assert diagnose({"loss": [first, just_below, just_below]}).kind == "stalled"
    assert diagnose({"loss": [first, 0.9, 0.9, 0.9, 0.9]}).kind != "stalled"


def test_overfitting_reports_onset_epoch():
    loss = list(np.linspace(1.0, 0.1, 15))
    val = [1.0, 0.7, 0.55, 0.5, 0.48, 0.47, 0.5, 0.55, 0.6, 0.66, 0.7, 0.75, 0.8, 0.85, 0.9]
    d = diagnose({"loss": loss, "val_loss": val})
    assert (d.kind, d.epoch) == ("overfitting", 6)
    assert "since epoch 6" in d.message
    assert "early stopping" in d.message and "regularisation" in d.message


def test_one_lucky_epoch_at_the_minimum_is_not_overfitting():
    # the last 80 epochs of the README's spiral run: val_loss settles at 0.15-0.24 with one epoch at 0.084;
    # against that single dip the last value (0.176) read as "overfitting since epoch 67"
    val = [0.478, 0.803, 0.557, 0.592, 0.499, 0.42, 0.517, 0.358, 0.399, 0.345, 0.345, 0.361, 0.299, 0.197, 0.33,
           0.288, 0.169, 0.358, 0.234, 0.193, 0.324, 0.207, 0.231, 0.259, 0.195, 0.21, 0.219, 0.237, 0.175, 0.223,
           0.199, 0.238, 0.211, 0.277, 0.137, 0.204, 0.177, 0.296, 0.181, 0.21, 0.254, 0.139, 0.242, 0.222, 0.19,
           0.209, 0.165, 0.2, 0.185, 0.175, 0.203, 0.151, 0.173, 0.153, 0.2, 0.168, 0.16, 0.181, 0.179, 0.17, 0.156,
           0.151, 0.146, 0.241, 0.213, 0.163, 0.084, 0.235, 0.205, 0.204, 0.171, 0.202, 0.168, 0.174, 0.189, 0.187,
           0.193, 0.181, 0.173, 0.176]
    loss = list(np.geomspace(0.27, 0.022, len(val)))
    assert diagnose({"loss": loss, "val_loss": val}).kind == "converged"
    # the same curve rising for real after the dip is overfitting, reported from the dip
    rising = val[:70] + [0.25, 0.28, 0.3, 0.33, 0.36, 0.38, 0.41, 0.44, 0.46, 0.5]
    d = diagnose({"loss": loss, "val_loss": rising})
    assert (d.kind, d.epoch) == ("overfitting", 67)


def test_overfitting_needs_a_real_rise_and_falling_train_loss():
    loss = list(np.linspace(1.0, 0.1, 10))
    # val rose only 2% above its minimum: noise, not overfitting
    val = [1.0, 0.7, 0.6, 0.55, 0.5, 0.505, 0.51, 0.508, 0.51, 0.51]
    assert diagnose({"loss": loss, "val_loss": val}).kind != "overfitting"
    # val minimum at the very end: nothing to overfit yet
    assert diagnose({"loss": loss, "val_loss": list(np.linspace(1.0, 0.4, 10))}).kind != "overfitting"
    # val rising but the train loss rising too: that is divergence, not overfitting
    d = diagnose({"loss": [1.0, 0.5, 0.4, 0.9, 1.5], "val_loss": [1.0, 0.5, 0.45, 0.9, 1.6]})
    assert d.kind == "diverged"


def test_too_short():
    assert diagnose({"loss": []}).kind == "too_short"
    d = diagnose({"loss": [2.3, 1.0]})
    assert d.kind == "too_short" and "2 epochs" in d.message


def test_accepts_history_objects_and_ignores_mismatched_val():
    class History:
        history = {"loss": _decay(2.0), "val_loss": [0.5]}  # partial val list: ignored

    d = diagnose(History())
    assert isinstance(d, Diagnosis) and d.kind == "converged"
    assert str(d) == d.message


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="'loss'"):
        diagnose({"accuracy": [0.5, 0.6]})


def test_every_kind_is_reachable():
    histories = [
        {"loss": _decay(2.0)},
        {"loss": list(2.3 - 0.02 * EPOCHS)},
        {"loss": [2.3, 5.0, 40.0]},
        {"loss": [1.0, 0.8, 0.6, 0.4, 0.2], "val_loss": [1.0, 0.8, 0.9, 1.0, 1.1]},
        {"loss": [2.3, 2.3, 2.3]},
        {"loss": [2.3]},
    ]
    kinds = {diagnose(h).kind for h in histories} | {diagnose({"loss": [0.7, 0.69, 0.69]}, chance=math.log(2)).kind}
    assert kinds == set(dmod.KINDS)
    assert all(math.isfinite(v) for h in histories for v in h["loss"])


def test_noisy_recent_dip_after_an_older_best_is_converged():
    # a real Fashion-MNIST run stopped early: val_loss best at epoch 6, a noisy dip at the end
    val = [0.3849, 0.3527, 0.3470, 0.3263, 0.3179, 0.2962, 0.3033, 0.2975, 0.3073, 0.3066, 0.2965]
    loss = [0.5409, 0.3955, 0.3541, 0.3322, 0.3124, 0.2977, 0.2875, 0.2811, 0.2701, 0.2621, 0.2550]
    assert diagnose({"loss": loss, "val_loss": val}).kind == "converged"


def test_not_learning_for_regression_near_the_target_variance():
    # a regression that never beats predicting the mean: MSE stays at var(y) = 0.25
    d = diagnose({"loss": [0.27, 0.26, 0.255, 0.252, 0.251], "val_loss": [0.26, 0.255, 0.252, 0.251, 0.25]},
                 chance=0.25)
    assert d.kind == "not_learning" and "raise the learning rate" in d.message
    assert diagnose({"loss": [0.27, 0.1, 0.05, 0.04, 0.04]}, chance=0.25).kind == "converged"
    assert diagnose({"loss": [0.27, 0.26, 0.25]}, chance=float("nan")).kind != "not_learning"  # unknown chance


def test_a_noisy_dip_below_the_chance_threshold_is_still_not_learning():
    # a 30-epoch spiral run: val_loss around 0.68 with one dip to 0.649 (5% below ln 2 is 0.658), training loss
    # at chance too; "converged, more epochs will not help" was wrong: 200 epochs reach 0.99 accuracy
    val = [0.672, 0.694, 0.689, 0.701, 0.649, 0.717, 0.655, 0.664, 0.697, 0.679, 0.68, 0.687, 0.694, 0.671, 0.697,
           0.68, 0.695, 0.733, 0.68, 0.683, 0.684, 0.684, 0.692, 0.658, 0.675, 0.67, 0.682, 0.677, 0.682, 0.688]
    loss = [0.70 - 0.0007 * i for i in range(30)]  # 0.70 -> 0.68
    assert diagnose({"loss": loss, "val_loss": val}, chance=math.log(2)).kind == "not_learning"
    # a run that learned and then overfits back towards chance is not "not learning": its training loss fell
    learned = [0.69, 0.5, 0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02]
    val_up = [0.69, 0.5, 0.35, 0.3, 0.4, 0.5, 0.6, 0.66, 0.68, 0.69, 0.69, 0.7]
    assert diagnose({"loss": learned, "val_loss": val_up}, chance=math.log(2)).kind == "overfitting"
