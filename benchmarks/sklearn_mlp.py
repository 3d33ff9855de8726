"""chainrule.sklearn.NeuralNetClassifier against scikit-learn's MLPClassifier, same data and architecture.

Both get the same arguments (hidden layers, Adam, learning rate, alpha, batch size) and train a fixed
number of epochs (tol=0 and a large n_iter_no_change, so neither stops early); repetitions alternate
between the two in one process. Reports test accuracy and time to fit.

    unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
    PYTHONPATH=src python benchmarks/sklearn_mlp.py [--subset 10000] [--epochs 10] [--reps 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from chainrule.sklearn import NeuralNetClassifier


def fashion(subset: int):
    from chainrule.cli.runs import load_raw

    X, y, _ = load_raw("fashion-mnist", True, 0)
    Xt, yt, _ = load_raw("fashion-mnist", False, 0)
    keep = np.random.default_rng(0).permutation(len(X))[:subset]
    return X[keep].reshape(subset, -1) / 255.0, y[keep], Xt.reshape(len(Xt), -1) / 255.0, yt


def digits():
    X, y = load_digits(return_X_y=True)
    X, Xt, y, yt = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y, scaler.transform(Xt), yt


def compare(name, data, hidden, epochs, reps):
    X, y, Xt, yt = data
    common = dict(hidden_layer_sizes=hidden, alpha=1e-4, batch_size=200, learning_rate_init=1e-3, max_iter=epochs,
                  tol=0.0, n_iter_no_change=10**6, random_state=0)
    makers = {"sklearn MLPClassifier": lambda: MLPClassifier(**common),
              "chainrule NeuralNetClassifier": lambda: NeuralNetClassifier(**common)}
    times = {k: [] for k in makers}
    acc = {}
    for _ in range(reps):
        for label, make in makers.items():
            est = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                est.fit(X, y)
                times[label].append(time.perf_counter() - start)
            acc[label] = est.score(Xt, yt)
    print(f"\n{name}: {len(X)} train / {len(Xt)} test samples, hidden {hidden}, {epochs} epochs, batch 200, Adam 1e-3")
    print("| estimator | test accuracy | fit time (s, best of %d) | per epoch (s) |" % reps)
    print("|---|---|---|---|")
    for label in makers:
        best = min(times[label])
        print(f"| {label} | {acc[label]:.4f} | {best:.2f} | {best / epochs:.3f} |")
    sk, cr_ = min(times["sklearn MLPClassifier"]), min(times["chainrule NeuralNetClassifier"])
    print(f"speed-up: {sk / cr_:.1f}x")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--subset", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads for both (1 on a busy machine: waiting BLAS threads make both far slower)")
    args = p.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        print(f"BLAS threads: {args.threads}")
    compare("digits (sklearn)", digits(), (100,), 100, args.reps)
    compare("Fashion-MNIST subset", fashion(args.subset), (256, 128), args.epochs, args.reps)


if __name__ == "__main__":
    main()
