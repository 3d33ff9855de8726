"""The learning-rate range test (Smith, 2017; fastai's ``lr_find``): sweep the lr, watch the loss, suggest one.

The model trains for up to ``num_iter`` batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``; the loss is smoothed with a bias-corrected exponential moving average and the
sweep stops once it exceeds ``diverge`` times its best value. Afterwards the parameters, their
gradients, the optimizer (state and hyperparameters), the training mode and the global random generator
are put back exactly as they were, bit for bit: the range test leaves no trace on the run it serves.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

import chainrule as cr


@dataclass
class LRFinderResult:
    """What ``lr_find`` measured: learning rates, raw and smoothed losses, and the two suggestions.

    Attributes:
        lrs, losses, smoothed (list of float): per step.
        steepest (float): the lr where the smoothed loss falls fastest (per unit of log lr).
        min_div10 (float): the lr of the lowest smoothed loss, divided by 10 (fastai's rule).
        suggestion (float): ``steepest`` (the one ``chainrule lr-find`` prints first).
    """

    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    smoothed: list = field(default_factory=list)
    steepest: float = float("nan")
    min_div10: float = float("nan")

    @property
    def suggestion(self) -> float:
        return self.steepest

    def plot(self, path=None):
        """``chainrule.viz.plot_lr_find(self, path)``."""
        from chainrule.viz.lr_find import plot_lr_find

        return plot_lr_find(self, path)


def _snapshot(model, optimizer):
    params = list(model.parameters())
    return {
        "params": [(p, p._data.copy(), None if p.grad is None else p.grad._data.copy()) for p in params],
        "state": {p: {k: (v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)) for k, v in s.items()}
                  for p, s in optimizer.state.items()},
        "groups": [{k: copy.deepcopy(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups],
        "training": model.training,
        "rng": cr.get_rng_state(),
    }


def _restore(model, optimizer, saved) -> None:
    for p, data, grad in saved["params"]:
        np.copyto(p._data, data)  # in place: views of the parameters (fused optimizers) stay valid
        if grad is None:
            p.grad = None
        elif p.grad is not None and p.grad._data.shape == grad.shape:
            np.copyto(p.grad._data, grad)
        else:
            p.grad = cr.tensor(grad)
    for p in list(optimizer.state):
        if p not in saved["state"]:
            del optimizer.state[p]
    for p, s in saved["state"].items():
        now = optimizer.state[p]
        for k in list(now):
            if k not in s:
                del now[k]
        for k, v in s.items():
            if isinstance(v, np.ndarray) and isinstance(now.get(k), np.ndarray) and now[k].shape == v.shape:
                np.copyto(now[k], v)
            else:
                now[k] = v
    for group, values in zip(optimizer.param_groups, saved["groups"]):
        group.update(values)
    model.train(saved["training"])
    cr.set_rng_state(saved["rng"])


def _batches(train_data, batch_size, seed):
    from .inputs import fit_loaders, unpack

    generator = cr.Generator().manual_seed(seed) if seed is not None else None
    loader, _, _ = fit_loaders(train_data, None, 0.0, batch_size, True, None, generator)
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield unpack(batch, "lr_find")
        if empty:
            raise ValueError("lr_find: train_data gave no batches")


def suggest(lrs, smoothed) -> tuple[float, float]:
    """The steepest-descent lr and the "minimum / 10" lr of a smoothed loss curve."""
    lrs, smoothed = np.asarray(lrs, dtype=np.float64), np.asarray(smoothed, dtype=np.float64)
    if len(lrs) < 3:
        return float("nan"), float("nan")
    best = int(np.nanargmin(smoothed))
    slope = np.gradient(smoothed, np.log(lrs))
    # the first steps' slopes are the moving average's warm-up, not the model's: skip the first 10%
    skip = min(max(1, len(lrs) // 10), best)
    steepest = float(lrs[skip + int(np.nanargmin(slope[skip:best + 1]))])
    return steepest, float(lrs[best] / 10)


def lr_find(model, loss_fn, optimizer, train_data, *, start_lr: float = 1e-7, end_lr: float = 10.0,
            num_iter: int = 100, batch_size: int = 32, beta: float = 0.98, diverge: float = 4.0,
            seed: int | None = 0) -> LRFinderResult:
    """Run the learning-rate range test and restore the model and optimizer exactly afterwards.

    Args:
        model (Module), loss_fn (callable), optimizer (Optimizer): as for ``fit``.
        train_data: a Dataset, a DataLoader or ``(X, y)``, as for ``fit``.
        start_lr (float): the first learning rate. Default: 1e-7.
        end_lr (float): the last learning rate. Default: 10.
        num_iter (int): steps of the sweep (fewer if the loss diverges). Default: 100.
        batch_size (int): samples per step (a Dataset or ``(X, y)``). Default: 32.
        beta (float): smoothing of the loss (exponential moving average). Default: 0.98.
        diverge (float): stop once the smoothed loss exceeds ``diverge`` times its minimum. Default: 4.
        seed (int, optional): seed of the data order. Default: 0.

    Returns:
        LRFinderResult: ``lrs``, ``losses``, ``smoothed``, ``steepest``, ``min_div10``, ``suggestion``.

    >>> result = lr_find(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y))  # doctest: +SKIP
    >>> print(f"{result.suggestion:.2g}")  # doctest: +SKIP
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: expected 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_iter < 2:
        raise ValueError(f"lr_find: num_iter must be at least 2, got {num_iter}")
    saved = _snapshot(model, optimizer)
    result = LRFinderResult()
    try:
        model.train()
        avg, best = 0.0, math.inf
        batches = _batches(train_data, batch_size, seed)
        for i in range(num_iter):
            lr = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = next(batches)
            loss = loss_fn(model(x), y)
            value = float(loss.item())
            if not math.isfinite(value):
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            avg = beta * avg + (1 - beta) * value
            smooth = avg / (1 - beta ** (i + 1))
            result.lrs.append(lr)
            result.losses.append(value)
            result.smoothed.append(smooth)
            best = min(best, smooth)
            if smooth > diverge * best:
                break
    finally:
        _restore(model, optimizer, saved)
    result.steepest, result.min_div10 = suggest(result.lrs, result.smoothed)
    return result
