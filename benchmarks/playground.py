"""How long the playground's training takes: one epoch of the default network on 500 points.

    python benchmarks/playground.py [--repeats 30]

The default network is TensorFlow Playground's: features X1, X2, hidden layers 4 and 2, tanh, SGD with
learning rate 0.03, batch size 10, 50% of the 500 circle points for training (so an epoch is 25
mini-batch updates). Reported: the median time of one epoch (``Session.step`` without the snapshot),
of one mini-batch update, and of the snapshot the page draws (output grid 50x50 + neuron maps).
"""

from __future__ import annotations

import argparse
import statistics
import time

from chainrule.playground.session import Session


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    session = Session()
    updates = -(-len(session.X_train) // session.config["batch_size"])
    for _ in range(3):  # warm-up
        session._epoch()
    epochs, snaps = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        session._epoch()
        epochs.append(time.perf_counter() - t)
        t = time.perf_counter()
        session.snapshot()
        snaps.append(time.perf_counter() - t)
    epoch = statistics.median(epochs)
    print(f"epoch (500 points, {len(session.X_train)} for training, {updates} updates): {epoch * 1e3:.2f} ms")
    print(f"one mini-batch update of 10 points: {epoch / updates * 1e3:.3f} ms")
    print(f"snapshot for the page: {statistics.median(snaps) * 1e3:.2f} ms")
    print(f"loss after {args.repeats + 3} epochs: {session.history[-1][1]:.4f}")


if __name__ == "__main__":
    main()
