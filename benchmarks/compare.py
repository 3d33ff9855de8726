"""chainrule against PyTorch (and JAX when installed) on one machine, in one run.

    python benchmarks/compare.py                # everything (a few minutes on 2 cores)
    python benchmarks/compare.py --quick        # fewer repeats, smaller scaling table

Prints a table of ratios (chainrule / other; below 1 means chainrule is faster):

- MLP epoch: Fashion-MNIST, 784-256-10, Adam 1e-3, batch 64, the hand-written loop
  (``for x, y in loader: ... zero_grad / backward / step``) for chainrule, the fastest idiomatic
  eager loop for PyTorch (float32 tensors in memory, ``randperm`` and slicing), and a jitted step
  for JAX. Epochs alternate between the libraries; the median is reported, with test accuracy.
- ``fit()`` epoch, to show the training loop adds nothing measurable.
- small-op chain: forward and backward of 1,000 ops on 8x8 tensors.
- peak RSS of the default ``chainrule train`` (measured in a child process) and ``import`` times.
- scaling: chainrule epoch time against samples (10k, 30k, 60k) and batch size (16 to 1024).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

if "MALLOC_TRIM_THRESHOLD_" not in os.environ:  # same allocator settings for every library (see GUIDE)
    os.environ.update(MALLOC_TRIM_THRESHOLD_="1000000000", MALLOC_MMAP_THRESHOLD_="1000000000")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.data import DataLoader, TensorDataset  # noqa: E402
from chainrule.data.datasets import FashionMNIST  # noqa: E402
from chainrule.data.transforms import ToFloat  # noqa: E402

BATCH, LR, HIDDEN = 64, 1e-3, 256


def load_data():
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    X = train.data.numpy().reshape(len(train), -1)
    Xt = test.data.numpy().reshape(len(test), -1).astype(np.float32) / 255
    return X, train.targets.numpy(), Xt, test.targets.numpy()


# -- chainrule -----------------------------------------------------------------------------------------
class ChainruleRun:
    name = "chainrule"

    def __init__(self, X, y, seed=0, batch=BATCH):
        cr.manual_seed(seed)
        self.model = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
        self.opt = cr.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = nn.CrossEntropyLoss()
        self.loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=seed, transform=ToFloat())

    def epoch(self):
        model, opt, loss_fn = self.model, self.opt, self.loss_fn
        model.train()
        for x, y in self.loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, Xt, yt):
        with cr.no_grad():
            return float((self.model(cr.from_numpy(Xt)).argmax(1).numpy() == yt).mean())


class ChainruleFitRun(ChainruleRun):
    name = "chainrule fit()"

    def __init__(self, X, y, seed=0, batch=BATCH):
        super().__init__(X, y, seed, batch)
        self.data = (X.astype(np.float32) / 255, y)

    def epoch(self):
        cr.train.fit(self.model, self.loss_fn, self.opt, self.loader, epochs=1, verbose=0)


# -- PyTorch ---------------------------------------------------------------------------------------------
class TorchRun:
    name = "PyTorch eager"

    def __init__(self, X, y, seed=0, batch=BATCH):
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        self.X = torch.from_numpy(X.astype(np.float32) / 255)
        self.y = torch.from_numpy(y)
        self.batch = batch
        tnn = torch.nn
        self.model = tnn.Sequential(tnn.Linear(784, HIDDEN), tnn.ReLU(), tnn.Linear(HIDDEN, 10))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = tnn.CrossEntropyLoss()

    def epoch(self):
        torch, model, opt, loss_fn = self.torch, self.model, self.opt, self.loss_fn
        model.train()
        perm = torch.randperm(len(self.X))
        for i in range(0, len(perm), self.batch):
            idx = perm[i:i + self.batch]
            loss = loss_fn(model(self.X[idx]), self.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def accuracy(self, Xt, yt):
        with self.torch.no_grad():
            return float((self.model(self.torch.from_numpy(Xt)).argmax(1).numpy() == yt).mean())


# -- JAX (optional) ------------------------------------------------------------------------------------
class JaxRun:
    name = "JAX jit"

    def __init__(self, X, y, seed=0, batch=BATCH):
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp, self.batch = jax, jnp, batch
        self.X, self.y = jnp.asarray(X.astype(np.float32) / 255), jnp.asarray(y)
        k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
        b1, b2 = 1 / np.sqrt(784), 1 / np.sqrt(HIDDEN)
        params = [jax.random.uniform(k1, (784, HIDDEN), minval=-b1, maxval=b1), jnp.zeros(HIDDEN),
                  jax.random.uniform(k2, (HIDDEN, 10), minval=-b2, maxval=b2), jnp.zeros(10)]
        self.state = (params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params], 0)
        self.rng = np.random.default_rng(seed)

        def loss(params, x, y):
            w1, c1, w2, c2 = params
            logits = jnp.maximum(x @ w1 + c1, 0) @ w2 + c2
            return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(y)), y])

        def step(state, x, y):
            params, m, v, t = state
            g = jax.grad(loss)(params, x, y)
            t = t + 1
            m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
            v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
            params = [p - LR * (a / (1 - 0.9**t)) / (jnp.sqrt(b / (1 - 0.999**t)) + 1e-8) for p, a, b in zip(params, m, v)]
            return params, m, v, t

        self.step = jax.jit(step)

    def epoch(self):
        perm = self.rng.permutation(len(self.X))
        n = len(perm) - len(perm) % self.batch  # fixed shapes: no recompilation
        for i in range(0, n, self.batch):
            idx = perm[i:i + self.batch]
            self.state = self.step(self.state, self.X[idx], self.y[idx])
        self.jax.block_until_ready(self.state[0])

    def accuracy(self, Xt, yt):
        w1, c1, w2, c2 = self.state[0]
        logits = self.jnp.maximum(self.jnp.asarray(Xt) @ w1 + c1, 0) @ w2 + c2
        return float((np.asarray(logits).argmax(1) == yt).mean())


def timed_epochs(runs, epochs, keep_all=False):
    times = {r.name: [] for r in runs}
    for _ in range(epochs):
        for r in runs:  # alternate, so machine noise hits every library alike
            t = time.perf_counter()
            r.epoch()
            times[r.name].append(time.perf_counter() - t)
    return times if keep_all else {k: statistics.median(v) for k, v in times.items()}


def import_time(module):
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - t)
    base = min(_run_time([sys.executable, "-c", "pass"]) for _ in range(5))
    return best - base


def _run_time(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def peak_rss_of(cmd, **env):
    """Peak resident memory (MB) of a child process running ``cmd`` (measured by a fresh interpreter)."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe] + cmd, check=True, capture_output=True, text=True,
                         env={**os.environ, **env})
    return int(out.stdout) / 1024


