"""Optimizers against torch.optim: the same tanh MLP, batches and hyperparameters in both libraries,
50 steps in float64; every loss, the final weights and the optimizer state must agree to 1e-7."""

import copy

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import optim

STEPS = 50
# torch-only keys of param groups (chainrule has one implementation, no device options)
TORCH_ONLY_KEYS = {"foreach", "differentiable", "fused", "capturable"}


def make_weights(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, shape).astype(dtype) for shape in [(5, 3), (5,), (2, 5), (2,), (4,)]]


def make_batches(seed=1, n=STEPS, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(8, 3)).astype(dtype), rng.normal(size=(8, 2)).astype(dtype)) for _ in range(n)]


def mlp_loss(params, x, y):
    # The last parameter is never used: its grad stays None and optimizers must skip it.
    w1, b1, w2, b2, _unused = params
    out = (x @ w1.T + b1).tanh() @ w2.T + b2
    return ((out - y) ** 2).mean()


def train(lib, opt_cls, weights, batches, groups=None, **kwargs):
    """Train in `lib` (chainrule or torch); return (losses, params, optimizer)."""
    params = [lib.tensor(w.copy(), requires_grad=True) for w in weights]
    opt = opt_cls(groups(params) if groups else params, **kwargs)
    losses = []
    for x, y in batches:
        loss = mlp_loss(params, lib.tensor(x), lib.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, params, opt


def assert_same_state(cr_opt, torch_opt, rtol=1e-7):
    ours, theirs = cr_opt.state_dict(), torch_opt.state_dict()
    # torch's Adagrad creates its state eagerly, also for parameters that never get a gradient
    theirs["state"] = {i: s for i, s in theirs["state"].items() if s.get("step", 1) > 0}
    assert ours["state"].keys() == theirs["state"].keys()
    for index, torch_state in theirs["state"].items():
        assert ours["state"][index].keys() == torch_state.keys()
        for name, value in torch_state.items():
            np.testing.assert_allclose(
                np.asarray(ours["state"][index][name]._data, dtype=np.float64),
                value.double().numpy(), rtol=rtol, atol=1e-14, err_msg=f"state[{index}][{name!r}]")
    for our_group, torch_group in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert our_group == {k: v for k, v in torch_group.items() if k not in TORCH_ONLY_KEYS}


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("Adagrad", dict(lr=0.01, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.001, eps=1e-4, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.005, betas=(0.8, 0.99), eps=1e-6, amsgrad=True, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.005, betas=(0.8, 0.99), momentum_decay=0.01, maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'defaults'}" for n, k in CASES])
def test_matches_torch_float64(name, kwargs):
    weights, batches = make_weights(), make_batches()
    cr_losses, cr_params, cr_opt = train(cr, getattr(optim, name), weights, batches, **kwargs)
    torch_losses, torch_params, torch_opt = train(torch, getattr(torch.optim, name), weights, batches, **kwargs)
    np.testing.assert_allclose(cr_losses, torch_losses, rtol=1e-7)
    for ours, theirs in zip(cr_params, torch_params):
        assert ours._data.dtype == np.float64
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-7, atol=1e-14)
    assert cr_params[-1].grad is None and np.array_equal(cr_params[-1]._data, weights[-1])
    assert_same_state(cr_opt, torch_opt)
    assert cr_losses[-1] != cr_losses[0]  # it trained


def test_nadam_alias():
    assert optim.Nadam is optim.NAdam


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "NAdam"])
def test_float32_stays_float32(name):
    weights, batches = make_weights(dtype=np.float32), make_batches(n=10, dtype=np.float32)
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9, weight_decay=0.01), "RMSprop": dict(momentum=0.9, centered=True),
              "Adam": dict(amsgrad=True, weight_decay=0.01)}.get(name, {})
    cr_losses, cr_params, cr_opt = train(cr, getattr(optim, name), weights, batches, **kwargs)
    torch_losses, torch_params, _ = train(torch, getattr(torch.optim, name), weights, batches, **kwargs)
    for p in cr_params:
        assert p._data.dtype == np.float32
    arrays = [v for s in cr_opt.state.values() for v in s.values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)
    np.testing.assert_allclose(cr_losses, torch_losses, rtol=1e-4)
    for ours, theirs in zip(cr_params, torch_params):
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-4, atol=1e-6)


