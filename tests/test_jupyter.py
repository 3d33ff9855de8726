"""chainrule in Jupyter: the HTML views of tensors, models, summaries, histories and evaluations, the
progress bar as a widget (text without ipywidgets, silent when redirected), and a run from the command
line explored in a real kernel."""

import importlib.machinery
import io
import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import History, evaluate, fit
from chainrule.train.callbacks import ProgressBar
from chainrule.utils import progress
from chainrule.utils.progress import Bar

ROOT = Path(__file__).resolve().parent.parent


# -- HTML views ------------------------------------------------------------------------------------

def test_tensor_html_shows_shape_dtype_range_and_the_escaped_values():
    x = cr.tensor([[1.0, -2.0], [3.5, 0.25]], requires_grad=True)
    html = x._repr_html_()
    assert "shape (2, 2)" in html and "float32" in html and "requires_grad" in html
    assert "min -2 · mean 0.6875 · max 3.5" in html
    assert "<pre" in html and "tensor([[ 1.0000, -2.0000]," in html  # the repr, whole
    y = x * 2
    assert "grad_fn=MulBackward" in y._repr_html_()
    ints = cr.arange(3)._repr_html_()
    assert "int64" in ints and "min" not in ints  # no statistics for integers
    odd = cr.tensor([1.0, float("nan"), float("inf")])._repr_html_()
    assert "2 not finite" in odd and "min 1 · mean 1 · max 1" in odd


def test_html_escapes_what_it_shows():
    from chainrule.utils.html import table

    html = table(["<a>"], [["x < y & z"]], caption="<b>")
    assert "&lt;a&gt;" in html and "x &lt; y &amp; z" in html and "<b>" not in html


def _cells(html):
    import re

    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>.*?</td>", html)]


def test_module_html_lists_the_layers_with_their_parameters_and_the_totals():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    model[3].requires_grad_(False)
    html = model._repr_html_()
    cells = _cells(html)
    assert cells[:4] == ["0", "Flatten", "start_dim=1, end_dim=-1", "0"]
    assert cells[4:8] == ["1", "Linear", "in_features=784, out_features=256, bias=True", "200,960"]
    assert "Total params: 203,530" in html and "Trainable params: 200,960" in html
    assert "Non-trainable params: 2,570" in html
    assert "<details>" in html and "(1): Linear(in_features=784" in html  # the repr, folded

    class Net(nn.Module):  # containers without parameters of their own get no row
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
            self.head = nn.Linear(3, 1)

        def forward(self, x):
            return self.head(self.body(x))

    names = _cells(Net()._repr_html_())[::4]
    assert names == ["body.0", "body.1", "head"]


def test_summary_html_has_the_output_shapes():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    html = cr.summary(model, (1, 4), verbose=False)._repr_html_()
    assert _cells(html)[:3] == ["0 (Linear)", "[1, 8]", "40"] and "Total params: 58" in html


def _history(n):
    history = History()
    history.on_train_begin()
    for epoch in range(n):
        history.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.5 / (epoch + 1), "lr": 1e-3})
    return history


def test_history_is_a_table_of_epochs_counted_from_one():
    html = _history(3)._repr_html_()
    assert "History: 3 epochs" in html
    assert _cells(html) == ["1", "1.0000", "1.5000", "0.001", "2", "0.5000", "0.7500", "0.001",
                            "3", "0.3333", "0.5000", "0.001"]
    long = _cells(_history(100)._repr_html_())
    assert long.count("…") == 4 and long[0] == "1" and long[-4] == "100" and len(long) == 31 * 4


def test_history_plot_and_viz_figures_show_inline():
    pytest.importorskip("matplotlib")
    X = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    model = nn.Linear(2, 2)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  (X, (X[:, 0] > 0).astype(np.int64)), epochs=3, verbose=0)
    figure = history.plot()
    assert figure._repr_png_().startswith(b"\x89PNG")
    assert "loss" in [t.get_text() for ax in figure.axes for t in [ax.yaxis.label]]


