"""Decision boundary and learning-rate finder: the data behind the pictures, and the CLI files."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import chainrule as cr  # noqa: E402
from chainrule import nn, optim  # noqa: E402
from chainrule.cli import main  # noqa: E402
from chainrule.data.datasets.toy import moons  # noqa: E402
from chainrule.models import mlp  # noqa: E402
from chainrule.train import fit  # noqa: E402
from chainrule.train.lr_find import lr_find, suggest  # noqa: E402
from chainrule.viz.boundary import BoundaryRecorder, animate_boundary, plot_decision_boundary  # noqa: E402
from chainrule.viz.lr_find import plot_lr_find  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    X, y = moons(120, noise=0.15, seed=0)
    cr.manual_seed(0)
    model = mlp(2, (8,), 2, "tanh")
    rec = BoundaryRecorder(X, resolution=12, every=2)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y), epochs=6, verbose=0,
        seed=0, callbacks=[rec])
    return model, X, y, rec


def test_boundary_classifies_training_points_as_the_model_does(trained, tmp_path):
    model, X, y, _ = trained
    shift = lambda a: a - 0.5  # noqa: E731 - a transform before the model, as a run's normalisation
    model_shifted = nn.Sequential(nn.Linear(2, 2), model)
    with cr.no_grad():
        model_shifted[0].weight.copy_(cr.eye(2))
        model_shifted[0].bias.fill_(0.5)
    fig, data = plot_decision_boundary(model_shifted, X, y, X[:10], y[:10], transform=shift, resolution=15,
                                       path=tmp_path / "b.png")
    with cr.no_grad():
        expected = model(cr.tensor(X)).numpy().argmax(1)
    assert np.array_equal(data["pred"], expected)
    assert np.array_equal(data["misclassified"], np.flatnonzero(expected != y))
    assert data["accuracy"] == pytest.approx((expected == y).mean())
    assert data["probs"].shape == (15, 15, 2) and np.allclose(data["probs"].sum(-1), 1)
    # the grid's probabilities are the model's at those points
    grid = np.stack([data["xx"].ravel(), data["yy"].ravel()], 1).astype(np.float32)
    with cr.no_grad():
        p = cr.softmax(model(cr.tensor(grid)), dim=1).numpy()
    assert np.allclose(data["probs"].reshape(-1, 2), p, atol=1e-5)
    assert (tmp_path / "b.png").stat().st_size > 1000
    assert model.training  # mode restored


def test_boundary_recorder_and_gif(trained, tmp_path):
    model, X, y, rec = trained
    assert [e for e, _ in rec.frames] == [0, 2, 4, 6]
    assert all(p.shape == (12, 12, 2) for _, p in rec.frames)
    pytest.importorskip("PIL")
    epochs = animate_boundary(rec, X, y, tmp_path / "b.gif", max_frames=3, dpi=40)
    assert epochs == [0, 4, 6]
    from PIL import Image

    with Image.open(tmp_path / "b.gif") as im:
        assert im.n_frames == 3


def test_boundary_rejects_3d_points(trained):
    with pytest.raises(ValueError, match=r"plot_decision_boundary: expected X of shape \(N, 2\)"):
        plot_decision_boundary(trained[0], np.zeros((4, 3)), np.zeros(4))


@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
def test_lr_find_leaves_weights_and_optimizer_bit_for_bit_unchanged(opt_name):
    X, y = moons(64, noise=0.1, seed=1)
    cr.manual_seed(1)
    model = mlp(2, (8,), 2, "relu", dropout=0.1)
    opt = (optim.Adam(model.parameters(), lr=1e-3) if opt_name == "adam"
           else optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=1, verbose=0, seed=0)  # some optimizer state
    model.eval()
    params = [(p._data.copy(), p.grad._data.copy() if p.grad is not None else None) for p in model.parameters()]
    state = {i: {k: np.array(v._data if hasattr(v, "_data") else v) for k, v in s.items()}
             for i, s in opt.state_dict()["state"].items()}
    groups = opt.state_dict()["param_groups"]
    rng = cr.get_rng_state()
    result = lr_find(model, nn.CrossEntropyLoss(), opt, (X, y), num_iter=30, batch_size=16, end_lr=100.0)
    assert 2 <= len(result.lrs) <= 30 and result.lrs[0] == pytest.approx(1e-7)
    assert np.all(np.diff(np.log(result.lrs)) > 0)
    for (data, grad), p in zip(params, model.parameters()):
        assert np.array_equal(data, p._data)
        assert (grad is None and p.grad is None) or np.array_equal(grad, p.grad._data)
    after = opt.state_dict()
    assert after["param_groups"] == groups
    assert set(after["state"]) == set(state)
    for i, s in state.items():
        for k, v in s.items():
            assert np.array_equal(v, np.array(getattr(after["state"][i][k], "_data", after["state"][i][k])))
    assert not model.training
    assert str(cr.get_rng_state()) == str(rng)
    fig, data = plot_lr_find(result)
    assert np.array_equal(data["lrs"], result.lrs)


def test_lr_suggestions_on_a_known_curve():
    lrs = np.logspace(-5, 1, 61)
    # falls fastest at lr = 1e-2 (a logistic in log lr), lowest at 1e-1, then rises
    x = np.log10(lrs)
    curve = 1 - 1 / (1 + np.exp(-4 * (x + 2))) + np.where(x > -1, (x + 1) ** 2, 0)
    steepest, min10 = suggest(lrs, curve)
    assert steepest == pytest.approx(1e-2, rel=0.3)
    assert min10 == pytest.approx(lrs[np.argmin(curve)] / 10)


def test_cli_lr_find_and_toy_run_boundary(tmp_path, capsys):
    plot = tmp_path / "lr.png"
    assert main(["lr-find", "--dataset", "moons", "--hidden", "8", "--subset", "64", "--num-iter", "20",
                 "--seed", "0", "--plot", str(plot)]) == 0
    assert "suggested lr:" in capsys.readouterr().out and plot.stat().st_size > 1000
    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "3", "--subset", "64",
                 "--seed", "0", "--out", str(tmp_path), "--name", "m", "--quiet"]) == 0
    run = tmp_path / "m"
    assert (run / "boundary.png").stat().st_size > 1000
    if __import__("importlib").util.find_spec("PIL"):
        assert (run / "boundary.gif").read_bytes()[:4] == b"GIF8"
    report = (run / "report.md").read_text()
    assert "boundary.png" in report and "**Inside the network:** (epoch 3) dead ReLUs:" in report
    assert (run / "inside.png").stat().st_size > 1000


def test_cli_figures_quick_subset(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["figures", str(out), "--only", "graph,lectures", "--quick", "--dpi", "40"]) == 0
    for name in ("graph.png", "explain.txt", "curve_zoo.png", "mae_vs_mse.png", "loss_vs_weight.png", "softmax.png"):
        assert (out / name).stat().st_size > 200, name
    assert "dL/dw" in (out / "explain.txt").read_text()
    with pytest.raises(SystemExit):
        main(["figures", str(out), "--only", "nope"])
