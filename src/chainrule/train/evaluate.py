"""``evaluate``, ``predict``, ``predict_proba``: a trained model measured and used, in eval mode without a graph."""

from __future__ import annotations

import numpy as np

import chainrule as cr

from .inputs import as_loader, input_batches, xy_pairs
from .metrics import (
    Evaluation, _array, accuracy_applies, confusion_matrix, per_class_accuracy, predicted_classes, target_classes, wilson_interval,
)


def eval_pass(model, pairs, on_batch) -> None:
    """Run ``on_batch(model(x), y)`` for every ``(x, y)`` in eval mode without recording a graph; restore the mode."""
    was_training = model.training
    model.eval()
    try:
        with cr.no_grad():
            for x, y in pairs:
                on_batch(model(x), y)
    finally:
        model.train(was_training)


def evaluate(model, data, loss_fn=None, batch_size: int = 256, num_classes: int | None = None) -> Evaluation:
    """Measure a classifier on ``data``: accuracy with its 95% Wilson interval, per-class accuracy, confusion matrix.

    Runs in ``model.eval()`` under ``no_grad()`` and restores the model's mode.

    Args:
        model (Module): a classifier: ``(N, C)`` logits, or one logit per sample for two classes.
        data: a ``Dataset``, a ``DataLoader`` or a tuple ``(X, y)``, giving ``(x, y)`` batches.
        loss_fn (callable, optional): also report this loss (mean over the samples). Default: None.
        batch_size (int): samples per batch (when ``data`` is not a DataLoader). Default: 256.
        num_classes (int, optional): size of the confusion matrix. Default: the number of outputs
            (2 for a single logit), or more if the labels need it.

    Returns:
        Evaluation: ``.accuracy``, ``.accuracy_ci``, ``.confusion_matrix``, ``.summary()`` ...

    >>> result = evaluate(model, (X_test, y_test), loss_fn=nn.CrossEntropyLoss())
    >>> print(result.summary(class_names=["cat", "dog"]))
    accuracy 0.9150 (183/200), 95% CI [0.8682, 0.9463]
    ...
    """
    loader = as_loader(data, batch_size)
    preds, trues = [], []
    loss_sum, loss_n, width = 0.0, 0, 0

    def collect(output, y):
        nonlocal loss_sum, loss_n, width
        if not preds and not accuracy_applies(output, y):
            raise ValueError(
                f"evaluate: outputs of shape {tuple(output.shape)} and targets of dtype {_array(y).dtype} do not look "
                "like a classifier's (class indices, one-hot or 0/1 targets expected); for a regression, "
                "compute the loss on predict(model, X) instead")
        out = _array(output)
        preds.append(predicted_classes(out).reshape(-1))
        trues.append(target_classes(y, out).reshape(-1))
        width = 2 if out.ndim == 1 or out.shape[1] == 1 else out.shape[1]
        if loss_fn is not None:
            loss_sum += loss_fn(output, y).item() * len(y)
            loss_n += len(y)

    eval_pass(model, xy_pairs(loader, "evaluate"), collect)
    if not preds:
        raise ValueError("evaluate: the data is empty")
    y_pred, y_true = np.concatenate(preds), np.concatenate(trues)
    if num_classes is None:
        num_classes = max(width, int(y_true.max()) + 1 if y_true.size else 0)
    cm = confusion_matrix(y_true, y_pred, num_classes)
    n, correct = int(y_true.size), int(np.trace(cm))
    return Evaluation(
        loss=loss_sum / loss_n if loss_n else None,
        accuracy=correct / n if n else float("nan"),
        accuracy_ci=wilson_interval(correct, n),
        n=n, correct=correct,
        per_class_accuracy=per_class_accuracy(cm),
        confusion_matrix=cm,
    )


def predict(model, data, batch_size: int = 256):
    """The model's outputs (logits) for every sample of ``data``, in eval mode without a graph.

    Args:
        model (Module): the model.
        data: inputs as an array or Tensor ``X``, or a ``Dataset`` / ``DataLoader`` / ``(X, y)`` whose
            batches' first field is the input.
        batch_size (int): samples per forward pass (when ``data`` is not a DataLoader). Default: 256.

    Returns:
        Tensor: the outputs, concatenated along dim 0, e.g. ``(N, C)`` logits.

    >>> logits = predict(model, X_test)
    >>> labels = logits.argmax(dim=1)
    """
    outputs = []
    eval_pass(model, ((x, None) for x in input_batches(data, batch_size)), lambda out, _: outputs.append(_array(out)))
    if not outputs:
        raise ValueError("predict: the data is empty")
    return cr.from_numpy(np.concatenate(outputs))


def predict_proba(model, data, batch_size: int = 256):
    """Class probabilities: softmax of the logits over dim 1, or the sigmoid of a single output.

    Args:
        model (Module): a classifier returning logits.
        data: as for ``predict``.
        batch_size (int): samples per forward pass. Default: 256.

    Returns:
        Tensor: ``(N, C)`` probabilities summing to 1 over dim 1, or ``P(class 1)`` for a single logit.

    >>> probs = predict_proba(model, X_test)
    >>> confidence, label = probs.max(dim=1)
    """
    logits = predict(model, data, batch_size)
    if logits.ndim == 1 or logits.shape[1] == 1:
        return logits.sigmoid()
    return logits.softmax(dim=1)