def test_evaluation_renders_as_tables_with_class_names():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    y = np.array([0, 1, 1, 1])
    model = nn.Linear(2, 2, bias=False)
    with cr.no_grad():
        model.weight.copy_(3 * cr.eye(2))  # logits, not probabilities
    result = evaluate(model, (X, y), loss_fn=nn.CrossEntropyLoss())
    html = result._repr_html_()
    cells = _cells(html)
    assert cells[:3] == ["accuracy", "0.7500", "3/4"] and cells[3] == "95% CI" and cells[6] == "loss"
    assert cells[9:] == ["0", "1.0000", "1/1", "1", "0.6667", "2/3"]
    named = _cells(result.to_html(["cat", "dog"]))
    assert named[9] == "cat" and named[12] == "dog"
    with pytest.raises(ValueError, match="got 3 class_names for 2 classes"):
        result.to_html(["a", "b", "c"])


# -- the progress bar --------------------------------------------------------------------------------

class _FakeWidgets(types.ModuleType):
    """Just enough of ipywidgets to record what the bar does with it."""

    def __init__(self):
        super().__init__("ipywidgets")
        self.__spec__ = importlib.machinery.ModuleSpec("ipywidgets", None)  # what find_spec reads
        self.made = []
        owner = self

        class Widget:
            def __init__(self, *children, **kwargs):
                self.__dict__.update(kwargs, value=kwargs.get("value", 0), closed=False, children=children)
                owner.made.append(self)

            def close(self):
                self.closed = True

        self.IntProgress = type("IntProgress", (Widget,), {})
        self.HTML = type("HTML", (Widget,), {})
        self.HBox = type("HBox", (Widget,), {})


@pytest.fixture
def notebook(monkeypatch):
    """A pretend Jupyter kernel with (fake) ipywidgets; returns the widgets module and the display log."""
    widgets = _FakeWidgets()
    shown = []

    class Handle:
        def update(self, obj, raw=False):
            shown.append(("update", obj, raw))

    display_module = types.ModuleType("IPython.display")
    display_module.display = lambda obj, display_id=None, raw=False: (
        shown.append(("display", obj, True) if raw else ("display", obj)) or Handle())
    monkeypatch.setitem(sys.modules, "ipywidgets", widgets)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "_WIDGETS", None)
    return widgets, shown


def test_bar_is_a_widget_in_a_notebook_and_leaves_only_the_final_line(notebook, monkeypatch):
    widgets, shown = notebook
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = Bar(total=10, prefix="Epoch 1/2")
    assert bar.widget and not widgets.made  # nothing is shown before the first draw
    bar.update(4, "loss: 0.5", force=True)
    box, progress_bar, label = widgets.made[2], widgets.made[0], widgets.made[1]
    assert shown[0] == ("display", box) and progress_bar.max == 10 and progress_bar.value == 4
    assert "Epoch 1/2 4/10 40%" in label.value and "loss: 0.5" in label.value and "[" not in label.value
    bar.update(10, force=True)
    assert progress_bar.value == 10
    bar.finish("Epoch 1/2 - 1.0s - loss: 0.4")
    assert box.closed and shown[-1] == ("update", {"text/plain": "Epoch 1/2 - 1.0s - loss: 0.4"}, True)
    assert err.getvalue() == ""  # no "\r" lines piled up in the notebook's stderr


def test_an_epoch_too_quick_for_a_widget_still_leaves_its_line_as_display_output(notebook, monkeypatch):
    widgets, shown = notebook
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = Bar(total=10, prefix="Epoch 2/2")
    bar.update(10)  # within the first interval: nothing drawn, no widget made
    bar.finish("Epoch 2/2 - 0.1s - loss: 0.3")
    assert not widgets.made and err.getvalue() == ""  # not a stderr stream next to the other epochs' lines
    assert shown == [("display", {"text/plain": "Epoch 2/2 - 0.1s - loss: 0.3"}, True)]


