"""``chainrule figures OUTDIR``: regenerate every picture of ``chainrule.viz`` (the gallery in docs/gallery.md).

Each recipe trains or computes what its picture shows with a fixed seed and writes PNGs (and a GIF
or text file where the picture has one) into OUTDIR. ``--only`` picks recipes; ``--quick`` shrinks
every run (for tests and a first look).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _toy(quick):
    from chainrule.data.datasets.toy import spiral

    return spiral(200 if quick else 400, noise=0.1, seed=0)


def _trained_spiral(quick, callbacks=(), hidden=(32, 32), activation="tanh", epochs=None):
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.models import mlp
    from chainrule.train import fit

    X, y = _toy(quick)
    cr.manual_seed(0)
    model = mlp(2, hidden, 2, activation)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), (X / 3, y),
        epochs=epochs or (10 if quick else 150), batch_size=32, seed=0, verbose=0, callbacks=list(callbacks))
    return model, X, y


def boundary(out, quick, save):
    from chainrule.data.datasets.toy import spiral
    from chainrule.viz.boundary import BoundaryRecorder, animate_boundary, plot_decision_boundary

    X, y = _toy(quick)
    rec = BoundaryRecorder(X, transform=lambda a: a / 3, resolution=50, every=1 if quick else 5)
    model, _, _ = _trained_spiral(quick, [rec])
    Xt, yt = spiral(200, noise=0.1, seed=1)
    fig, _ = plot_decision_boundary(model, X, y, Xt, yt, transform=lambda a: a / 3, resolution=100,
                                    title="MLP 2-32-32-2 (tanh) on the spiral")
    save(fig, "boundary.png")
    animate_boundary(rec, X, y, out / "boundary.gif", max_frames=12 if quick else 30, dpi=70)
    return ["boundary.png", "boundary.gif"]


def landscape(out, quick, save):
    from chainrule import nn
    from chainrule.viz.landscape import WeightTrajectory, plot_loss_landscape

    rec = WeightTrajectory(every=1 if quick else 10)
    model, X, y = _trained_spiral(quick, [rec])
    fig, _ = plot_loss_landscape(model, nn.CrossEntropyLoss(), X / 3, y, trajectory=rec.weights,
                                 resolution=7 if quick else 25)
    save(fig, "landscape.png")
    return ["landscape.png"]


def inside(out, quick, save):
    from chainrule import nn
    from chainrule.train.callbacks import InsideRecorder
    from chainrule.viz.inside import plot_inside

    X, y = _toy(quick)
    rec = InsideRecorder(X[:256] / 3, y[:256], nn.CrossEntropyLoss(), every=1 if quick else 10)
    _trained_spiral(quick, [rec], hidden=(32, 32, 32), activation="relu", epochs=4 if quick else 50)
    fig, _ = plot_inside(rec.snapshots, title="MLP 2-32-32-32-2 (ReLU) on the spiral")
    save(fig, "inside.png")
    return ["inside.png"]


def graph(out, quick, save):
    import chainrule as cr
    from chainrule.autograd import explain
    from chainrule.viz.graph import draw_graph

    x = cr.tensor([1.0, -2.0], requires_grad=True)
    w = cr.tensor([0.5, -0.25], requires_grad=True)
    b = cr.tensor(0.1, requires_grad=True)
    names = {x: "x", w: "w", b: "b"}
    loss = ((x * w).sum() + b).tanh()
    (out / "explain.txt").write_text(explain(loss, names=names, file=None) + "\n")
    fig, _ = draw_graph(loss, names=names, engine="matplotlib")
    save(fig, "graph.png")
    files = ["graph.png", "explain.txt"]
    import shutil

    if shutil.which("dot"):
        draw_graph(loss, out / "graph_dot.png", names=names, engine="dot")
        files.append("graph_dot.png")
    return files


def race(out, quick, save):
    from chainrule.viz.race import FUNCTIONS, animate_race, plot_race
    from chainrule.viz.race import race as run_race

    files = []
    for name in FUNCTIONS:
        result = run_race(name, steps=30 if quick else (500 if name == "rosenbrock" else 200))
        fig, _ = plot_race(result)
        save(fig, f"race_{name}.png")
        files.append(f"race_{name}.png")
        if name == "beale":
            animate_race(result, out / "race_beale.gif", frames=8 if quick else 30, dpi=70)
            files.append("race_beale.gif")
    return files


def lr_find(out, quick, save):
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.data.datasets.toy import circle
    from chainrule.models import mlp
    from chainrule.train.lr_find import lr_find as run_lr_find

    X, y = circle(500, noise=0.05, seed=0)
    cr.manual_seed(0)
    model = mlp(2, (16, 16), 2, "relu")
    result = run_lr_find(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                         (X / 3, y), start_lr=1e-5, num_iter=40 if quick else 200)
    fig, _ = result.plot()
    save(fig, "lr_find.png")
    return ["lr_find.png"]


def batch_size(out, quick, save):
    from chainrule import nn
    from chainrule.data.datasets.toy import moons
    from chainrule.models import mlp
    from chainrule.viz.batch_size import plot_batch_sizes

    X, y = moons(128 if quick else 512, noise=0.15, seed=0)
    fig, _ = plot_batch_sizes(lambda: mlp(2, (16,), 2, "tanh"), nn.CrossEntropyLoss(), X, y,
                              epochs=2 if quick else 15)
    save(fig, "batch_size.png")
    return ["batch_size.png"]


def lectures(out, quick, save):
    from chainrule.viz import lectures as lec

    fig, _ = lec.plot_curve_zoo(epochs=6 if quick else 30)
    save(fig, "curve_zoo.png")
    save(lec.plot_mae_vs_mse()[0], "mae_vs_mse.png")
    save(lec.plot_loss_vs_weight()[0], "loss_vs_weight.png")
    save(lec.plot_softmax()[0], "softmax.png")
    return ["curve_zoo.png", "mae_vs_mse.png", "loss_vs_weight.png", "softmax.png"]


RECIPES = {"boundary": boundary, "landscape": landscape, "inside": inside, "graph": graph, "race": race,
           "lr-find": lr_find, "batch-size": batch_size, "lectures": lectures}


def add_parser(commands) -> argparse.ArgumentParser:
    from chainrule.cli import _positive_int

    f = commands.add_parser("figures", help="regenerate every picture of chainrule.viz", description=(
        "Train and compute what each picture of chainrule.viz shows (fixed seeds) and write the PNGs (and GIFs) "
        f"into OUTDIR: {', '.join(RECIPES)}. Needs matplotlib (and Pillow for the GIFs)."))
    f.add_argument("outdir", metavar="OUTDIR")
    f.add_argument("--only", default=None, metavar="LIST", help=f"comma-separated subset of {', '.join(RECIPES)}")
    f.add_argument("--quick", action="store_true", help="tiny runs (a first look, tests)")
    f.add_argument("--dpi", type=_positive_int, default=80, help="resolution of the PNGs (default: %(default)s)")
    return f


def run_figures(args, parser) -> int:
    from chainrule.viz import save_figure

    names = list(RECIPES) if args.only is None else [n.strip() for n in args.only.split(",") if n.strip()]
    bad = [n for n in names if n not in RECIPES]
    if bad:
        parser.error(f"--only: unknown figure {bad[0]!r}; choose from {', '.join(RECIPES)}")
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)

    def save(fig, name):
        save_figure(fig, out / name, dpi=args.dpi)

    for name in names:
        started = time.perf_counter()
        files = RECIPES[name](out, args.quick, save)
        print(f"{name}: {', '.join(files)} ({time.perf_counter() - started:.1f} s)", flush=True)
    print(f"wrote {out}/")
    return 0
