"""Measure the lecture's claim on the 3 footwear classes that fashion_cnn never saw, and write the table
into docs/transfer.md (between the ``transfer-table`` markers):

    python scripts/transfer_table.py          # about 20-40 minutes on 2 busy cores

(a) a linear classifier on the raw pixels, (b) a linear head on the frozen pretrained features,
(c) full fine-tuning of the pretrained CNN (body at a 10x smaller learning rate), (d) the same CNN
trained from scratch, each with 10, 50 and all (6000) training labels per class of sandal / sneaker /
ankle boot, tested on the 3000 test images of those classes. Accuracy with its 95% Wilson interval;
with 10 and 50 labels the mean and spread over 3 random draws of the labelled images are shown too.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data.datasets import FashionMNIST
from chainrule.train.metrics import wilson_interval
from chainrule.vision.models import FASHION7, fashion_cnn

FOOTWEAR = [5, 7, 9]
NAMES = ["sandal", "sneaker", "ankle boot"]
DOC = Path(__file__).resolve().parent.parent / "docs/transfer.md"
METHODS = {"a": "linear on raw pixels", "b": "frozen features + linear head", "c": "full fine-tune",
           "d": "from scratch"}


def footwear(train: bool):
    ds = FashionMNIST(train=train)
    X, y = ds.data.numpy(), ds.targets.numpy()
    keep = np.isin(y, FOOTWEAR)
    x = (X[keep].astype(np.float32) / 255 - FASHION7["mean"][0]) / FASHION7["std"][0]
    return x[:, None], np.searchsorted(FOOTWEAR, y[keep])


def draw(y, per_class, seed):
    """Indices of ``per_class`` random examples of each class (all when None)."""
    if per_class is None:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in range(3)]))


def batches(n, batch, rng):
    order = rng.permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch)]


def steps_plan(n):
    """(epochs, batch size): about the same number of updates at every label budget."""
    return (150, n) if n <= 30 else (40, 32) if n <= 150 else (3, 128)


def fit_linear(F, y, seed):
    """A linear softmax classifier on fixed features (the head of (a) and (b)); Adam, light weight decay."""
    cr.manual_seed(seed)
    head = nn.Linear(F.shape[1], 3)
    opt = optim.AdamW(head.parameters(), lr=1e-2 if len(y) <= 150 else 3e-3, weight_decay=1e-2)
    loss_fn, rng = nn.CrossEntropyLoss(), np.random.default_rng(seed)
    epochs, batch = steps_plan(len(y))
    epochs = epochs if len(y) <= 150 else 10
    for _ in range(epochs):
        for idx in batches(len(y), batch, rng):
            loss = loss_fn(head(cr.from_numpy(F[idx])), cr.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return head


def features(extractor, X):
    with cr.no_grad():
        return np.concatenate([extractor(cr.from_numpy(X[i:i + 500])).numpy() for i in range(0, len(X), 500)])


def fit_cnn(X, y, seed, pretrained: bool):
    """(c) fine-tune fashion7 with a new head (body lr 10x smaller), or (d) the same CNN from scratch."""
    cr.manual_seed(seed)
    if pretrained:
        model = fashion_cnn(weights="fashion7")
        model.fc = nn.Linear(model.fc.in_features, 3)
        body = [p for name, p in model.named_parameters() if not name.startswith("fc.")]
        opt = optim.Adam([{"params": body, "lr": 3e-4}, {"params": model.fc.parameters()}], lr=3e-3)
    else:
        model = fashion_cnn(num_classes=3)
        opt = optim.Adam(model.parameters(), lr=2e-3)
    loss_fn, rng = nn.CrossEntropyLoss(), np.random.default_rng(seed)
    epochs, batch = steps_plan(len(y))
    model.train()
    for _ in range(epochs):
        for idx in batches(len(y), batch, rng):
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            loss = loss_fn(model(cr.from_numpy(X[idx])), cr.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def predict(model, X):
    with cr.no_grad():
        return np.concatenate([model(cr.from_numpy(X[i:i + 500])).argmax(dim=1).numpy() for i in range(0, len(X), 500)])


def run(method, X, y, X_test, y_test, seed, cache):
    if method == "a":
        head = fit_linear(X.reshape(len(X), -1), y, seed)
        return predict(head, X_test.reshape(len(X_test), -1))
    if method == "b":
        head = fit_linear(cache["train"][cache["index"]], y, seed)
        return predict(head, cache["test"])
    return predict(fit_cnn(X, y, seed, pretrained=method == "c"), X_test)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=3, help="random draws of the labelled images (10 and 50 labels)")
    parser.add_argument("--no-write", action="store_true", help="print the table without editing docs/transfer.md")
    args = parser.parse_args(argv)
    cr.set_num_threads(1)
    started = time.perf_counter()
    X_all, y_all = footwear(True)
    X_test, y_test = footwear(False)
    body = fashion_cnn(weights="fashion7").requires_grad_(False).eval()
    extractor = nn.Sequential(*list(body.children())[:-1])  # everything but the head: 576 features
    F_train, F_test = features(extractor, X_all), features(extractor, X_test)
    rows = []
    for per_class in (10, 50, None):
        for method in "abcd":
            accs = []
            for draw_seed in range(args.draws if per_class else 1):
                index = draw(y_all, per_class, draw_seed)
                cache = {"train": F_train, "test": F_test, "index": index}
                pred = run(method, X_all[index], y_all[index], X_test, y_test, draw_seed, cache)
                accs.append(((pred == y_test).sum(), len(y_test)))
            correct, n = accs[0]
            low, high = wilson_interval(int(correct), n)
            spread = [c / n for c, n in accs]
            rows.append((per_class or "all (6000)", METHODS[method], correct / n, low, high, spread))
            print(f"{rows[-1][0]!s:>10} labels/class  ({method}) {METHODS[method]:<30} {correct / n:.4f} "
                  f"[{low:.4f}, {high:.4f}]  draws {' '.join(f'{s:.3f}' for s in spread)}  "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    table = ["| labels per class | method | test accuracy | 95% Wilson interval | mean (min-max) over draws |",
             "|---|---|---:|---|---|"]
    for per_class, name, acc, low, high, spread in rows:
        over = f"{np.mean(spread):.3f} ({min(spread):.3f}-{max(spread):.3f})" if len(spread) > 1 else "-"
        table.append(f"| {per_class} | {name} | {acc:.4f} | {low:.4f}-{high:.4f} | {over} |")
    text = "\n".join(table)
    print(text)
    print(f"total {time.perf_counter() - started:.0f} s")
    if not args.no_write:
        write_table(text)
        print(f"wrote the table into {DOC}")
    return 0


def write_table(text: str, doc_path: Path = DOC) -> None:
    """Replace what stands between the transfer-table markers of docs/transfer.md with ``text``."""
    doc = doc_path.read_text()
    if "<!-- transfer-table start -->" not in doc or "<!-- transfer-table end -->" not in doc:
        raise SystemExit(f"{doc_path} has no <!-- transfer-table start/end --> markers")
    doc_path.write_text(re.sub(r"(<!-- transfer-table start -->\n).*?(\n<!-- transfer-table end -->)",
                               lambda m: m.group(1) + text + m.group(2), doc, flags=re.S))


if __name__ == "__main__":
    raise SystemExit(main())
