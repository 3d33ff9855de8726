"""How long the playground's training takes: one epoch of the default network on 500 points.

    python benchmarks/playground.py [--repeats 30] [--largest]

The default network is TensorFlow Playground's: features X1, X2, hidden layers 4 and 2, tanh, SGD with
learning rate 0.03, batch size 10, 50% of the 500 circle points for training (so an epoch is 25
mini-batch updates). Reported: the median time of one epoch (``Session.step`` without the snapshot),
of one mini-batch update, and of the snapshot the page draws (output grid 50x50 + neuron maps).
``--largest`` also measures the biggest network the playground allows (``MAX_LAYERS`` hidden layers of
``MAX_NEURONS``, with dropout, so the stated cap is checked) in the same process. Times are CPU time
(``time.process_time``), which other work on a shared machine disturbs less than wall-clock time.
"""

from __future__ import annotations

import argparse
import statistics
import time

from chainrule.playground.session import MAX_LAYERS, MAX_NEURONS, Session


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--largest", action="store_true", help=f"also {MAX_LAYERS} x {MAX_NEURONS} with dropout")
    args = parser.parse_args(argv)
    measure("default network [4, 2]", Session(), args.repeats)
    if args.largest:
        big = Session({"hidden": [MAX_NEURONS] * MAX_LAYERS, "dropout": [0.1] * MAX_LAYERS, "activation": "relu"})
        measure(f"largest network {MAX_LAYERS} x {MAX_NEURONS}, dropout 0.1", big, args.repeats)


def measure(title, session, repeats):
    print(title)
    updates = -(-len(session.X_train) // session.config["batch_size"])
    for _ in range(3):  # warm-up
        session._epoch()
    epochs, snaps = [], []
    for _ in range(repeats):
        t = time.process_time()
        session._epoch()
        epochs.append(time.process_time() - t)
        t = time.process_time()
        session.snapshot()
        snaps.append(time.process_time() - t)
    epoch = statistics.median(epochs)
    print(f"  epoch (500 points, {len(session.X_train)} for training, {updates} updates): {epoch * 1e3:.2f} ms")
    print(f"  one mini-batch update of 10 points: {epoch / updates * 1e3:.3f} ms")
    print(f"  snapshot for the page: {statistics.median(snaps) * 1e3:.2f} ms")
    print(f"  loss after {repeats + 3} epochs: {session.history[-1][1]:.4f}")


if __name__ == "__main__":
    main()
