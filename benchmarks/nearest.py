"""chainrule.embeddings.nearest against scikit-learn's NearestNeighbors(algorithm="brute"), side by side.

Same float32 table, same queries, same metric, same k; repetitions alternate between the two in one
process, with BLAS and OpenMP held to one thread for both (threadpoolctl). Reports queries per CPU second,
the ratio, how many neighbour lists agree, and chainrule's peak working memory (tracemalloc).

    unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
    PYTHONPATH=src python benchmarks/nearest.py [--rows 1000000] [--dim 64] [--queries 1000] [--k 10] [--reps 2]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from chainrule.embeddings import nearest


def cpu(fn):
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--metrics", default="euclidean,cosine")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    table = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    print(f"table {args.rows} x {args.dim} float32 ({table.nbytes / 2**20:.0f} MiB), {args.queries} queries, "
          f"k={args.k}, one thread, CPU seconds")
    print(f"{'metric':10s} {'chainrule q/s':>14s} {'sklearn q/s':>12s} {'ratio':>6s} {'same lists':>10s} "
          f"{'chainrule peak MiB':>18s}")
    with threadpool_limits(1):
        for metric in args.metrics.split(","):
            nn = NearestNeighbors(n_neighbors=args.k, algorithm="brute", metric=metric).fit(table)
            t_cr, t_sk = [], []
            for _ in range(args.reps):
                tracemalloc.start()
                t, (_, idx_cr) = cpu(lambda m=metric: nearest(queries, table, args.k, m))
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                t_cr.append(t)
                t, (_, idx_sk) = cpu(lambda est=nn: est.kneighbors(queries))
                t_sk.append(t)
            same = np.mean([set(a) == set(b) for a, b in zip(idx_cr.numpy(), idx_sk)])
            qc, qs = args.queries / min(t_cr), args.queries / min(t_sk)
            print(f"{metric:10s} {qc:14.1f} {qs:12.1f} {qc / qs:6.2f} {same:10.3f} {peak / 2**20:18.1f}")


if __name__ == "__main__":
    main()
