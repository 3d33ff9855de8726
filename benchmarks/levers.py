"""Each speed lever of the MLP training step, on and off, measured side by side in one process.

    python benchmarks/levers.py            # about a minute on 2 cores
    python benchmarks/levers.py --rounds 20 --steps 200

The race's run (784-256-10, Adam 1e-3, batch 64, Fashion-MNIST through the loader), one BLAS thread,
CPU time per step (``time.process_time``: robust when other processes share the machine). Each
configuration has its own model; rounds of ``--steps`` steps alternate between configurations, and
the ratios are paired (a round's time over the baseline's in the same round, median over rounds), so
that a change in the machine's load between rounds cancels out; the baseline has every lever off, and
"main" is the default before issue 18's last levers (the one-pass Adam, called per parameter).

Levers (each is also a user-visible switch):
- fused Linear+ReLU: ``nn.Sequential.fuse_linear_relu`` (ops.matmul.LinearRelu);
- one-pass Adam: ``Adam(fused=None)`` (numba) against ``fused=False`` (the NumPy form);
- Adam in one call per group: the one-pass kernel over all of a group's parameters (``Adam.flat``);
- compiled cross-entropy: ``ops.loss``'s kernels for the common case (``CHAINRULE_JIT=0`` turns all off).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

if "MALLOC_TRIM_THRESHOLD_" not in os.environ:  # the same allocator settings as compare.py
    os.environ.update(MALLOC_TRIM_THRESHOLD_="1000000000", MALLOC_MMAP_THRESHOLD_="1000000000")
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runners  # noqa: E402

CONFIGS = {  # name: (fused Linear+ReLU, Adam fused, Adam in one call per group, compiled cross-entropy)
    "reference (all NumPy forms)": (False, False, False, False),
    "+ one-pass Adam, per parameter (main)": (False, None, False, False),
    "+ fused Linear+ReLU": (True, None, False, False),
    "+ Adam in one call per group": (True, None, True, False),
    "+ compiled cross-entropy (the default)": (True, None, True, True),
}


class Config:
    def __init__(self, name, X, y, fuse, fused, flat, ce):
        self.name, self.fuse, self.ce = name, fuse, ce
        self.run = runners.ChainruleRun(X, y, jit=fused is not False, threads=1, name=name)
        self.run.opt.flat = flat
        self.it = iter(self.run.loader)

    def steps(self, n):
        from chainrule import nn
        from chainrule.ops import loss, matmul

        nn.Sequential.fuse_linear_relu = self.fuse
        loss._ce_kernels, matmul._linear_kernels = (None if self.ce else False), None
        loss._kernels(), matmul._kernels()
        run = self.run
        run._threads()
        model, opt, loss_fn = run.model, run.opt, run.loss_fn
        for _ in range(n):
            batch = next(self.it, None)
            if batch is None:
                self.it = iter(run.loader)
                batch = next(self.it)
            x, y = batch
            out = loss_fn(model(x), y)
            opt.zero_grad()
            out.backward()
            opt.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description="speed levers of the MLP step, on and off, alternating")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=60, help="steps per configuration and round")
    args = parser.parse_args(argv)
    X, y, _, _ = runners.load_data()
    configs = [Config(name, X, y, *flags) for name, flags in CONFIGS.items()]
    for c in configs:  # warm up: numba kernels loaded, buffers allocated
        c.steps(20)
    cpu = {c.name: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:
            t = time.process_time()
            c.steps(args.steps)
            cpu[c.name].append((time.process_time() - t) / args.steps)
    from chainrule import nn

    nn.Sequential.fuse_linear_relu = True
    print(f"CPU time per training step (median of {args.rounds} alternating rounds of {args.steps} steps, 1 BLAS "
          f"thread, load average {os.getloadavg()[0]:.1f})")
    print("ratios are paired: each round's time over the reference's (or the row above's) in the same round, "
          "median over rounds")
    print(f"{'':42} {'median':>10} {'best':>10}  {'/ reference':>11}  {'/ main':>7}  {'/ row above':>11}")
    ref, main_, prev = cpu[configs[0].name], cpu[configs[1].name], None

    def paired(t, base):
        return statistics.median(a / b for a, b in zip(t, base))

    for c in configs:
        t = cpu[c.name]
        vs_prev = f"{paired(t, prev):>11.3f}" if prev else ""
        print(f"{c.name:42} {statistics.median(t) * 1e6:7.1f} us {min(t) * 1e6:7.1f} us  {paired(t, ref):11.3f}  "
              f"{paired(t, main_):7.3f}  {vs_prev}")
        prev = t


if __name__ == "__main__":
    main()
