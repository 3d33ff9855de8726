"""A look inside every run's network: ``inside.png`` and a diagnosis line in report.md.

One fixed batch of 256 training samples is inspected every ``~epochs / 10`` epochs (one forward and
backward, no plot until the end): activation, weight and gradient histograms per layer, dead ReLUs and
the first/last gradient-norm ratio.
"""

from __future__ import annotations

from chainrule.cli.runs import build_loss, preprocessing


def inside_callbacks(config: dict, data: dict) -> list:
    """An ``InsideRecorder`` for the run (kept in ``data["inside"]``)."""
    from chainrule.train.callbacks import InsideRecorder

    X, y = data["train"]._arrays[:2]
    every = max(1, config["epochs"] // 10)
    data["inside"] = InsideRecorder(X[:256], y[:256], build_loss(config), every=every,
                                    transform=preprocessing(config))
    return [data["inside"]]


def write_inside(run_dir, data: dict, result: dict, plots: list) -> None:
    """Write inside.png and put the recorder's one-line diagnosis in ``result["inside"]`` for the report."""
    recorder = data.get("inside")
    if recorder is None or not recorder.snapshots:
        return
    from chainrule.viz.inside import plot_inside

    last = recorder.snapshots[-1]
    result["inside"] = f"(epoch {last.epoch}) {last.diagnosis()}"
    plot_inside(recorder.snapshots, run_dir / "inside.png")
    plots.append(("Inside the network", "inside.png"))
