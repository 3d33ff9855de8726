"""``fit``, ``evaluate``, ``predict``, ``predict_proba``: the lectures' training loop with Keras's callbacks.

Each training step is exactly the loop on the slides::

    model.train()
    for x, y in loader:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

plus bookkeeping that stays cheap: the loss is read once per batch with ``.item()``, accuracy is
counted with NumPy on the raw arrays, and per-batch callbacks are called only if one overrides a
per-batch hook. Validation runs in ``model.eval()`` under ``no_grad()``.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

from .callbacks.base import CallbackList
from .callbacks.lr_scheduler import LRScheduler
from .history import History
from .metrics import (
    Evaluation, _array, accuracy_applies, confusion_matrix, correct_and_total, per_class_accuracy,
    predicted_classes, target_classes, wilson_interval,
)

_EVAL_BATCH = 256  # no backward pass to pay for: bigger batches are faster and give the same means


def fit(model, loss_fn, optimizer, train_data, epochs: int = 1, *, val_data=None, val_split: float = 0.0,
        batch_size: int = 32, callbacks=None, metrics=("accuracy",), seed: int | None = None,
        shuffle: bool = True, verbose: int = 1, transform=None, scheduler=None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; return the ``History`` of the epochs' logs.

    Every epoch's ``logs`` (given to ``on_epoch_end`` and recorded in the History) hold ``loss``, the
    metrics (``accuracy``), ``val_loss`` and ``val_`` metrics when there is validation data, and ``lr``
    (the first param group's rate during the epoch). Losses and metrics are means over the samples
    (batches weighted by their size). The model's training mode is restored at the end.

    Args:
        model (Module): the model; its output and the targets go to ``loss_fn``.
        loss_fn (callable): ``loss_fn(output, target)``, a mean over the batch (e.g. ``nn.CrossEntropyLoss()``).
        optimizer (Optimizer): updates the parameters.
        train_data: a ``Dataset``, a ``DataLoader`` (or any iterable of ``(x, y)`` batches, used as
            given: ``batch_size``, ``shuffle`` and ``transform`` then do not apply) or a tuple
            ``(X, y)`` of arrays or Tensors (float64 arrays become float32, integer arrays int64).
        epochs (int): passes over the training data. Default: 1.
        val_data: validation data, in the same forms. Default: None.
        val_split (float): fraction of ``train_data`` (a Dataset or ``(X, y)``) held out for validation:
            ``random_split`` with a permutation drawn from ``seed``; the held-out part is
            ``round(n * val_split)`` samples. Not together with ``val_data``. Default: 0.
        batch_size (int): samples per training batch. Default: 32.
        callbacks (list of Callback, optional): see ``chainrule.train.callbacks``. Default: None.
        metrics (sequence): ``"accuracy"`` and/or functions ``f(y_pred, y_true) -> float``. Accuracy
            is left out when the targets are not classes (a regression). Default: ``("accuracy",)``.
        seed (int, optional): makes the run repeatable: seeds the split and the shuffling (a private
            generator) and chainrule's global generator (Dropout, random transforms). Default: None
            (draws from the global generator).
        shuffle (bool): reshuffle the training data every epoch. Default: True.
        verbose (int): 0 silent, 1 a progress bar (on a terminal) and a line per epoch, 2 a line per
            epoch. Default: 1.
        transform (callable, optional): batch transform of the training inputs (augmentation). Default: None.
        scheduler (LRScheduler, optional): a ``chainrule.optim.lr_scheduler`` scheduler stepped after
            every epoch (after every batch for ``OneCycleLR``). Default: None.

    Returns:
        History: ``history.history["loss"]`` etc., one value per epoch; ``history.epoch``; ``history.params``.

    >>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    >>> optimizer = optim.Adam(model.parameters(), lr=1e-2)
    >>> history = fit(model, nn.CrossEntropyLoss(), optimizer, (X, y), epochs=20, val_split=0.2, seed=0)
    >>> history.history["val_accuracy"][-1]
    0.975
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
    if not 0 <= val_split < 1:
        raise ValueError(f"fit: val_split must be in [0, 1), got {val_split}")
    generator = None
    if seed is not None:
        generator = cr.manual_seed(seed).spawn()  # data order independent of the model's own draws
    train_loader, val_loader, train_set = _fit_loaders(train_data, val_data, val_split, batch_size, shuffle,
                                                        transform, generator)
    extra = [LRScheduler(scheduler)] if scheduler is not None else []
    callbacks = CallbackList(
        list(callbacks or []) + extra, add_history=True, add_progbar=verbose > 0, model=model, optimizer=optimizer,
        epochs=epochs, steps=_len_or_none(train_loader), verbose=verbose,
        batch_size=getattr(train_loader, "batch_size", batch_size), samples=_len_or_none(train_set),
    )
    hooks = [callbacks.hooks(name) for name in ("on_train_batch_begin", "on_before_backward", "on_train_batch_end")]
    running = _Running(metrics)
    was_training = model.training
    model.stop_training = False
    logs: dict = {}
    try:
        callbacks.on_train_begin()
        for epoch in range(epochs):
            callbacks.on_epoch_begin(epoch)
            logs = _train_epoch(model, loss_fn, optimizer, train_loader, running, *hooks)
            if val_loader is not None:
                logs.update(_validate(model, val_loader, loss_fn, running.metrics))
            logs["lr"] = float(optimizer.param_groups[0]["lr"])
            callbacks.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        callbacks.on_train_end(logs)
    finally:
        model.train(was_training)
    return callbacks.history


def _train_epoch(model, loss_fn, optimizer, loader, running, batch_begin, before_backward, batch_end) -> dict:
    """One pass of the lectures' loop over ``loader``; returns the epoch's mean loss and metrics."""
    model.train()
    running.reset()
    batch_logs: dict = {}  # reused: per-batch callbacks get the running means in place
    for step, batch in enumerate(loader):
        x, y = _unpack(batch, "fit")
        for hook in batch_begin:
            hook(step, None)
        output = model(x)
        loss = loss_fn(output, y)
        loss_value = loss.item()
        running.update(loss_value, output, y)
        if before_backward:
            for hook in before_backward:
                hook(step, loss_value)
            if model.stop_training:  # e.g. a NaN loss: skip this update
                break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch_end:
            running.means(into=batch_logs)
            for hook in batch_end:
                hook(step, batch_logs)
            if model.stop_training:
                break
    return running.means()


class _Running:
    """Sample-weighted sums of the loss and the metrics over one pass; metrics resolved on the first batch."""

    def __init__(self, requested, resolved=None):
        self.requested = requested
        self.metrics = resolved  # [(name, fn)], fn None for accuracy
        self.reset()

    def reset(self) -> None:
        self.n, self.loss = 0, 0.0
        self.sums = self.counts = None

    def update(self, loss_value: float, output, y) -> None:
        n = len(y)
        self.n += n
        self.loss += loss_value * n
        if self.metrics is None:
            self.metrics = _resolve_metrics(self.requested, output, y)
        if self.sums is None:
            self.sums, self.counts = [0.0] * len(self.metrics), [0] * len(self.metrics)
        for i, (_, fn) in enumerate(self.metrics):
            if fn is None:
                correct, total = correct_and_total(output, y)
                self.sums[i] += correct
                self.counts[i] += total
            else:
                self.sums[i] += float(fn(output.detach(), y)) * n
                self.counts[i] += n

    def means(self, prefix: str = "", into: dict | None = None) -> dict:
        logs = {} if into is None else into
        logs[prefix + "loss"] = self.loss / self.n if self.n else float("nan")
        for i, (name, _) in enumerate(self.metrics or ()):
            logs[prefix + name] = self.sums[i] / self.counts[i] if self.sums and self.counts[i] else float("nan")
        return logs


def _resolve_metrics(requested, output, y) -> list:
    if isinstance(requested, str):
        requested = (requested,)
    resolved = []
    for metric in requested or ():
        if metric in ("accuracy", "acc"):
            if accuracy_applies(output, y):
                resolved.append(("accuracy", None))
        elif callable(metric):
            resolved.append((getattr(metric, "__name__", type(metric).__name__), metric))
        else:
            raise ValueError(f"fit: unknown metric {metric!r}; use 'accuracy' or a function f(y_pred, y_true) -> float")
    return resolved


def _validate(model, loader, loss_fn, metrics) -> dict:
    running = _Running((), metrics)
    def update(output, y):
        running.update(loss_fn(output, y).item(), output, y)

    _eval_pass(model, _pairs(loader, "validation"), update)
    return running.means(prefix="val_")


def _eval_pass(model, pairs, on_batch) -> None:
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
    loader = _loader(data, batch_size)
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

    _eval_pass(model, _pairs(loader, "evaluate"), collect)
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
    _eval_pass(model, ((x, None) for x in _input_batches(data, batch_size)), lambda out, _: outputs.append(_array(out)))
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


# --- data plumbing -----------------------------------------------------------------------------

def _fit_loaders(train_data, val_data, val_split, batch_size, shuffle, transform, generator):
    """The training loader, the validation loader (or None) and the training Dataset (None for a loader)."""
    from chainrule.data import DataLoader

    train_set = _dataset_or_none(train_data, "train_data")
    val_set = _dataset_or_none(val_data, "val_data") if val_data is not None else None
    if val_split > 0:
        if val_data is not None:
            raise ValueError("fit: pass either val_data or val_split, not both")
        if train_set is None:
            raise ValueError("fit: val_split needs train_data as a Dataset or (X, y), got a "
                             f"{type(train_data).__name__}; split the data first (chainrule.data.random_split) "
                             "and pass val_data")
        train_set, val_set = _split(train_set, val_split, generator)
    if train_set is None:
        if transform is not None:
            raise ValueError("fit: transform applies to a Dataset or (X, y); give it to your DataLoader instead")
        train_loader = train_data
    else:
        train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=shuffle, generator=generator,
                                  transform=transform)
    val_loader = val_data  # None, or a loader used as given
    if val_set is not None:
        val_loader = DataLoader(val_set, batch_size=max(batch_size, _EVAL_BATCH))
    return train_loader, val_loader, train_set


def _pairs(loader, where: str):
    return (_unpack(batch, where) for batch in loader)


def _unpack(batch, where: str):
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    got = f"{len(batch)} fields" if isinstance(batch, (list, tuple)) else f"a {type(batch).__name__}"
    raise ValueError(f"{where}: expected every batch to be (inputs, targets), got {got}")


def _as_field(a):
    # (X, y) given as arrays: the dtypes PyTorch code expects (float32 inputs, int64 class indices)
    if isinstance(a, cr.Tensor):
        return a
    a = np.asarray(a)
    if a.dtype == np.float64:
        return a.astype(cr.get_default_dtype())
    if a.dtype.kind in "iu" and a.dtype != np.int64:
        return a.astype(np.int64)
    return a


def _dataset_or_none(data, where: str):
    """``data`` as a Dataset (a tuple ``(X, y)`` becomes a TensorDataset), or None for a loader."""
    from chainrule.data import Dataset, TensorDataset

    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"fit: {where} as a tuple must be (X, y), got {len(data)} items")
        return TensorDataset(_as_field(data[0]), _as_field(data[1]))
    if isinstance(data, (np.ndarray, cr.Tensor)):
        raise TypeError(f"fit: {where} is a single array; pass inputs and targets together as (X, y)")
    if isinstance(data, Dataset) or (hasattr(data, "__getitem__") and hasattr(data, "__len__")
                                      and not isinstance(data, list)):  # a list is taken as a list of batches
        return data
    if not hasattr(data, "__iter__"):
        raise TypeError(f"fit: {where} must be a Dataset, a DataLoader or a tuple (X, y), got {type(data).__name__}")
    return None


def _loader(data, batch_size: int):
    dataset = _dataset_or_none(data, "data")
    if dataset is None:
        return data
    from chainrule.data import DataLoader

    return DataLoader(dataset, batch_size=batch_size)


def _split(dataset, val_split: float, generator):
    from chainrule.data import random_split

    n = len(dataset)
    n_val = int(round(n * val_split))
    if not 0 < n_val < n:
        raise ValueError(f"fit: val_split={val_split} of {n} samples leaves {n_val} for validation and "
                         f"{n - n_val} for training; both need at least one")
    return random_split(dataset, [n - n_val, n_val], generator=generator)


def _input_batches(data, batch_size: int):
    if isinstance(data, (np.ndarray, cr.Tensor)):
        X = _array(_as_field(data))
        for start in range(0, len(X), batch_size):
            yield cr.from_numpy(X[start:start + batch_size])
        return
    for batch in _loader(data, batch_size):
        yield batch[0] if isinstance(batch, (list, tuple)) else batch


def _len_or_none(obj):
    try:
        return len(obj)
    except TypeError:
        return None
