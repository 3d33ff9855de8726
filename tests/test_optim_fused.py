"""The fused (numba) Adam / AdamW update computes what the readable NumPy form computes."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.optim import _fused

pytestmark = pytest.mark.skipif(_fused.adam_kernel() is None, reason="numba not installed (the `fast` extra)")


def _train(opt_cls, fused, dtype, steps=25, **kw):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 16), nn.Tanh(), nn.Linear(16, 3)).to(dtype)
    opt = opt_cls(model.parameters(), fused=fused, **kw)
    rng = np.random.default_rng(1)
    X = cr.tensor(rng.normal(size=(32, 12)), dtype=dtype)
    y = cr.tensor(rng.integers(0, 3, 32))
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()], opt


@pytest.mark.parametrize("opt_cls, kw", [
    (cr.optim.Adam, {"lr": 1e-2}),
    (cr.optim.Adam, {"lr": 1e-2, "weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    (cr.optim.Adam, {"lr": 1e-2, "maximize": True}),
    (cr.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.2}),
])
@pytest.mark.parametrize("dtype", [cr.float64, cr.float32])
def test_fused_matches_numpy_form_bit_for_bit(opt_cls, kw, dtype):
    # same formula, same operation order, coefficients rounded to the parameter's dtype: identical bits
    fast, opt_fast = _train(opt_cls, None, dtype, **kw)
    plain, opt_plain = _train(opt_cls, False, dtype, **kw)
    for a, b in zip(fast, plain):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    for p_fast, p_plain in zip(opt_fast.param_groups[0]["params"], opt_plain.param_groups[0]["params"]):
        for key in ("exp_avg", "exp_avg_sq"):
            assert opt_fast.state[p_fast][key].dtype == dtype
            np.testing.assert_array_equal(opt_fast.state[p_fast][key], opt_plain.state[p_plain][key])


def test_fused_path_is_really_taken(monkeypatch):
    calls = []
    kernel, all_kernel = _fused.adam_kernel(), _fused.kernels().adam_params
    monkeypatch.setattr(_fused.kernels(), "adam", lambda *a: calls.append("one") or kernel(*a))
    monkeypatch.setattr(_fused.kernels(), "adam_params", lambda *a: calls.append(len(a[0])) or all_kernel(*a))
    _train(cr.optim.Adam, None, cr.float32, steps=2)
    assert calls == [4, 4]  # two steps, one call each over the four parameters
    calls.clear()
    monkeypatch.setattr(cr.optim.Adam, "flat", False)
    _train(cr.optim.Adam, None, cr.float32, steps=2)
    assert calls == ["one"] * (2 * 4)  # two steps, four parameters


@pytest.mark.parametrize("kw", [{"lr": 1e-2}, {"lr": 1e-2, "weight_decay": 0.1, "maximize": True}])
@pytest.mark.parametrize("dtype", [cr.float64, cr.float32])
def test_one_call_per_step_matches_one_call_per_parameter(monkeypatch, kw, dtype):
    # three parameters (padded to four in the call), two groups with different rates, a frozen one
    # without gradient, and a parameter that joins late (its own step count within the one call)
    def train(flat):
        monkeypatch.setattr(cr.optim.Adam, "flat", flat)
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 2, bias=False), nn.Linear(2, 3)).to(dtype)
        model[3].bias.requires_grad_(False)
        opt = cr.optim.Adam([{"params": list(model[0].parameters()) + [model[2].weight]},
                             {"params": list(model[3].parameters()), "lr": 3e-2, "weight_decay": 0.0,
                              "betas": (0.8, 0.99)}], **kw)
        rng = np.random.default_rng(2)
        X, y = cr.tensor(rng.normal(size=(9, 5)), dtype=dtype), cr.tensor(rng.integers(0, 3, 9))
        for i in range(6):
            if i == 2:
                model[3].bias.requires_grad_(True)  # from now on with a gradient: its step 1 beside the others' 3
            if i == 3:  # state replaced from outside (as load_state_dict does): the cached views follow
                opt.load_state_dict(opt.state_dict())
            loss = nn.functional.cross_entropy(model(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return [p.detach().numpy().copy() for p in model.parameters()]

    for a, b in zip(train(True), train(False)):
        np.testing.assert_array_equal(a, b)


def test_fused_true_without_numba_raises(monkeypatch):
    monkeypatch.setattr(cr.optim.adam, "adam_kernel", lambda: None)
    with pytest.raises(RuntimeError, match="numba"):
        cr.optim.Adam([cr.zeros(2, requires_grad=True)], fused=True)


def test_fused_coefficients_follow_lr_changes_and_other_optimizers():
    # the kernel's scalars are computed once per step and group: a scheduler's new lr, or another
    # optimizer stepping in between, must not reuse stale ones
    def run(fused):
        cr.manual_seed(0)
        a, b = nn.Linear(6, 4), nn.Linear(6, 4)
        opt_a = cr.optim.Adam(a.parameters(), lr=1e-2, fused=fused)
        opt_b = cr.optim.AdamW(b.parameters(), lr=3e-2, betas=(0.8, 0.9), fused=fused)
        sched = cr.optim.lr_scheduler.StepLR(opt_a, step_size=2, gamma=0.5)
        x = cr.tensor(np.random.default_rng(0).normal(size=(8, 6)), dtype=cr.float32)
        for _ in range(7):
            for model, opt in ((a, opt_a), (b, opt_b)):
                opt.zero_grad()
                (model(x) ** 2).mean().backward()
                opt.step()
            sched.step()
        return [p.detach().numpy().copy() for p in [*a.parameters(), *b.parameters()]]

    for fast, plain in zip(run(None), run(False)):
        np.testing.assert_array_equal(fast, plain)


def test_arrays_the_kernel_cannot_take_go_through_the_numpy_form():
    # amsgrad, and a parameter that is not row-major, take Adam._update; the results must not depend on it
    def run(fortran, fused, **kw):
        rng = np.random.default_rng(0)
        w = cr.tensor(rng.normal(size=(5, 4)).astype(np.float32), requires_grad=True)
        if fortran:
            w._data = np.asfortranarray(w._data)
        opt = cr.optim.Adam([w], lr=1e-2, fused=fused, **kw)
        for i in range(5):
            opt.zero_grad()
            ((w * float(i + 1)) ** 2).sum().backward()
            opt.step()
        return w.detach().numpy()

    np.testing.assert_array_equal(run(True, None), run(False, False))
    np.testing.assert_array_equal(run(False, None, amsgrad=True), run(False, False, amsgrad=True))


def test_parameters_of_two_dtypes_in_one_optimizer():
    # one call takes one dtype: float32 and float64 parameters together go parameter by parameter,
    # also once their flat views are cached (every step after the first)
    def run(fused):
        rng = np.random.default_rng(3)
        a = cr.tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
        b = cr.tensor(rng.normal(size=(3,)), dtype=cr.float64, requires_grad=True)
        opt = cr.optim.Adam([{"params": [a]}, {"params": [b], "weight_decay": 0.1}], lr=1e-2, fused=fused)
        for _ in range(4):
            opt.zero_grad()
            ((a.double() ** 2).sum() + (b**3).sum()).backward()
            opt.step()
        return a.detach().numpy(), b.detach().numpy()

    for fast, plain in zip(run(None), run(False)):
        assert fast.dtype == plain.dtype
        np.testing.assert_array_equal(fast, plain)
