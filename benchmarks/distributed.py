"""All-reduce time vs message size, and the data-parallel step time, under ``mpirun``.

    mpirun -n 2 --oversubscribe [--allow-run-as-root] python benchmarks/distributed.py
    mpirun -n 1 python benchmarks/distributed.py --steps-only      # the K = 1 step for comparison
    python benchmarks/distributed.py --model 2.2 940584             # the scaling table (no MPI needed)

Rank 0 prints one line per measurement (medians over repetitions, after a warm-up):

- ``allreduce``: ``dist.all_reduce`` (SUM, in place) of float32 messages from 1 KB to 100 MB, the
  ranks synchronised by a barrier before every repetition; the effective bus bandwidth of a ring
  all-reduce is ``2 (K-1)/K * bytes / time``.
- ``step``: one data-parallel training step (forward, backward, bucketed gradient average, Adam) of
  the MLP ``chainrule train`` builds (784-256-128-10, 235 k parameters) and of its CNN (``--model cnn``:
  conv32-conv64-128-10, 225 k parameters, no BatchNorm) with a global batch of 256 (256/K rows per
  rank), and how much of it is the gradient all-reduce (``--net mlp`` or ``--net cnn`` for one).

``--model COMPUTE_MS BYTES`` prints docs/distributed.md's table: the step time
``compute/K + 2 (K-1)/K * bytes / bandwidth + 2 (K-1) * latency`` (a ring all-reduce of one bucket) for
K = 1 ... 64 at 10 and 100 Gbit/s. On a shared 2-core machine two ranks share the cores with everything
else, so treat K = 2 compute times as an upper bound.
"""

from __future__ import annotations

import argparse
import statistics
import time

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.nn.parallel import DistributedDataParallel, average_gradients

SIZES = [1 << 10, 10 << 10, 100 << 10, 1 << 20, 10 << 20, 100 << 20]


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        dist.barrier()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    # the slowest rank's time is what a training step waits for
    worst = cr.tensor(times, dtype=cr.float64)
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return statistics.median(worst.tolist())


def allreduce_rows(rank, size):
    for nbytes in SIZES:
        t = cr.ones(nbytes // 4)
        dist.all_reduce(t)  # warm-up: connections, pages
        repeats = 30 if nbytes <= 1 << 20 else (10 if nbytes <= 10 << 20 else 5)
        sec = timed(lambda t=t: dist.all_reduce(t), repeats)
        bus = 2 * (size - 1) / size * nbytes / sec / 1e9 if size > 1 else float("nan")
        if rank == 0:
            print(f"allreduce K={size} bytes={nbytes:>10} time_ms={sec * 1e3:9.3f} bus_GB_s={bus:6.2f}", flush=True)


def step_rows(rank, size, net="mlp", batch=256, steps=30):
    cr.manual_seed(0)
    if net == "cnn":  # chainrule train --model cnn: conv32-conv64-128-10, 3x3 convs, 2x2 max pooling, no BatchNorm
        from chainrule import models

        model, shape = models.cnn(), (1, 28, 28)
    else:
        model, shape = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                     nn.Linear(128, 10)), (784,)
    ddp = DistributedDataParallel(model)
    opt = cr.optim.Adam(ddp.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    per_rank = batch // size
    x, y = cr.randn(per_rank, *shape), cr.randint(0, 10, (per_rank,))

    def step():
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    sec = timed(step, steps)
    comm = timed(lambda: average_gradients(ddp._buckets), steps)
    nbytes = sum(p._data.nbytes for p in model.parameters())
    if rank == 0:
        print(f"step {net} K={size} global_batch={batch} per_rank={per_rank} params_bytes={nbytes} "
              f"step_ms={sec * 1e3:.2f} allreduce_ms={comm * 1e3:.3f} compute_ms={(sec - comm) * 1e3:.2f}",
              flush=True)


# (name, bandwidth in bytes/s, per-message latency in s): TCP over 10 GbE; RDMA (InfiniBand/RoCE) at 100 Gbit/s
NETWORKS = [("10 Gbit/s", 10e9 / 8, 20e-6), ("100 Gbit/s", 100e9 / 8, 2e-6)]


def model_table(compute_ms, nbytes, batches=(256, 4096), base_batch=256):
    """Markdown rows: modelled step time and speed-up over K = 1 (compute grows linearly with the batch)."""
    ks = [1, 2, 4, 8, 16, 32, 64]
    print("| global batch | network | " + " | ".join(f"K={k}" for k in ks) + " |")
    print("|---|---|" + "---|" * len(ks))
    for batch in batches:
        compute = compute_ms * 1e-3 * batch / base_batch
        for name, bandwidth, latency in NETWORKS:
            cells = []
            for k in ks:
                comm = 2 * (k - 1) / k * nbytes / bandwidth + 2 * (k - 1) * latency
                step = compute / k + comm
                share = comm / step
                cells.append(f"{step * 1e3:.2f} ms ({compute / step:.1f}x, {share:.0%} comm)")
            print(f"| {batch} | {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps-only", action="store_true", help="skip the message-size sweep")
    parser.add_argument("--model", nargs=2, type=float, metavar=("COMPUTE_MS", "BYTES"),
                        help="print the scaling table for a K = 1 step of COMPUTE_MS and BYTES of gradients")
    parser.add_argument("--net", choices=("mlp", "cnn"), action="append",
                        help="the step measured (repeatable; default: both)")
    parser.add_argument("--cnn-steps", type=int, default=8, help="timed CNN steps (default: %(default)s)")
    args = parser.parse_args()
    args.net = args.net or ["mlp", "cnn"]
    if args.model:
        model_table(args.model[0], args.model[1])
        return
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    if not args.steps_only:
        allreduce_rows(rank, size)
    for net in args.net:
        step_rows(rank, size, net, steps=30 if net == "mlp" else args.cnn_steps)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