def small_op_chain():
    sys.path.insert(0, os.path.dirname(__file__))
    import overhead
    import torch

    t = overhead.measure({"chainrule": overhead.chain_case(cr), "torch": overhead.chain_case(torch)}, 15, 3)
    return t["chainrule"], t["torch"]


def main(argv=None):
    parser = argparse.ArgumentParser(description="chainrule vs PyTorch (and JAX) side by side")
    parser.add_argument("--quick", action="store_true", help="fewer epochs and a smaller scaling table")
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs per library and seed (default 4, quick 2)")
    parser.add_argument("--seeds", type=int, default=3, help="fresh models per library; accuracy is their mean")
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 4)
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    X, y, Xt, yt = load_data()
    classes = [ChainruleRun, ChainruleFitRun, TorchRun]
    try:
        import jax  # noqa: F401

        classes.append(JaxRun)
    except ImportError:
        pass
    times, accs = {}, {}
    for seed in range(args.seeds):  # each seed: a fresh model per library, epochs alternating
        runs = [cls(X, y, seed=seed) for cls in classes]
        if JaxRun in classes:
            runs[-1].epoch()  # compile outside the timing
        for name, sec in timed_epochs(runs, epochs, keep_all=True).items():
            times.setdefault(name, []).extend(sec)
        for r in runs:
            accs.setdefault(r.name, []).append(r.accuracy(Xt, yt))
    t = {k: statistics.median(v) for k, v in times.items()}
    acc = {k: statistics.mean(v) for k, v in accs.items()}
    print(f"\nMLP 784-{HIDDEN}-10, Adam {LR}, batch {BATCH}, Fashion-MNIST (60,000): median s/epoch over "
          f"{args.seeds} seeds x {epochs} epochs; test accuracy after {epochs} epochs, mean over seeds")
    print(f"{'library':18} {'s/epoch':>8} {'ratio':>7} {'test acc':>9}")
    base = t["chainrule"]
    for name, sec in t.items():
        ratio = f"{base / sec:>7.2f}" if not name.startswith("chainrule") else " " * 7
        print(f"{name:18} {sec:>8.3f} {ratio} {acc[name]:>9.4f}")
    print(f"ratio = chainrule (hand-written loop) s/epoch / that library's; below 1: chainrule faster. "
          f"fit() / PyTorch eager = {t['chainrule fit()'] / t['PyTorch eager']:.2f}")

    a, b = small_op_chain()
    print(f"\nsmall-op chain (1,000 ops fwd+bwd): chainrule {a * 1e3:.2f} ms, PyTorch {b * 1e3:.2f} ms, ratio {a / b:.2f}")

    ic, it = import_time("chainrule"), import_time("torch")
    print(f"import time: chainrule {ic:.3f} s, torch {it:.3f} s")
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "chainrule-bench-runs")
    cmd = [sys.executable, "-m", "chainrule", "train", "--quiet", "--out", out] + (["--epochs", "2"] if args.quick else [])
    rss_plain = peak_rss_of(cmd, CHAINRULE_JIT="0")
    rss_jit = peak_rss_of(cmd)
    what = "`chainrule train`" + (" --epochs 2" if args.quick else " (defaults)")
    print(f"peak RSS of {what}: {rss_plain:.0f} MB with the default install (NumPy updates), "
          f"{rss_jit:.0f} MB when the `fast` extra (numba) is installed and used")

    print("\nscaling (chainrule hand-written loop; seconds per epoch, microseconds per sample)")
    sizes = (10_000, 30_000, 60_000)
    batches = (16, 64, 256, 1024) if args.quick else (16, 32, 64, 128, 256, 512, 1024)
    print(f"{'samples':>8} {'batch':>6} {'s/epoch':>8} {'us/sample':>10}")
    for n in sizes:
        for bs in ((64,) if n != 60_000 else batches):
            r = ChainruleRun(X[:n], y[:n], batch=bs)
            r.epoch()  # warm
            sec = timed_epochs([r], 1 if args.quick else 2)[r.name]
            print(f"{n:>8} {bs:>6} {sec:>8.3f} {sec / n * 1e6:>10.2f}")


if __name__ == "__main__":
    main()
