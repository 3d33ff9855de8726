"""``chainrule recommend``: train a matrix-factorisation recommender on MovieLens or your own ratings CSV.

    chainrule recommend --data ml-100k                  # MovieLens 100K (found locally or downloaded)
    chainrule recommend --data ml-latest-small --split time
    chainrule recommend --data my_ratings.csv --dim 16  # lines of user,item,rating[,timestamp]
    chainrule recommend --data synthetic                # MovieLens-shaped ratings from known factors

Writes a run folder like ``chainrule train``: config.json, metrics.csv (RMSE per epoch, seconds),
model.safetensors, results.json (test RMSE/MAE against the global-mean and bias baselines, precision,
recall and NDCG at k), curves.png, map.png (the item embeddings in 2-D, the most-rated items named)
and report.md with sample recommendations and similar items by title.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

from chainrule.recommender.defaults import DEFAULTS

DESCRIPTION = (
    "Train a matrix-factorisation recommender (user and item embeddings, dot product plus biases) on MovieLens "
    "100K, ml-latest-small or a CSV file of user,item,rating[,timestamp] lines, with early stopping on a "
    "validation part of the training ratings; compare it on held-out ratings with the global-mean and bias-only "
    "baselines. Writes a run folder with metrics, curves.png, map.png (a 2-D map of the item embeddings) and "
    "report.md (sample recommendations with titles).")


def add_parser(commands) -> argparse.ArgumentParser:
    """Add ``recommend`` to the ``chainrule`` subcommands; returns its parser."""
    from chainrule.cli import _float_in, _non_negative_int, _positive_float, _positive_int

    p = commands.add_parser("recommend", help="train a movie recommender (matrix factorisation)",
                            description=DESCRIPTION)
    p.add_argument("--data", default="ml-100k", metavar="ml-100k|ml-latest-small|synthetic|PATH.csv",
                   help="the ratings; synthetic: MovieLens-100K-shaped ratings generated from known low-rank "
                        "factors with items in 20 planted groups (default: %(default)s)")
    p.add_argument("--root", default=None, metavar="DIR",
                   help="folder holding the MovieLens files or zip (default: $CHAINRULE_DATA, the user cache)")
    p.add_argument("--no-download", action="store_true", help="never download MovieLens")
    p.add_argument("--split", choices=("random", "time"), default="random",
                   help="hold out random ratings, or the latest ones (needs timestamps) (default: %(default)s)")
    p.add_argument("--test-fraction", type=_float_in(0, 1), default=0.2, metavar="F",
                   help="fraction of the ratings held out for testing (default: %(default)s)")
    p.add_argument("--val-fraction", type=_float_in(0, 1), default=0.05, metavar="F",
                   help="fraction of the training ratings for early stopping (default: %(default)s)")
    p.add_argument("--dim", type=_positive_int, default=DEFAULTS["dim"], help="embedding size (default: %(default)s)")
    p.add_argument("--epochs", type=_positive_int, default=DEFAULTS["epochs"],
                   help="most epochs (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=DEFAULTS["lr"],
                   help="Adam's learning rate (default: %(default)s)")
    p.add_argument("--weight-decay", type=_float_in(0, 1), default=None, metavar="WD",
                   help="L2 weight decay of embeddings and biases (default: 23 / the number of training ratings, "
                        "3e-4 for MovieLens 100K)")
    p.add_argument("--batch-size", type=_positive_int, default=DEFAULTS["batch_size"],
                   help="ratings per step (default: %(default)s)")
    p.add_argument("--patience", type=_non_negative_int, default=DEFAULTS["patience"],
                   help="early-stopping patience in epochs, 0 for none (default: %(default)s)")
    p.add_argument("--k", type=_positive_int, default=10, help="length of the top-k lists (default: %(default)s)")
    p.add_argument("--users", type=_non_negative_int, default=5, metavar="N",
                   help="users shown with sample recommendations in report.md (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="split, initialisation and data order (default: %(default)s)")
    p.add_argument("--out", default="runs", help="parent folder of the run folder (default: %(default)s)")
    p.add_argument("--name", default=None, help="run folder name (default: recommend-<data>-<time>)")
    p.add_argument("--quiet", action="store_true", help="print only the result")
    return p


def refuse_recommend_run(run_dir, command: str) -> None:
    """Raise ``RunError`` when ``run_dir`` is a ``chainrule recommend`` run (``evaluate``/``predict`` are for
    classifiers and regressors)."""
    from chainrule.cli.runs import RunError

    try:
        config = json.loads((Path(run_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # not readable here: the command's own checks say what is wrong
    if isinstance(config, dict) and config.get("command") == "recommend":
        raise RunError(f"{run_dir} is a `chainrule recommend` run; `chainrule {command}` is for classifiers and "
                       "regressors: its test results are in results.json and report.md")


def load_ratings(data: str, root=None, download: bool = True, seed: int = 0):
    """``(Ratings with titles, short name of the data, each item's first genre or None)`` for ``--data``."""
    from chainrule.data.datasets import MovieLens100K, MovieLensSmall, read_ratings_csv

    if data == "synthetic":
        from chainrule.recommender import synthetic_ratings

        ratings, groups = synthetic_ratings(seed=seed)
        return ratings, data, [f"group {g}" for g in groups]
    if data in ("ml-100k", "ml-latest-small"):
        cls = MovieLens100K if data == "ml-100k" else MovieLensSmall
        ml = cls(root=root, download=download)
        return ml.ratings, data, [g[0] if g else "unknown" for g in ml.genres]
    path = Path(data).expanduser()
    if not path.is_file():
        raise ValueError(f"--data: expected ml-100k, ml-latest-small, synthetic or a CSV file of user,item,rating"
                         "[,timestamp], "
                         f"got {data!r} ({'a folder' if path.is_dir() else 'no such file'})")
    ratings, _, _ = read_ratings_csv(path)
    return ratings, path.stem, None


def run_recommend(args) -> int:
    from chainrule.cli.run_folder import claim_run_dir
    from chainrule.recommender import evaluate_split, split_by_time, split_random

    started = time.perf_counter()
    data, short, genres = load_ratings(args.data, args.root, download=not args.no_download, seed=args.seed)
    if len(data) < 10:
        raise ValueError(f"--data {args.data}: {len(data)} ratings are too few to train and test on (need >= 10)")
    if args.split == "time":
        train, test = split_by_time(data, args.test_fraction)
    else:
        train, test = split_random(data, args.test_fraction, seed=args.seed)
    from chainrule.recommender.train import default_weight_decay

    n_fit = len(train) - int(round(len(train) * args.val_fraction))
    weight_decay = args.weight_decay if args.weight_decay is not None else default_weight_decay(n_fit)
    config = {"command": "recommend", "task": "recommendation", "dataset": short, "data": args.data,
              "split": args.split, "test_fraction": args.test_fraction, "val_fraction": args.val_fraction,
              "dim": args.dim, "epochs": args.epochs, "optimizer": "adam", "lr": args.lr,
              "weight_decay": weight_decay, "batch_size": args.batch_size, "patience": args.patience,
              "k": args.k, "seed": args.seed, "n_users": data.n_users, "n_items": data.n_items, "n_ratings": len(data)}
    name = args.name or f"recommend-{short}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = claim_run_dir(args.out, name, config, numbered=args.name is None)
    args._run_dir = run_dir
    if not args.quiet:
        print(f"{short}: {len(data):,} ratings by {data.n_users:,} users of {data.n_items:,} items; training on "
              f"{len(train):,}, testing on {len(test):,} ({args.split} split) -> {run_dir}", file=sys.stderr)
    result = evaluate_split(train, test, dim=args.dim, val_fraction=args.val_fraction, k=args.k, seed=args.seed,
                            epochs=args.epochs, lr=args.lr, weight_decay=weight_decay,
                            batch_size=args.batch_size, patience=args.patience or None,
                            verbose=0 if args.quiet else 2)
    result["total_seconds"] = time.perf_counter() - started
    write_run(run_dir, config, data, train, result, users=args.users, k=args.k, groups=genres)
    m = result["metrics"]
    print(f"test RMSE {m['matrix factorization']['rmse']:.4f} (bias baseline {m['bias baseline']['rmse']:.4f}, "
          f"global mean {m['global mean']['rmse']:.4f}) after {result['epochs']} epochs\nwrote {run_dir}/ in "
          f"{result['total_seconds']:.0f} s")
    return 0


def write_run(run_dir: Path, config: dict, data, train, result: dict, users: int, k: int, groups=None) -> None:
    from chainrule import io as cio
    from chainrule.io.atomic import atomic_write

    model, logs = result["model"], result["history"]
    cio.save_state_dict(model.state_dict(), run_dir / "model.safetensors",
                        metadata={"config": json.dumps(config), "format": "chainrule-matrix-factorization"})
    keys = [key for key in ("rmse", "val_rmse", "loss", "val_loss", "time", "cpu_time") if key in logs]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for e in range(result["epochs"]):
        writer.writerow([e + 1, *(f"{logs[key][e]:.6g}" for key in keys)])
    with atomic_write(run_dir / "metrics.csv", "w") as f:
        f.write(text.getvalue())
    m = result["metrics"]
    results = {"test": m["matrix factorization"],
               "baselines": {n: v for n, v in m.items() if n != "matrix factorization"},
               "epochs": {"run": result["epochs"], "best": result["best_epoch"], "planned": config["epochs"]},
               "time": {"total_seconds": round(result["total_seconds"], 2),
                        "seconds_per_epoch": round(float(np.mean(logs["time"])), 4),
                        "cpu_seconds_per_epoch": round(float(np.mean(logs["cpu_time"])), 4)}}
    with atomic_write(run_dir / "results.json", "w") as f:
        f.write(json.dumps(results, indent=2) + "\n")
    counts = np.bincount(train.items, minlength=train.n_items)
    plots, notes = [], []
    try:
        from chainrule.viz.recommender import plot_item_map, plot_rating_curves

        plot_rating_curves(logs, {n: v["rmse"] for n, v in m.items()},
                           run_dir / "curves.png", title=f"{config['name']}: RMSE per epoch")
        plots.append(("RMSE per epoch", "curves.png"))
        plot_item_map(model.item_embeddings(), data.titles, counts, run_dir / "map.png",
                      min_count=min(20, int(np.percentile(counts, 75))), groups=groups)
        plots.append(("Item embeddings in 2-D (PCA)", "map.png"))
    except ImportError as e:
        notes.append(f"plots skipped: {e}")
    report = render_report(config, data, train, result, plots, users, k)
    with atomic_write(run_dir / "report.md", "w") as f:
        f.write(report)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _title(titles, item) -> str:
    return str(titles[item]).replace("|", "/") if titles is not None else f"item {item}"


def render_report(config, data, train, result, plots, users: int, k: int) -> str:
    model, m, logs = result["model"], result["metrics"], result["history"]
    titles = data.titles
    lines = [f"# {config['name']}", "",
             f"Matrix factorisation (dim {config['dim']}, Adam lr {config['lr']:g}, weight decay "
             f"{config['weight_decay']:g}, batch {config['batch_size']}) on **{config['dataset']}**: "
             f"{config['n_ratings']:,} ratings by {config['n_users']:,} users of {config['n_items']:,} items, "
             f"{config['split']} split, {config['test_fraction']:.0%} held out for testing. Trained "
             f"{result['epochs']} epochs (best validation RMSE at epoch {result['best_epoch']}), "
             f"{np.mean(logs['time']):.2f} s per epoch.", "", "## Test ratings", "",
             "| model | RMSE | MAE | " + " | ".join(f"{x}@{k}" for x in ("precision", "recall", "ndcg")) + " |",
             "|---|---|---|---|---|---|"]
    for name, v in m.items():
        rank = " | ".join(f"{v[f'{x}@{k}']:.4f}" if f"{x}@{k}" in v else "-" for x in ("precision", "recall", "ndcg"))
        lines.append(f"| {name} | {v['rmse']:.4f} | {v['mae']:.4f} | {rank} |")
    lines += ["", "Ranking: each test user's unseen items ranked, relevant = a test rating of at least 4; "
              "items the user rated in training are left out.", ""]
    for caption, file in plots:
        lines += [f"## {caption}", "", f"![{caption}]({file})", ""]
    counts = np.bincount(train.users, minlength=train.n_users)
    rng = np.random.default_rng(config["seed"])
    active = np.flatnonzero(counts >= 5)
    sample = sorted(rng.choice(active, size=min(users, len(active)), replace=False).tolist()) if len(active) else []
    if sample:
        lines += ["## Sample recommendations", "",
                  "| user | rated highest (training) | recommended (predicted stars) |", "|---|---|---|"]
        for u in sample:
            seen = train.items[train.users == u]
            stars = train.ratings[train.users == u]
            liked = seen[np.argsort(-stars, kind="stable")[:3]]
            n_rec = min(k, int(model.known_items.sum()) - len(set(seen.tolist())))
            rec = ""
            if n_rec > 0:
                items, scores = model.recommend(u, k=min(5, n_rec))
                rec = "<br>".join(f"{_title(titles, i)} ({s:.1f})" for i, s in zip(items, scores))
            lines.append(f"| {u} | " + "<br>".join(f"{_title(titles, i)} ({s:g})" for i, s in
                                                    zip(liked, stars[np.argsort(-stars, kind='stable')[:3]]))
                         + f" | {rec} |")
        lines.append("")
    item_counts = np.bincount(train.items, minlength=train.n_items)
    popular = np.argsort(-item_counts, kind="stable")[:5]
    n_similar = min(5, int(model.known_items.sum()) - 1)
    if n_similar > 0:
        lines += ["## Similar items (cosine similarity of the item embeddings)", "",
                  "| item | most similar |", "|---|---|"]
        for i in popular:
            items, sims = model.similar_items(int(i), k=n_similar)
            lines.append(f"| {_title(titles, i)} | " + "<br>".join(f"{_title(titles, j)} ({s:.2f})"
                                                                     for j, s in zip(items, sims)) + " |")
        lines.append("")
    return "\n".join(lines)
