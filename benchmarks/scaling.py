"""How an MLP training step grows with batch size and width, against the GEMM floor, in three libraries.

    python benchmarks/scaling.py            # batch 16..1024 at width 256, width 256..2048 at batch 64
    python benchmarks/scaling.py --quick

One training step (forward, cross-entropy, backward, Adam) of 784-H-10 on a fixed batch, for chainrule,
PyTorch and JAX (when installed), alternating blocks of steps between them; median microseconds per
step. The floor is the step's matrix-product FLOPs over the sgemm rate measured here at the start:
2*B*H*(784 + 784 + 3*10) (forward 784xH and Hx10, the two weight gradients, the hidden layer's
gradient; no gradient for the input batch). "x floor" near 1 means the GEMMs are all that is left;
far above 1, per-step overhead (Python, dispatch, the optimizer's pass over the weights) dominates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runners  # noqa: E402


def sgemm_peak(n=2048, repeats=5):
    """Best float32 GEMM rate (FLOP/s) of NumPy's BLAS on an n x n product."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def step_flops(batch, hidden):
    return 2 * batch * hidden * (784 + 784 + 3 * 10)


def measure(batch, hidden, X, y, blocks, peak, torch_threads=None):
    runs = [runners.ChainruleRun(X, y, batch=batch, hidden=hidden),
            runners.TorchRun(X, y, batch=batch, hidden=hidden, threads=torch_threads)]
    if runners.have_jax():
        runs.append(runners.JaxRun(X, y, batch=batch, hidden=hidden))
    floor = step_flops(batch, hidden) / peak
    n = max(3, int(0.1 / max(3 * floor, 3e-4)))  # steps per block: about 0.1 s
    for r in runs:
        r.steps(2)  # warm up
    times = {r.name: [] for r in runs}
    for _ in range(blocks):
        for r in runs:
            times[r.name].append(_timed(lambda r=r: r.steps(n)) / n)
    return floor, {k: statistics.median(v) for k, v in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="fix PyTorch's threads (on a busy machine its default stalls for minutes)")
    args = parser.parse_args(argv)
    X, y, _, _ = runners.load_data()
    X, y = X[:1024], y[:1024]  # the steps use the first batch only
    peak = sgemm_peak()
    print(f"\nscaling: one training step, median us over alternating blocks; floor = FLOPs / {peak / 1e9:.0f} GFLOP/s "
          "(NumPy sgemm 2048^3 measured now)")
    points = ([(b, 256) for b in (16, 64, 256, 1024)] + [(64, h) for h in (512, 1024, 2048)] if args.quick else
              [(b, 256) for b in (16, 32, 64, 128, 256, 512, 1024)] + [(64, h) for h in (512, 1024, 2048)]
              + [(256, h) for h in (512, 1024, 2048)])
    blocks = 5 if args.quick else 9
    header = None
    for batch, hidden in points:
        floor, t = measure(batch, hidden, X, y, blocks, peak, args.torch_threads)
        if header is None:
            header = list(t)
            print(f"{'batch':>6} {'width':>6} {'floor us':>9} " + " ".join(f"{n[:18]:>25}" for n in header))
        cells = " ".join(f"{t[n] * 1e6:>12.0f} us ({t[n] / floor:>5.1f}x)" for n in header)
        print(f"{batch:>6} {hidden:>6} {floor * 1e6:>9.0f} {cells}")
    print("(Nx) = step time over the GEMM floor")


if __name__ == "__main__":
    main()
