"""Rebuild chainrule's shipped foundation model: ``fashion_cnn`` pre-trained on 7 Fashion-MNIST classes.

    python scripts/pretrain_foundation.py            # writes src/chainrule/vision/models/weights/fashion7.safetensors

The 3 footwear classes (5 sandal, 7 sneaker, 9 ankle boot) are held out: ``scripts/transfer_table.py``
uses them to measure transfer learning. Deterministic: seeded weights, data order and augmentation, one
BLAS thread (multi-threaded sums may round differently). It prints one line per epoch and the test
accuracy on the 7 classes; docs/transfer.md shows the log.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import io, nn, optim
from chainrule.data import DataLoader, TensorDataset
from chainrule.data import transforms as BT
from chainrule.data.datasets import FashionMNIST
from chainrule.vision.models import FASHION7, fashion_cnn

OUT = Path(__file__).resolve().parent.parent / "src/chainrule/vision/models/weights/fashion7.safetensors"


def seven_classes(train: bool):
    """Fashion-MNIST images (uint8, N x 28 x 28) and labels 0..6 of the 7 non-footwear classes."""
    ds = FashionMNIST(train=train)
    X, y = np.asarray(ds.data.numpy()), np.asarray(ds.targets.numpy())
    keep = np.isin(y, FASHION7["fashion_mnist_labels"])
    remap = np.full(10, -1)
    remap[FASHION7["fashion_mnist_labels"]] = np.arange(7)
    return X[keep], remap[y[keep]]


def accuracy(model, X, y, transform) -> float:
    model.eval()
    correct = 0
    with cr.no_grad():
        for i in range(0, len(X), 1000):
            logits = model(cr.from_numpy(np.asarray(transform(X[i:i + 1000]))))
            correct += int((logits.argmax(dim=1).numpy() == y[i:i + 1000]).sum())
    return correct / len(X)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    cr.set_num_threads(1)
    cr.manual_seed(args.seed)
    X, y = seven_classes(True)
    X_test, y_test = seven_classes(False)
    plain = BT.Compose([BT.ToTensor(), BT.Normalize(FASHION7["mean"], FASHION7["std"])])
    augment = BT.Compose([BT.ToTensor(), BT.RandomHorizontalFlip(), BT.Normalize(FASHION7["mean"], FASHION7["std"])])
    loader = DataLoader(TensorDataset(X, y, transform=augment), batch_size=128, shuffle=True,
                        generator=cr.Generator().manual_seed(args.seed))
    model = fashion_cnn(num_classes=7)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=args.epochs * len(loader))
    loss_fn = nn.CrossEntropyLoss()
    print(f"fashion_cnn, {sum(p.numel() for p in model.parameters())} parameters; {len(X)} training / "
          f"{len(X_test)} test images of 7 classes; Adam + one-cycle lr 2e-3, batch 128, seed {args.seed}")
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, seen = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total, seen = total + float(loss) * len(yb), seen + len(yb)
        test_acc = accuracy(model, X_test, y_test, plain)
        print(f"epoch {epoch}: train loss {total / seen:.4f}, test accuracy {test_acc:.4f} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    test_acc = accuracy(model, X_test, y_test, plain)
    meta = {"format": "chainrule-vision", "model": "fashion_cnn", "weights": "fashion7",
            "categories": json.dumps(FASHION7["categories"]), "mean": json.dumps(FASHION7["mean"]),
            "std": json.dumps(FASHION7["std"]), "test_accuracy": f"{test_acc:.4f}",
            "recipe": f"scripts/pretrain_foundation.py --epochs {args.epochs} --seed {args.seed}"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    io.save_state_dict(model.state_dict(), args.out, metadata=meta)
    print(f"test accuracy on the 7 classes: {test_acc:.4f} (n={len(X_test)}); wrote {args.out} "
          f"({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
