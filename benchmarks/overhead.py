"""Per-op overhead, chainrule against PyTorch, measured alternately in one process.

    python benchmarks/overhead.py [--repeats 30]

(a) forward + backward of a 1,000-op chain on 8x8 tensors (Python overhead per op dominates);
(b) one training step (forward, cross-entropy, backward, Adam step) of a 784-256-10 MLP at batch 64.

Each measurement alternates the two libraries so that machine noise hits both alike, and reports the
median; the ratio chainrule / PyTorch is what to compare (below 1 means chainrule is faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# Freed NumPy temporaries must not go back to the OS between steps, or page faults dominate (GUIDE).
if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
    os.environ.update(MALLOC_TRIM_THRESHOLD_="1000000000", MALLOC_MMAP_THRESHOLD_="1000000000")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import chainrule as cr  # noqa: E402

torch.set_num_threads(min(2, os.cpu_count() or 1))


def chain(x):
    y = x
    for _ in range(250):
        y = (y * 1.01 + 0.5).tanh() - x
    return y.sum()


def chain_case(lib):
    x = lib.ones(8, 8, requires_grad=True)

    def run():
        x.grad = None
        chain(x).backward()

    return run


def mlp_case(lib, seed=0):
    rng = np.random.default_rng(seed)
    X = lib.from_numpy(rng.standard_normal((64, 784)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 10, 64))
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def run():
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return run


def measure(cases, repeats, inner):
    times = {name: [] for name in cases}
    for fn in cases.values():  # warm up
        fn()
    for _ in range(repeats):
        for name, fn in cases.items():
            t = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - t) / inner)
    return {name: statistics.median(v) for name, v in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    rows = []
    for label, make, inner in (("1000-op chain, fwd+bwd", chain_case, 3), ("MLP 784-256-10 train step, batch 64", mlp_case, 20)):
        t = measure({"chainrule": make(cr), "torch": make(torch)}, args.repeats, inner)
        rows.append((label, t["chainrule"], t["torch"]))
    print(f"{'case':40} {'chainrule':>12} {'PyTorch':>12} {'ratio':>7}")
    for label, a, b in rows:
        print(f"{label:40} {a * 1e3:>9.3f} ms {b * 1e3:>9.3f} ms {a / b:>7.2f}")
    print(f"(median of {args.repeats}; ratio = chainrule / PyTorch, below 1 is faster; torch threads = {torch.get_num_threads()})")
    return rows


if __name__ == "__main__":
    main()
