"""Batch size (seed 003): full-batch gradient descent vs mini-batches of 64 and of 4, and the gradient's noise.

The same model (same initial weights) is trained with plain SGD at one learning rate and three batch
sizes. Per step, full-batch GD is smooth and small batches are noisy; per epoch, small batches take many
more steps and get further. The third panel measures why: the mean squared distance between a
mini-batch gradient and the full gradient, which falls like ``1 / B`` (times ``(N - B) / (N - 1)``
when sampling without replacement).
"""

from __future__ import annotations

import copy

import numpy as np

from chainrule.viz import new_figure, save_figure, to_numpy


def _flat_grad(model, loss_fn, x, y):
    import chainrule as cr

    for p in model.parameters():
        p.grad = None
    loss_fn(model(cr.tensor(x)), cr.tensor(y)).backward()
    return np.concatenate([p.grad._data.astype(np.float64).ravel() for p in model.parameters()])


def gradient_noise(model, loss_fn, X, y, batch_sizes, n_batches: int = 50, seed: int = 0) -> dict:
    """Mean squared distance ``E|g_B - g|^2`` between mini-batch gradients and the full-batch gradient.

    Batches are drawn without replacement within a batch, ``n_batches`` per size, at the model's current
    weights; the parameters' ``.grad`` are restored afterwards.

    Returns:
        dict batch size -> float.
    """
    X, y = to_numpy(X), to_numpy(y)
    rng = np.random.default_rng(seed)
    saved = [p.grad for p in model.parameters()]
    try:
        full = _flat_grad(model, loss_fn, X, y)
        out = {}
        for B in batch_sizes:
            sq = [np.sum((_flat_grad(model, loss_fn, X[idx], y[idx]) - full) ** 2)
                  for idx in (rng.choice(len(X), size=int(B), replace=False) for _ in range(n_batches))]
            out[int(B)] = float(np.mean(sq))
    finally:
        for p, g in zip(model.parameters(), saved):
            p.grad = g
    return out


def train_with_batch_sizes(make_model, loss_fn, X, y, batch_sizes=(None, 64, 4), epochs: int = 20,
                           lr: float = 0.1, seed: int = 0) -> dict:
    """Train a fresh ``make_model()`` (same weights each time) with SGD for each batch size (None = all).

    Returns:
        dict label -> ``{"step_loss": per-step batch loss, "epoch_loss": full training loss after
        each epoch (entry 0: before training), "batch_size": B}``.
    """
    import chainrule as cr
    from chainrule import optim
    from chainrule.viz.landscape import dataset_loss

    X, y = to_numpy(X), to_numpy(y)
    base = make_model()
    runs = {}
    for B in batch_sizes:
        size = len(X) if B is None else int(B)
        label = f"full batch ({len(X)})" if B is None else f"batch {size}"
        model = copy.deepcopy(base)
        opt = optim.SGD(model.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        steps, epoch_losses = [], [dataset_loss(model, loss_fn, X, y)]
        for _ in range(epochs):
            model.train()
            order = rng.permutation(len(X))
            for s in range(0, len(X), size):
                idx = order[s:s + size]
                loss = loss_fn(model(cr.tensor(X[idx])), cr.tensor(y[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                steps.append(float(loss.item()))
            epoch_losses.append(dataset_loss(model, loss_fn, X, y))
        runs[label] = {"step_loss": np.array(steps), "epoch_loss": np.array(epoch_losses), "batch_size": size}
    return runs


def plot_batch_sizes(make_model, loss_fn, X, y, batch_sizes=(None, 64, 4), epochs: int = 20, lr: float = 0.1,
                     noise_sizes=(1, 2, 4, 8, 16, 32, 64, 128), seed: int = 0, path=None, title=None):
    """Loss per step, loss per epoch and gradient noise vs batch size, on one figure.

    Args:
        make_model (callable): returns the model (called once; each run starts from a copy of it).
        loss_fn (callable), X, y: the loss and the training data.
        batch_sizes (sequence): None for full-batch GD. Default: (None, 64, 4), as in seed 003.
        epochs (int), lr (float): plain SGD for ``epochs`` passes. Defaults: 20, 0.1.
        noise_sizes (sequence of int): batch sizes for the noise panel.

    Returns:
        (Figure, dict): the figure and ``{"runs": train_with_batch_sizes(...), "noise": gradient_noise(...)}``.

    >>> fig, data = plot_batch_sizes(lambda: mlp(2, (16,), 2), nn.CrossEntropyLoss(), X, y)  # doctest: +SKIP
    """
    runs = train_with_batch_sizes(make_model, loss_fn, X, y, batch_sizes, epochs, lr, seed)
    sizes = [b for b in noise_sizes if b <= len(to_numpy(X))]
    noise = gradient_noise(make_model(), loss_fn, X, y, sizes, seed=seed)
    fig = new_figure(figsize=(13, 4), layout="constrained")
    a_step, a_epoch, a_noise = fig.subplots(1, 3)
    colors = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00")
    for i, ((label, run), color) in enumerate(zip(runs.items(), colors)):
        # larger batches in front (thicker): the smallest batch's many noisy steps would hide them
        a_step.plot(np.arange(1, len(run["step_loss"]) + 1), run["step_loss"], color=color, label=label,
                    lw=2.0 - 0.5 * i, alpha=1.0 - 0.2 * i, zorder=10 - i)
        a_epoch.plot(np.arange(len(run["epoch_loss"])), run["epoch_loss"], "o-", ms=3, color=color, label=label)
    a_step.set_xscale("log")
    a_step.set_xlabel("step (log scale)")
    a_step.set_ylabel("loss on the step's batch")
    a_step.set_title("per step: small batches are noisy", fontsize=10)
    a_epoch.set_xlabel("epoch")
    a_epoch.set_ylabel("loss on the whole training set")
    a_epoch.set_title("per epoch: small batches take more steps", fontsize=10)
    b = np.array(sorted(noise))
    v = np.array([noise[k] for k in b])
    a_noise.loglog(b, v, "o-", color="#0072B2", label="measured E|g_B - g|^2")
    n = len(to_numpy(X))
    theory = (n - b) / (b * (n - 1))  # the variance of a mean of B of N samples drawn without replacement
    a_noise.loglog(b, v[0] * theory / theory[0], ":", color="gray", label="theory: (N - B) / (B (N - 1))")
    a_noise.set_xlabel("batch size B")
    a_noise.set_ylabel("squared gradient error")
    a_noise.set_title("noise of the gradient estimate", fontsize=10)
    for ax in (a_step, a_epoch, a_noise):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title or f"Batch size: plain SGD, lr {lr:g}, same initial weights", fontsize=11)
    if path is not None:
        save_figure(fig, path)
    return fig, {"runs": runs, "noise": noise}
