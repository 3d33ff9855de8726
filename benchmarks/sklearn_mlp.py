"""chainrule.sklearn's estimators against scikit-learn's MLPClassifier / MLPRegressor, same data and architecture.

Both get the same arguments (hidden layers, Adam, learning rate, alpha, batch size) and train a fixed
number of epochs (tol=0 and a large n_iter_no_change, so neither stops early). Time to fit is CPU time
(``time.process_time``) with one BLAS thread for both, after one warm-up fit of each (imports, numba's
cached kernel); the repetitions alternate between the two in one process, and the speed-up is the
median of the paired ratios. Accuracy and R^2 are on the held-out test part.

    unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
    PYTHONPATH=src python benchmarks/sklearn_mlp.py [--subset 10000] [--epochs 10] [--reps 5] [--only digits]
        [--float32]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from chainrule.sklearn import NeuralNetClassifier, NeuralNetRegressor


def fashion(subset: int):
    from chainrule.cli.runs import load_raw

    X, y, _ = load_raw("fashion-mnist", True, 0)
    Xt, yt, _ = load_raw("fashion-mnist", False, 0)
    keep = np.random.default_rng(0).permutation(len(X))[:subset]
    return X[keep].reshape(subset, -1) / 255.0, y[keep], Xt.reshape(len(Xt), -1) / 255.0, yt


def standardized(X, y, stratify):
    X, Xt, y, yt = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y if stratify else None)
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(Xt), yt


def digits():
    return standardized(*load_digits(return_X_y=True), stratify=True)


def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return standardized(X, (y - y.mean()) / y.std(), stratify=False)


def friedman(n: int):
    X, y = make_friedman1(n_samples=n, n_features=10, noise=1.0, random_state=0)
    return standardized(X, (y - y.mean()) / y.std(), stratify=False)


def wilson(p: float, n: int) -> tuple[float, float]:
    """95% Wilson interval of an accuracy ``p`` on ``n`` samples."""
    z = 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def compare(name, data, hidden, epochs, reps, regression=False, dtype=np.float64):
    X, y, Xt, yt = data
    X, Xt = X.astype(dtype), Xt.astype(dtype)  # float32: scikit-learn then trains in float32 too
    common = dict(hidden_layer_sizes=hidden, alpha=1e-4, batch_size=200, learning_rate_init=1e-3, max_iter=epochs,
                  tol=0.0, n_iter_no_change=10**6, random_state=0)
    pairs = ((("sklearn MLPRegressor", MLPRegressor), ("chainrule NeuralNetRegressor", NeuralNetRegressor))
             if regression else
             (("sklearn MLPClassifier", MLPClassifier), ("chainrule NeuralNetClassifier", NeuralNetClassifier)))
    times = {label: [] for label, _ in pairs}
    score = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _label, cls in pairs:  # warm-up: first-call costs (numba's cached kernel, lazy imports) excluded
            cls(**{**common, "max_iter": 1}).fit(X[:400], y[:400])
        for _ in range(reps):
            for label, cls in pairs:
                est = cls(**common)
                start = time.process_time()
                est.fit(X, y)
                times[label].append(time.process_time() - start)
                score[label] = est.score(Xt, yt)
    what = "R^2" if regression else "accuracy"
    print(f"\n{name}: {len(X)} train / {len(Xt)} test samples, hidden {hidden}, {epochs} epochs, batch 200, "
          f"Adam 1e-3, {np.dtype(dtype).name} inputs, CPU time, median of {reps} alternating fits")
    print(f"| estimator | test {what} | fit CPU time (s) | per epoch (ms) |")
    print("|---|---|---|---|")
    for label, _ in pairs:
        med = float(np.median(times[label]))
        extra = "" if regression else " ({:.3f}-{:.3f})".format(*wilson(score[label], len(yt)))
        print(f"| {label} | {score[label]:.4f}{extra} | {med:.3f} | {1000 * med / epochs:.1f} |")
    (sk, _), (cr_, _) = pairs
    ratios = np.array(times[sk]) / np.array(times[cr_])
    print(f"speed-up (paired ratios): median {np.median(ratios):.2f}x, min {ratios.min():.2f}x, "
          f"max {ratios.max():.2f}x")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--subset", type=int, default=10000, help="Fashion-MNIST training images")
    p.add_argument("--epochs", type=int, default=10, help="epochs on Fashion-MNIST and Friedman #1")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads for both (default: %(default)s)")
    p.add_argument("--float32", action="store_true",
                   help="give both float32 inputs (scikit-learn then trains in float32; by default float64)")
    p.add_argument("--only", choices=("digits", "fashion", "diabetes", "friedman"), action="append",
                   help="run only these comparisons (repeatable)")
    args = p.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    print(f"BLAS threads: {args.threads}")
    dt = np.float32 if args.float32 else np.float64
    runs = {
        "digits": lambda: compare("digits (sklearn), standardized", digits(), (100,), 100, args.reps, dtype=dt),
        "fashion": lambda: compare("Fashion-MNIST subset, pixels / 255", fashion(args.subset), (256, 128),
                                   args.epochs, args.reps, dtype=dt),
        "diabetes": lambda: compare("diabetes (sklearn), standardized, target standardized", diabetes(), (100,),
                                    200, args.reps, regression=True, dtype=dt),
        "friedman": lambda: compare("Friedman #1 (make_friedman1, noise 1), standardized", friedman(20000),
                                    (256, 128), args.epochs, args.reps, regression=True, dtype=dt),
    }
    for key, run in runs.items():
        if args.only is None or key in args.only:
            run()


if __name__ == "__main__":
    main()