def two_groups(params):
    return [{"params": params[:2], "lr": 0.02}, {"params": params[2:], "momentum": 0.5}]


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01))])
def test_param_groups_with_their_own_options(name, kwargs):
    weights, batches = make_weights(), make_batches(n=20)
    cr_losses, cr_params, cr_opt = train(cr, getattr(optim, name), weights, batches, groups=two_groups, **kwargs)
    torch_losses, torch_params, torch_opt = train(
        torch, getattr(torch.optim, name), weights, batches, groups=two_groups, **kwargs)
    np.testing.assert_allclose(cr_losses, torch_losses, rtol=1e-7)
    for ours, theirs in zip(cr_params, torch_params):
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-7, atol=1e-14)
    assert cr_opt.param_groups[0]["lr"] == 0.02 and cr_opt.param_groups[1]["lr"] == kwargs["lr"]
    assert_same_state(cr_opt, torch_opt)


def test_add_param_group_mid_training():
    weights, batches = make_weights(), make_batches(n=20)
    results = []
    for lib, opt_cls in [(cr, optim.Adam), (torch, torch.optim.Adam)]:
        params = [lib.tensor(w.copy(), requires_grad=True) for w in weights]
        opt = opt_cls(params[:2], lr=0.01)
        for i, (x, y) in enumerate(batches):
            if i == 10:
                opt.add_param_group({"params": params[2:], "lr": 0.05, "betas": (0.5, 0.9)})
            loss = mlp_loss(params, lib.tensor(x), lib.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
        results.append([np.array(p.detach().numpy() if lib is torch else p._data) for p in params])
        assert opt.param_groups[1]["eps"] == 1e-8  # missing options come from the defaults
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-14)
    assert not np.array_equal(results[0][2], weights[2])


def test_add_param_group_rejects_parameters_already_present():
    w = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(TypeError, match="sets"):
        opt.add_param_group({"params": {cr.tensor([2.0], requires_grad=True)}})


def test_zero_grad_both_modes():
    w = cr.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and np.array_equal(grad._data, [0.0, 0.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad._data, [2.0, -4.0])
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing happens
    np.testing.assert_array_equal(w._data, [1.0, -2.0])
    assert len(opt.state) == 0


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)), ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict()), ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
])
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    weights, batches = make_weights(), make_batches(n=30)
    opt_cls = getattr(optim, name)
    _, params, opt = train(cr, opt_cls, weights, batches[:15], groups=two_groups, **kwargs)
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0, 1] and saved["param_groups"][1]["params"] == [2, 3, 4]
    assert all(isinstance(v, cr.Tensor) for s in saved["state"].values() for v in s.values())
    assert 4 not in saved["state"]  # the unused parameter never got state
    # a fresh optimizer (other hyperparameters: the loaded ones must win) over copies of the weights
    params2 = [cr.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt2 = opt_cls(two_groups(params2), lr=123.0)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == opt.param_groups[1]["lr"]
    assert opt2.param_groups[0]["params"][0] is params2[0]
    for x, y in batches[15:]:
        for ps, o in [(params, opt), (params2, opt2)]:
            loss = mlp_loss(ps, cr.tensor(x), cr.tensor(y))
            o.zero_grad()
            loss.backward()
            o.step()
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a._data, b._data)
    assert not np.array_equal(params[0]._data, weights[0])


