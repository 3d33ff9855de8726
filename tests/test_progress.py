"""chainrule.utils.progress: the one bar of training and downloads (rate, ETA, Jupyter detection),
and viz figures that Jupyter shows without pyplot."""

import io
import sys
import types

import pytest

from chainrule.utils import progress
from chainrule.utils.progress import Bar, format_duration, in_notebook, is_live


def test_bar_shows_count_percent_eta_and_rate(monkeypatch):
    clock = iter([0.0, 2.0, 4.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    bar = Bar(total=100, prefix="Epoch 1/3", file=out, width=10)
    bar.update(25, "loss: 0.5")  # 25 steps in 2 s: 12.5 steps/s, 75 left: 6 s
    assert out.getvalue() == "\rEpoch 1/3 25/100 [==>.......]  25% - ETA 0:06 - 12.5 steps/s - loss: 0.5"
    bar.update(100)  # 100 steps in 4 s: no ETA at the end
    assert out.getvalue().split("\r")[-1] == "Epoch 1/3 100/100 [==========] 100% - 25.0 steps/s".ljust(72)
    bar.finish("done")
    assert out.getvalue().split("\r")[-1].rstrip() == "done" and out.getvalue().endswith("\n")


def test_bar_in_megabytes_without_total():
    bar = Bar(None, "file.gz", unit="MB", scale=1e6, file=io.StringIO())
    bar.done = 2_500_000
    assert bar.text().startswith("file.gz 2.5")


def test_format_duration():
    assert [format_duration(s) for s in (7, 725, 3723)] == ["0:07", "12:05", "1:02:03"]


def test_jupyter_kernel_is_live_though_not_a_tty(monkeypatch):
    assert not in_notebook()
    assert not is_live(io.StringIO())
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert in_notebook() and is_live(sys.stderr)
    assert not is_live(io.StringIO())  # a file of the user's, not the notebook's stream
    shell.config = {}  # a terminal IPython: not a kernel
    assert not in_notebook()


def test_training_bar_is_live_in_a_notebook(monkeypatch):
    import numpy as np

    from chainrule import nn, optim
    from chainrule.train import fit

    monkeypatch.setattr("chainrule.train.callbacks.progress.is_live", lambda f: True)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    model = nn.Linear(2, 2)
    X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, (X[:, 0] > 0).astype(np.int64)),
        epochs=1, batch_size=8)
    assert "\r" in err.getvalue() and "Epoch 1/1 - " in err.getvalue()


def test_viz_figures_have_a_png_repr_for_jupyter():
    pytest.importorskip("matplotlib")
    from chainrule.viz import plot_training_curves

    fig = plot_training_curves({"loss": [1.0, 0.5, 0.4]})
    assert fig._repr_png_().startswith(b"\x89PNG")
