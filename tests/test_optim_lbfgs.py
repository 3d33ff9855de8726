"""optim.LBFGS against torch.optim.LBFGS in float64, step by step (same model, data and settings)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle import assert_close

import chainrule as cr
from chainrule import nn, optim


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Thousands of tiny torch ops: on a busy 2-core machine a second thread only waits for a core
    (40 times slower); the values do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def twin_mlp(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    c = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    c.load_state_dict({k: cr.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return c, t


def closures(c, t, c_opt, t_opt, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 3))
    y = np.sin(x.sum(axis=1, keepdims=True))
    cx, cy, tx, ty = cr.tensor(x), cr.tensor(y), torch.tensor(x), torch.tensor(y)

    def c_closure():
        c_opt.zero_grad()
        loss = ((c(cx) - cy) ** 2).mean()
        loss.backward()
        return loss

    def t_closure():
        t_opt.zero_grad()
        loss = ((t(tx) - ty) ** 2).mean()
        loss.backward()
        return loss

    return c_closure, t_closure


# A few iterations per step: L-BFGS amplifies float64 rounding differences between the two libraries'
# GEMMs from ~1e-15 to ~1e-8 over some 80 iterations (while both take the very same path: the
# evaluation counts stay equal), so the tight comparison runs over ~20 iterations.
@pytest.mark.parametrize("kwargs", [
    {"max_iter": 5},
    {"line_search_fn": "strong_wolfe", "max_iter": 4},
    {"lr": 0.5, "max_iter": 5, "history_size": 3},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 6, "max_eval": 7},
])
def test_matches_torch_step_by_step(kwargs):
    c, t = twin_mlp()
    c_opt, t_opt = optim.LBFGS(c.parameters(), **kwargs), torch.optim.LBFGS(t.parameters(), **kwargs)
    c_closure, t_closure = closures(c, t, c_opt, t_opt)
    for step in range(4):
        c_loss, t_loss = c_opt.step(c_closure), t_opt.step(t_closure)
        assert_close(c_loss, t_loss, rtol=1e-9, atol=1e-12, what=f"loss of step {step}")
        for (name, p), tp in zip(c.named_parameters(), t.parameters()):
            assert_close(p.detach(), tp, rtol=1e-8, atol=1e-10, what=f"{name} after step {step}")
        c_state, t_state = c_opt.state[c_opt._params[0]], t_opt.state[t_opt._params[0]]
        assert c_state["func_evals"] == t_state["func_evals"]
        assert c_state["n_iter"] == t_state["n_iter"]
    assert c_closure().item() < 0.1 * closures(*twin_mlp(), c_opt, t_opt)[0]().item()  # it did optimise


def rosenbrock(lib, xy):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] * xy[0]) ** 2


@pytest.mark.parametrize("line_search_fn, lr", [(None, 0.05), ("strong_wolfe", 1), ("strong_wolfe", 1e-3)])
def test_rosenbrock_matches_torch(line_search_fn, lr):
    # a curved valley: the line search zooms (lr=1) and first grows the step (lr=1e-3)
    start = np.array([-1.5, 2.0])
    xy = cr.tensor(start, requires_grad=True)
    txy = torch.tensor(start, requires_grad=True)
    opt = optim.LBFGS([xy], lr=lr, max_iter=8, line_search_fn=line_search_fn)
    t_opt = torch.optim.LBFGS([txy], lr=lr, max_iter=8, line_search_fn=line_search_fn)

    def make(o, v, lib):
        def closure():
            o.zero_grad()
            loss = rosenbrock(lib, v)
            loss.backward()
            return loss
        return closure

    for step in range(5):
        opt.step(make(opt, xy, cr))
        t_opt.step(make(t_opt, txy, torch))
        # the same path (equal evaluation counts); rounding differences of 1e-15 grow on this
        # ill-conditioned valley to ~1e-8 after 40 iterations
        assert_close(xy.detach(), txy, rtol=1e-7, atol=1e-12, what=f"after step {step}")
        assert opt.state[xy]["func_evals"] == t_opt.state[txy]["func_evals"]


def test_rosenbrock_with_strong_wolfe_reaches_the_minimum():
    xy = cr.tensor([-1.5, 2.0], dtype=cr.float64, requires_grad=True)
    opt = optim.LBFGS([xy], lr=1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        x, y = xy[0], xy[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(xy.detach().numpy(), [1.0, 1.0], atol=1e-5)


def test_arguments_and_state_dict():
    w = cr.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [cr.zeros(2, requires_grad=True)]}])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.LBFGS([w], lr=-1)
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([w], line_search_fn="armijo")
    opt = optim.LBFGS([w], max_iter=7)
    assert opt.param_groups[0]["max_eval"] == 8  # max_iter * 5 // 4, as torch

    target = cr.tensor([1.0, -2.0, 3.0])

    def closure():
        opt.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    saved = opt.state_dict()
    other = optim.LBFGS([cr.tensor(w.detach().numpy().copy(), requires_grad=True)], max_iter=7)
    other.load_state_dict(saved)
    s, o = opt.state[w], other.state[other._params[0]]
    assert o["n_iter"] == s["n_iter"] and len(o["old_dirs"]) == len(s["old_dirs"])
    np.testing.assert_array_equal(o["d"], s["d"])