def test_bar_without_ipywidgets_is_text_and_a_file_never_gets_a_widget(notebook, monkeypatch):
    widgets, _ = notebook
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if not installed
    assert not progress.widgets_available() and not Bar(total=3).widget
    monkeypatch.setitem(sys.modules, "ipywidgets", widgets)
    monkeypatch.setattr(progress, "_WIDGETS", None)
    assert progress.widgets_available() and Bar(total=3).widget
    assert not Bar(total=3, file=io.StringIO()).widget  # the user's own file: always text
    monkeypatch.setattr(progress, "in_notebook", lambda: False)
    assert not Bar(total=3).widget  # a terminal


def test_redirected_training_output_has_no_bar_only_one_line_per_epoch():
    out = io.StringIO()
    X = np.random.default_rng(0).standard_normal((256, 2)).astype(np.float32)
    model = nn.Linear(2, 2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, (X[:, 0] > 0).astype(np.int64)),
        epochs=3, batch_size=8, callbacks=[ProgressBar(file=out)], verbose=0)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 3 and lines[2].startswith("Epoch 3/3 - ")


# -- in a real kernel ------------------------------------------------------------------------------

def _run_cells(cells, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env
    try:
        nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    return [c.outputs for c in nb.cells]


@pytest.mark.slow
def test_in_a_kernel_fit_shows_widgets_that_become_lines_and_objects_render_as_html(tmp_path):
    pytest.importorskip("ipywidgets")
    outputs = _run_cells([
        "import numpy as np, chainrule as torch\nfrom chainrule import nn, optim\nfrom chainrule.train import fit\n"
        "X = np.random.default_rng(0).standard_normal((4000, 2)).astype(np.float32)\n"
        "model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), "
        "(X, (X[:, 0] > 0).astype(np.int64)), epochs=2, batch_size=4)",
        "history", "model", "torch.ones(2, 3)", "history.plot()",
    ], tmp_path)
    fit_out = outputs[0]
    assert [o.output_type for o in fit_out] == ["display_data", "display_data"]
    assert [o.data["text/plain"][:12] for o in fit_out] == ["Epoch 1/2 - ", "Epoch 2/2 - "]
    assert all("application/vnd.jupyter.widget-view+json" not in o.data for o in fit_out)  # no dead widgets saved
    assert "History: 2 epochs" in outputs[1][0].data["text/html"]
    assert "Total params: 42" in outputs[2][0].data["text/html"]
    assert "shape (2, 3)" in outputs[3][0].data["text/html"]
    assert outputs[4][0].data["image/png"]


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason=f"{FASHION} is missing")
def test_a_command_line_run_is_explored_and_used_from_a_notebook(tmp_path):
    from chainrule.cli import main

    assert main(["train", "--dataset", "fashion-mnist", "--subset", "2000", "--epochs", "2", "--hidden", "32",
                 "--seed", "0", "--out", str(tmp_path), "--name", "run", "--quiet"]) == 0
    run_dir = tmp_path / "run"
    outputs = _run_cells([
        f"import chainrule\nrun = chainrule.load_run({str(run_dir)!r})\n"
        "print(type(run.model).__name__, run.config['dataset'], run.config['epochs'], len(run.history['loss']))\n"
        "print(run.results['test']['accuracy'], run.classes[:2])",
        "from chainrule.vision.datasets import FashionMNIST\nimage = FashionMNIST(train=False).data[:1].numpy()\n"
        "probs = run.predict(image)\n"
        "print(probs.shape, round(float(probs.sum()), 4), run.classes[int(probs.argmax())])",
        "run.model",
    ], tmp_path)
    first = outputs[0][0].text.split("\n")
    results = json.loads((run_dir / "results.json").read_text())
    assert first[0] == "Sequential fashion-mnist 2 2"
    assert first[1] == f"{results['test']['accuracy']} ['T-shirt/top', 'Trouser']"
    assert outputs[1][0].text.startswith("(1, 10) 1.0 ")
    assert outputs[1][0].text[len("(1, 10) 1.0 "):].strip() in cr.vision.datasets.FashionMNIST.classes
    assert "Total params:" in outputs[2][0].data["text/html"]
