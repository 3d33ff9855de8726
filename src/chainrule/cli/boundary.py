"""The decision boundary of a toy classification run: ``boundary.png`` and ``boundary.gif`` in its folder."""

from __future__ import annotations

from chainrule.cli.runs import TOY_CLASSIFICATION, preprocessing


def boundary_callbacks(config: dict, data: dict) -> list:
    """A ``BoundaryRecorder`` for a 2-D toy classification run (kept in ``data["boundary"]``), else nothing."""
    if config["dataset"] not in TOY_CLASSIFICATION or config.get("in_features") != 2:
        return []
    try:
        import matplotlib  # noqa: F401 - the recorder is only useful when the plots can be drawn
    except ImportError:
        return []
    from chainrule.viz.boundary import BoundaryRecorder

    X = data["train"]._arrays[0]
    every = max(1, config["epochs"] // 40)  # at most ~40 frames, whatever the number of epochs
    data["boundary"] = BoundaryRecorder(X, transform=preprocessing(config), resolution=60, every=every)
    return [data["boundary"]]


def write_boundary(run_dir, config: dict, data: dict, model, plots: list, notes: list) -> None:
    """Write boundary.png (final model, train and test points) and boundary.gif (the recorded epochs)."""
    recorder = data.get("boundary")
    if recorder is None:
        return
    from chainrule.viz.boundary import animate_boundary, plot_decision_boundary

    X, y = data["train"]._arrays[:2]
    plot_decision_boundary(model, X, y, data["X_test"], data["y_test"], transform=preprocessing(config),
                           path=run_dir / "boundary.png", title=f"{config['name']} ({config['dataset']})")
    plots.append(("Decision boundary", "boundary.png"))
    try:
        animate_boundary(recorder, X, y, run_dir / "boundary.gif", dpi=70)
        plots.append(("Decision boundary during training", "boundary.gif"))
    except ImportError as e:
        notes.append(f"boundary.gif skipped: {e}")
