"""The recommender's result table: MovieLens 100K with 5-fold cross-validation, against its baselines.

For each fold the matrix factorisation (chainrule's defaults, ``chainrule.recommender.DEFAULTS``) is
trained with early stopping on 5% of the training ratings, and scored on the held-out fold together with
the global mean and the bias-only baseline (regularised ALS). Printed as Markdown: RMSE and MAE per fold
and their mean, the test RMSE after every epoch (mean over the folds), and the CPU seconds per epoch
(one BLAS thread). ``--reference-svd`` adds Surprise's ``SVD`` algorithm (biased matrix factorisation by
per-rating SGD; 100 factors, 20 epochs, lr 0.005, reg 0.02, initial std 0.1: Surprise's defaults),
re-implemented here with numba so that both run on the same folds.

Usage::

    python scripts/movielens_table.py                          # ML-100K (found as `chainrule recommend` finds it)
    python scripts/movielens_table.py --root ~/data --folds official   # the u1..u5 splits of ml-100k.zip
    python scripts/movielens_table.py --synthetic --reference-svd      # without the data: MovieLens-shaped data

Surprise's published benchmark on ML-100K (5-fold): SVD 0.934 RMSE, baseline-only 0.944.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def folds_random(data, n_folds: int, seed: int):
    from chainrule.recommender.ratings import Ratings  # noqa: F401 - the type of data

    order = np.random.default_rng(seed).permutation(len(data))
    parts = np.array_split(order, n_folds)
    for k in range(n_folds):
        test = np.sort(parts[k])
        train = np.sort(np.concatenate([parts[j] for j in range(n_folds) if j != k]))
        yield data.subset(train), data.subset(test)


def reference_svd(train, test, factors=100, epochs=20, lr=0.005, reg=0.02, init_std=0.1, seed=0):
    """Surprise's SVD algorithm (per-rating SGD on mu + b_u + b_i + p_u.q_i), predictions clipped to 1..5."""
    import numba

    @numba.njit(cache=True)
    def sgd(u, i, r, P, Q, bu, bi, mu, lr, reg, epochs, seed):
        np.random.seed(seed)
        for _ in range(epochs):
            for j in np.random.permutation(len(r)):
                uu, ii = u[j], i[j]
                dot = 0.0
                for f in range(P.shape[1]):
                    dot += P[uu, f] * Q[ii, f]
                err = r[j] - (mu + bu[uu] + bi[ii] + dot)
                bu[uu] += lr * (err - reg * bu[uu])
                bi[ii] += lr * (err - reg * bi[ii])
                for f in range(P.shape[1]):
                    pf, qf = P[uu, f], Q[ii, f]
                    P[uu, f] += lr * (err * qf - reg * pf)
                    Q[ii, f] += lr * (err * pf - reg * qf)

    rng = np.random.default_rng(seed)
    P = rng.normal(0, init_std, (train.n_users, factors))
    Q = rng.normal(0, init_std, (train.n_items, factors))
    bu, bi, mu = np.zeros(train.n_users), np.zeros(train.n_items), train.mean()
    sgd(train.users, train.items, train.ratings.astype(np.float64), P, Q, bu, bi, mu, lr, reg, epochs, seed)
    pred = mu + bu[test.users] + bi[test.items] + np.einsum("nd,nd->n", P[test.users], Q[test.items])
    return np.clip(pred, train.ratings.min(), train.ratings.max())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="ml-100k", help="ml-100k, ml-latest-small or a ratings CSV")
    parser.add_argument("--root", default=None, help="folder holding the MovieLens files or zip")
    parser.add_argument("--synthetic", action="store_true",
                        help="MovieLens-100K-shaped synthetic ratings instead of --data (no download needed)")
    parser.add_argument("--folds", choices=("random", "official"), default="random",
                        help="5 random folds (as Surprise's benchmark), or ml-100k's u1..u5 splits")
    parser.add_argument("--n-folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference-svd", action="store_true", help="also run Surprise's SVD algorithm (numba)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override a default, e.g. --set dim=64 weight_decay=1e-4")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    import chainrule as cr
    from chainrule.recommender import DEFAULTS, evaluate_split, rmse, synthetic_ratings
    from chainrule.train.callbacks import Callback

    settings = dict(DEFAULTS)
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in settings:
            parser.error(f"--set: unknown setting {key!r}; expected one of {', '.join(settings)}")
        settings[key] = int(float(value)) if isinstance(settings[key], int) else float(value)
    if args.synthetic:
        data, _ = synthetic_ratings(seed=args.seed)
        name = "synthetic MovieLens-100K-shaped ratings (chainrule.recommender.synthetic_ratings, seed " \
               f"{args.seed})"
    else:
        from chainrule.cli.recommend import load_ratings

        data, name, _ = load_ratings(args.data, args.root)
    if args.folds == "official":
        if args.synthetic or args.data != "ml-100k":
            parser.error("--folds official needs --data ml-100k")
        from chainrule.data.datasets import MovieLens100K

        ml = MovieLens100K(root=args.root)
        folds = [ml.fold(k) for k in range(1, 6)]
    else:
        folds = list(folds_random(data, args.n_folds, args.seed))

    class TestCurve(Callback):  # test RMSE after every epoch (reported only, never used to stop)
        def __init__(self, test):
            super().__init__()
            self.test, self.values = test, []

        def on_epoch_end(self, epoch, logs=None):
            pred = self.model.predict(self.test.users, self.test.items)
            self.values.append(rmse(np.clip(pred, 1, 5), self.test.ratings))

    rows, curves, cpu, wall = [], [], [], []
    with threadpool_limits(1):
        for k, (train, test) in enumerate(folds, 1):
            started = time.process_time()
            curve = TestCurve(test)
            out = evaluate_split(train, test, seed=args.seed + k, ranking=False, callbacks=[curve],
                                 dim=settings["dim"], epochs=settings["epochs"], lr=settings["lr"],
                                 weight_decay=settings["weight_decay"], batch_size=settings["batch_size"],
                                 patience=settings["patience"])
            m = out["metrics"]
            row = {"fold": k, "epochs": out["epochs"], "best": out["best_epoch"],
                   **{f"{n}/{key}": v[key] for n, v in m.items() for key in ("rmse", "mae")}}
            if args.reference_svd:
                t = time.process_time()
                pred = reference_svd(train, test, seed=args.seed + k)
                row["svd/rmse"], row["svd/mae"] = rmse(pred, test.ratings), float(np.mean(np.abs(pred - test.ratings)))
                row["svd/seconds"] = time.process_time() - t
            rows.append(row)
            curves.append(curve.values)
            cpu += out["history"]["cpu_time"]
            wall += out["history"]["time"]
            if not args.quiet:
                print(f"fold {k}: MF {row['matrix factorization/rmse']:.4f} bias {row['bias baseline/rmse']:.4f} "
                      f"mean {row['global mean/rmse']:.4f} ({out['epochs']} epochs, "
                      f"{time.process_time() - started:.1f} s CPU)", file=sys.stderr)
    models = [("global mean", "global mean"), ("bias baseline (ALS)", "bias baseline"),
              ("matrix factorization (chainrule)", "matrix factorization")]
    if args.reference_svd:
        models.insert(2, ("Surprise's SVD algorithm (reference)", "svd"))
    print(f"## {name}: {len(data):,} ratings, {data.n_users} users, {data.n_items} items; "
          f"{'official u1..u5' if args.folds == 'official' else f'{len(folds)} random'} folds\n")
    from chainrule.recommender.train import default_weight_decay

    n_fit = len(folds[0][0]) - int(round(len(folds[0][0]) * 0.05))
    shown = {**settings, "weight_decay": settings["weight_decay"] if settings["weight_decay"] is not None
             else f"23/{n_fit} = {default_weight_decay(n_fit):.3g}"}
    print("chainrule settings: " + ", ".join(f"{k}={v}" for k, v in shown.items())
          + f"; early stopping on 5% of each training fold; chainrule {cr.__version__}, numpy {np.__version__}\n")
    print("| model | " + " | ".join(f"fold {r['fold']}" for r in rows) + " | mean RMSE | mean MAE |")
    print("|---|" + "---|" * len(rows) + "---|---|")
    for label, key in models:
        values = [r[f"{key}/rmse"] for r in rows]
        maes = [r[f"{key}/mae"] for r in rows]
        print(f"| {label} | " + " | ".join(f"{v:.4f}" for v in values)
              + f" | **{np.mean(values):.4f}** ± {np.std(values):.4f} | {np.mean(maes):.4f} |")
    n = min(len(c) for c in curves)
    mean_curve = np.mean([c[:n] for c in curves], axis=0)
    print(f"\nTest RMSE after each epoch (mean over the folds; epochs 1 to {n}, which every fold ran): "
          + ", ".join(f"{v:.4f}" for v in mean_curve))
    print(f"\nEpochs run per fold: {[r['epochs'] for r in rows]} (best validation epoch {[r['best'] for r in rows]}).")
    print(f"Time per epoch: {np.mean(cpu):.2f} s CPU ({np.mean(wall):.2f} s wall clock) with one BLAS thread, "
          f"{len(folds[0][0]) * 0.95:,.0f} training ratings; {os.cpu_count()} logical CPUs on this machine.")
    if args.reference_svd:
        print(f"Reference SVD: {np.mean([r['svd/seconds'] for r in rows]):.1f} s CPU per fold (20 epochs, numba).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