def test_load_state_dict_deep_copies_and_casts():
    weights, batches = make_weights(), make_batches(n=3)
    _, params, opt = train(cr, optim.Adam, weights, batches, lr=0.01)
    saved = opt.state_dict()
    params32 = [cr.tensor(p._data.astype(np.float32), requires_grad=True) for p in params]
    opt2 = optim.Adam(params32)
    opt2.load_state_dict(saved)
    saved["state"][0]["exp_avg"]._data[...] = 99.0
    saved["param_groups"][0]["lr"] = 99.0
    state = opt2.state[params32[0]]
    assert state["exp_avg"].dtype == np.float32 and not np.any(state["exp_avg"] == 99.0)
    assert state["step"] == 3 and opt2.param_groups[0]["lr"] == 0.01
    # the live state is not aliased by a state_dict either
    assert not np.shares_memory(opt.state_dict()["state"][0]["exp_avg"]._data, opt.state[params[0]]["exp_avg"])


def test_load_state_dict_matches_torch_layout():
    weights, batches = make_weights(), make_batches(n=3)
    _, _, torch_opt = train(torch, torch.optim.NAdam, weights, batches, lr=0.01)
    _, _, cr_opt = train(cr, optim.NAdam, weights, batches, lr=0.01)
    theirs = torch_opt.state_dict()["state"][0]
    ours = cr_opt.state_dict()["state"][0]
    assert ours["step"]._data.dtype == np.float32 and float(ours["step"]._data) == float(theirs["step"]) == 3.0
    assert ours["step"].shape == tuple(theirs["step"].shape) == ()


def test_load_state_dict_errors_name_the_mismatch():
    weights = make_weights()
    params = [cr.tensor(w, requires_grad=True) for w in weights]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    saved = opt.state_dict()
    with pytest.raises(ValueError, match=r"different number of parameter groups \(1 in the state dict, 2"):
        optim.SGD(two_groups(params), lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 5 parameters in the state dict and 4 in the optimizer"):
        optim.SGD(params[:4], lr=0.1).load_state_dict(saved)
    bad = copy.deepcopy(saved)
    bad["state"] = {0: {"momentum_buffer": cr.tensor(np.zeros(7))}}
    with pytest.raises(ValueError, match=r"'momentum_buffer' of shape \(7,\) for parameter 0"):
        optim.SGD(params, lr=0.1).load_state_dict(bad)


@pytest.mark.parametrize("name, kwargs, message", [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum requires"),
    ("Adagrad", dict(lr_decay=-1.0), "Invalid lr_decay value: -1.0"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
    ("Adagrad", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("RMSprop", dict(alpha=-0.9), "Invalid alpha value: -0.9"),
    ("RMSprop", dict(momentum=-0.9), "Invalid momentum value: -0.9"),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("AdamW", dict(weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
])
def test_invalid_arguments_raise_value_error_as_torch(name, kwargs, message):
    for lib, module in [(cr, optim), (torch, torch.optim)]:
        with pytest.raises(ValueError) as info:
            getattr(module, name)([lib.tensor([1.0], requires_grad=True)], **kwargs)
        assert message in str(info.value), lib.__name__


def test_empty_parameter_list_raises():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)


def test_params_must_be_leaf_tensors_in_an_iterable():
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


def test_step_with_closure_returns_the_loss_and_matches_torch():
    weights, batches = make_weights(), make_batches(n=10)
    results = []
    for lib, opt_cls in [(cr, optim.SGD), (torch, torch.optim.SGD)]:
        params = [lib.tensor(w.copy(), requires_grad=True) for w in weights]
        opt = opt_cls(params, lr=0.1, momentum=0.9)
        losses = []
        for x, y in batches:
            def closure():
                opt.zero_grad()
                loss = mlp_loss(params, lib.tensor(x), lib.tensor(y))
                loss.backward()
                return loss
            with lib.no_grad():  # the closure must still record its graph
                losses.append(opt.step(closure).item())
        results.append((losses, [p.detach().numpy() if lib is torch else p._data for p in params]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-7)
    for ours, theirs in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-14)
    assert optim.SGD([cr.tensor([1.0], requires_grad=True)]).step() is None


def test_repr_lists_the_groups():
    opt = optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    assert repr(opt).startswith("SGD (\nParameter Group 0\n    dampening: 0\n")
    assert "    momentum: 0.9\n" in repr(opt) and repr(opt).endswith(")")
