"""chainrule.train.metrics: accuracy conventions, the Wilson interval, confusion matrix, Evaluation."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.train.metrics import (
    Evaluation, accuracy, accuracy_applies, confusion_matrix, per_class_accuracy, wilson_interval,
)

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal


def textbook_wilson(k, n, z=Z95):
    p = k / n
    denom = 1 + z**2 / n
    center = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return center - half, center + half


@pytest.mark.parametrize("k, n", [(2, 2), (0, 10), (50, 100), (7, 9), (931, 1000)])
def test_wilson_matches_textbook_formula(k, n):
    lo, hi = wilson_interval(k, n)
    want_lo, want_hi = textbook_wilson(k, n)
    assert lo == pytest.approx(max(0.0, want_lo), abs=1e-6)
    assert hi == pytest.approx(min(1.0, want_hi), abs=1e-6)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_two_of_two_is_weak_evidence():
    lo, hi = wilson_interval(2, 2)
    assert lo == pytest.approx(0.3424, abs=1e-4) and hi == 1.0
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(50, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def test_wilson_confidence_and_edge_cases():
    lo99, hi99 = wilson_interval(50, 100, confidence=0.99)
    assert (lo99, hi99) == pytest.approx(textbook_wilson(50, 100, z=2.5758293035489004), abs=1e-6)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.0)


def test_confusion_matrix_and_per_class_accuracy():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 2])
    cm = confusion_matrix(y_true, y_pred, num_classes=4)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    acc = per_class_accuracy(cm)
    np.testing.assert_allclose(acc[:3], [0.5, 2 / 3, 1.0])
    assert math.isnan(acc[3])  # class 3 never occurs
    # tensors work, num_classes is inferred
    np.testing.assert_array_equal(confusion_matrix(cr.tensor(y_true), cr.tensor(y_pred)), cm[:3, :3])


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(TypeError, match="integer class indices"):
        confusion_matrix([0.0, 1.0], [0.2, 0.9])
    with pytest.raises(ValueError, match="elements"):
        confusion_matrix([0, 1], [0])


def test_accuracy_conventions():
    logits = np.array([[2.0, 0.1], [0.3, 0.9], [1.0, 0.0], [0.0, 5.0]], np.float32)
    assert accuracy(logits, np.array([0, 1, 1, 1])) == 0.75
    assert accuracy(cr.tensor(logits), cr.tensor([0, 1, 1, 1])) == 0.75
    one_hot = np.eye(2, dtype=np.float32)[[0, 1, 1, 1]]
    assert accuracy(logits, one_hot) == 0.75  # argmax of float targets
    single = np.array([[1.5], [-0.2], [0.3], [-4.0]], np.float32)  # one logit: threshold at 0
    assert accuracy(single, np.array([[1.0], [0.0], [0.0], [0.0]], np.float32)) == 0.75
    assert accuracy(single.reshape(-1), np.array([1, 0, 0, 0])) == 0.75
    with pytest.raises(ValueError, match="shape"):
        accuracy(logits, np.array([0, 1]))


def test_accuracy_applies_only_to_classification_targets():
    assert accuracy_applies(np.zeros((4, 3)), np.array([0, 1, 2, 0]))
    assert accuracy_applies(np.zeros((4, 3)), np.eye(3)[[0, 1, 2, 0]])
    assert accuracy_applies(np.zeros((4, 1)), np.array([[0.0], [1.0], [1.0], [0.0]]))
    assert not accuracy_applies(np.zeros((4, 1)), np.array([[0.3], [1.7], [1.0], [0.0]]))  # regression
    assert not accuracy_applies(np.zeros((4, 3)), np.zeros((4,), np.float32))


def test_evaluation_summary_names_classes_and_interval():
    cm = np.array([[3, 1], [0, 0]])
    ev = Evaluation(loss=0.25, accuracy=0.75, accuracy_ci=wilson_interval(3, 4), n=4, correct=3,
                    per_class_accuracy=per_class_accuracy(cm), confusion_matrix=cm)
    text = ev.summary(class_names=["cat", "dog"])
    assert "accuracy 0.7500 (3/4), 95% CI [0.3006, 0.9544]" in text
    assert "loss     0.2500" in text
    assert "cat  0.7500  (3/4)" in text and "dog     n/a  (0/0)" in text
    with pytest.raises(ValueError, match="class_names"):
        ev.summary(class_names=["only one"])
