"""Recurrent layers, chainrule against PyTorch on CPU: forward + backward, alternating repetitions.

    python benchmarks/rnn.py [--repeats 15] [--threads 2]

Each row builds the same layer in both libraries (PyTorch's weights copied into chainrule's), float32,
and times ``out, state = layer(x); (out.sum() + state.sum()).backward()`` with an input that needs no
gradient (as for a first layer). The libraries alternate repetition by repetition so machine noise
hits both alike; medians are reported and the ratio chainrule / PyTorch (below 1: chainrule faster),
of wall time and of the process's CPU time (steadier when other jobs share the cores).
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
from chainrule import nn  # noqa: E402

# (layer, input size, hidden size, sequence length, batch, extra constructor arguments)
ROWS = [
    ("LSTM", 32, 128, 50, 32, {}),
    ("LSTM", 64, 256, 35, 64, {}),
    ("LSTM", 16, 32, 100, 8, {}),
    ("LSTM", 32, 128, 50, 32, {"num_layers": 2, "bidirectional": True}),
    ("GRU", 32, 128, 50, 32, {}),
]


def make(kind, n_in, hidden, steps, batch, kwargs):
    torch.manual_seed(0)
    t = getattr(torch.nn, kind)(n_in, hidden, **kwargs)
    c = getattr(nn, kind)(n_in, hidden, **kwargs)
    c.load_state_dict({k: cr.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((steps, batch, n_in)).astype(np.float32)
    return (c, cr.tensor(x)), (t, torch.from_numpy(x))


def step(layer, x):
    out, state = layer(x)
    h = state[0] if isinstance(state, tuple) else state
    (out.sum() + h.sum()).backward()


def timed(fn, *args):
    """(wall seconds, CPU seconds of this process): on a busy machine the CPU time is the steadier one."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        cr.set_num_threads(args.threads)
    except ImportError:
        pass
    print(f"forward+backward, float32, median of {args.repeats} alternating repetitions, {args.threads} threads")
    print(f"{'layer':<46} {'chainrule ms':>13} {'PyTorch ms':>11} {'ratio':>6} {'CPU-time ratio':>15}")
    for kind, n_in, hidden, steps, batch, kwargs in ROWS:
        (c, cx), (t, tx) = make(kind, n_in, hidden, steps, batch, kwargs)
        for _ in range(2):  # warm up both
            step(c, cx)
            step(t, tx)
        ct, tt = [], []
        for _ in range(args.repeats):
            ct.append(timed(step, c, cx))
            tt.append(timed(step, t, tx))
        c_ms, t_ms = (1e3 * statistics.median(w for w, _ in times) for times in (ct, tt))
        c_cpu, t_cpu = (statistics.median(c for _, c in times) for times in (ct, tt))
        extra = "".join(f" {k}={v}" for k, v in kwargs.items())
        name = f"{kind} {n_in}->{hidden} T={steps} B={batch}{extra}"
        print(f"{name:<46} {c_ms:13.2f} {t_ms:11.2f} {c_ms / t_ms:6.2f} {c_cpu / t_cpu:15.2f}")


if __name__ == "__main__":
    main()
