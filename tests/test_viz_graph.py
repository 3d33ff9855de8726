"""The computation graph and autograd.explain: the gradients they show are backward()'s."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import explain
from chainrule.viz.graph import graph_data, to_dot


def _graph():
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    w = cr.tensor([[0.5], [3.0]], requires_grad=True)
    b = cr.tensor(0.1, requires_grad=True)
    return x, w, b, ((x * w).sum() + b * x.mean()).tanh()


def test_explain_gives_backwards_gradients_and_leaves_grad_alone():
    x, w, b, L = _graph()
    text = explain(L, names={x: "x", w: "w", b: "b"}, file=None)
    assert x.grad is None and w.grad is None
    assert "L = Tanh(t" in text and "dL/dx += dL/dt" in text
    L.backward()
    results = dict(line.split(" = ", 1) for line in text.split("result:\n")[1].splitlines())
    for name, t in (("x", x), ("w", w), ("b", b)):
        got = np.array(eval(results[f"dL/d{name}"]), dtype=np.float64).reshape(t.shape)
        assert np.allclose(got, t.grad.numpy(), rtol=1e-3), name


def test_graph_data_shapes_values_and_grads():
    x, w, b, L = _graph()
    data = graph_data(L, names={x: "x", w: "w", b: "b"})
    by_label = {t["label"]: t for t in data["tensors"].values()}
    assert by_label["w"]["shape"] == (2, 1) and by_label["w"]["leaf"] and by_label["L"]["grad"] == "1"
    assert [o["name"] for o in data["ops"]][-1] == "Tanh"
    L.backward()
    assert np.allclose(by_label["w"]["grad_array"], w.grad.numpy())
    assert np.allclose(by_label["x"]["grad_array"], x.grad.numpy())
    dot = to_dot(data)
    assert dot.startswith("digraph") and dot.count("->") == sum(len(o["inputs"]) + 1 for o in data["ops"])


def test_draw_graph_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.viz.graph import draw_graph

    x, w, b, L = _graph()
    fig, data = draw_graph(L, tmp_path / "g.png", engine="matplotlib")
    assert data["engine"] == "matplotlib" and fig is not None and (tmp_path / "g.png").stat().st_size > 1000


def test_no_graph_or_freed_graph_is_a_clear_error():
    with pytest.raises(ValueError, match="has no graph"):
        explain(cr.tensor(1.0), file=None)
    x, w, b, L = _graph()
    L.backward()
    with pytest.raises(ValueError, match="freed by backward"):
        explain(L, file=None)


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz's dot is not installed")
def test_draw_graph_with_dot(tmp_path):
    from chainrule.viz.graph import draw_graph

    x, w, b, L = _graph()
    fig, data = draw_graph(L, tmp_path / "g.png", engine="dot")
    assert fig is None and data["engine"] == "dot"
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_graph_bad_engine():
    from chainrule.viz.graph import draw_graph

    with pytest.raises(ValueError, match="draw_graph\\(engine\\)"):
        draw_graph(_graph()[3], engine="svg")
