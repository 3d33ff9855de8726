"""Tensor.register_hook and Module's full backward hooks, against PyTorch's behaviour (float64)."""

import gc

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import hooks as tensor_hooks


def both(values):
    return (cr.tensor(np.array(values, dtype=np.float64), requires_grad=True),
            torch.tensor(np.array(values, dtype=np.float64), requires_grad=True))


def np_(t):
    return None if t is None else np.asarray(t.detach().numpy() if hasattr(t, "detach") else t.numpy())


@pytest.mark.parametrize("retain_first", [True, False])
def test_non_leaf_hook_replaces_the_gradient_downstream_and_in_retain_grad(retain_first):
    results = []
    for x in both([1.0, 2.0, -0.5]):
        seen = []
        y = x * 3
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: (seen.append(np_(g).copy()), g * 10)[1])
        if not retain_first:
            y.retain_grad()
        (y * y).sum().backward()
        results.append((seen, np_(y.grad), np_(x.grad)))
    (ours_seen, ours_y, ours_x), (torch_seen, torch_y, torch_x) = results
    np.testing.assert_array_equal(ours_seen, torch_seen)  # called once, with the gradient before the hook
    np.testing.assert_array_equal(ours_y, torch_y)  # retain_grad keeps the hook's result, whatever the order
    np.testing.assert_array_equal(ours_x, torch_x)  # and that is what flows on


def test_leaf_hook_runs_once_on_the_summed_gradient_before_accumulation():
    results = []
    for x in both([1.0, 2.0]):
        seen = []
        x.register_hook(lambda g: (seen.append(np_(g).copy()), g + 1)[1])
        (x * 2 + x * 5).sum().backward()
        first = np_(x.grad).copy()
        x.register_hook(lambda g: g * 100)  # a second hook sees the first's result; .grad accumulates
        x.sum().backward()
        results.append((seen, first, np_(x.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_hooks_apply_in_autograd_grad_for_leaf_and_non_leaf_inputs():
    out = []
    for x in both([1.0, 2.0]):
        lib = cr if isinstance(x, cr.Tensor) else torch
        x.register_hook(lambda g: g + 1)
        (gx,) = lib.autograd.grad((x * 2).sum(), x)
        y = x * 2
        y.register_hook(lambda g: g * 3)
        (gy,) = lib.autograd.grad((y * y).sum(), y)
        out.append((np_(gx), np_(gy), x.grad))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    assert out[0][2] is None and out[1][2] is None  # autograd.grad never touches .grad


def test_handles_order_none_and_remove():
    grads = []
    for x in both([1.0, 2.0]):
        h1 = x.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: g + 1)  # runs after h1, on its result
        x.register_hook(lambda g: None)  # None keeps the gradient
        x.sum().backward()
        grads.append(np_(x.grad).copy())
        h1.remove()
        h1.remove()  # twice is harmless
        x.grad = None
        x.sum().backward()
        grads.append(np_(x.grad).copy())
    np.testing.assert_array_equal(grads[0], grads[2])
    np.testing.assert_array_equal(grads[1], grads[3])
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with x.register_hook(lambda g: g * 0):
        x.sum().backward()
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])  # the with block removed the hook


def test_hooks_fire_on_every_backward_through_a_retained_graph():
    counts = []
    for x in both([1.0, 2.0]):
        y = x * 2
        calls = []
        y.register_hook(lambda g: calls.append(1))
        s = y.sum()
        s.backward(retain_graph=True)
        s.backward()
        counts.append(len(calls))
    assert counts == [2, 2]


def test_hook_errors_are_one_line_and_name_what_was_expected():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        cr.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="register_hook expected a function"):
        cr.tensor([1.0], requires_grad=True).register_hook(3)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(\); expected the tensor's shape \(2,\)"):
        x.sum().backward()
    y = cr.tensor([1.0, 2.0], requires_grad=True)
    y.register_hook(lambda g: 5)  # a number is not a gradient (PyTorch: TypeError too)
    with pytest.raises(TypeError, match=r"hook '<lambda>' returned int; expected a Tensor of the gradient's shape"):
        y.sum().backward()


def test_a_hook_cannot_write_into_the_engines_arrays_and_a_hooked_leaf_can_be_collected():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: g.add_(1))
    with pytest.raises((ValueError, RuntimeError)):
        y.sum().backward()
    leaf = cr.tensor([1.0], requires_grad=True)
    leaf.register_hook(lambda g: g)
    key = id(leaf)
    assert key in tensor_hooks.leaf_hooks
    del leaf
    gc.collect()
    assert key not in tensor_hooks.leaf_hooks


def _linear(lib, weight, bias):
    m = lib.nn.Linear(len(weight[0]), len(weight)).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(np.array(weight)))
        m.bias.copy_(lib.tensor(np.array(bias)))
    return m


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_sees_grad_input_and_grad_output_and_may_replace_grad_input():
    out = {}
    for lib in (cr, torch):
        m = _linear(lib, [[0.5, -1.0], [2.0, 0.25]], [0.1, -0.2])
        seen = []

        def hook(mod, gin, gout):
            seen.append(([np_(g) for g in gin], [np_(g) for g in gout]))
            return (gin[0] * 3,) if gin[0] is not None else None

        handle = m.register_full_backward_hook(hook)
        x = lib.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
        (m(x) ** 2).sum().backward()
        replaced = np_(x.grad).copy()
        m(lib.tensor(np.ones((1, 2)))).sum().backward()  # no input needs a gradient: grad_input is (None,)
        handle.remove()
        x.grad = None
        (m(x) ** 2).sum().backward()
        out[lib] = (seen, replaced, np_(x.grad))
    (ours_seen, ours_replaced, ours_after), (t_seen, t_replaced, t_after) = out[cr], out[torch]
    assert len(ours_seen) == len(t_seen) == 2
    for (gi, go), (tgi, tgo) in zip(ours_seen, t_seen):
        assert [g is None for g in gi] == [g is None for g in tgi]
        for a, b in zip(gi + go, tgi + tgo):
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ours_replaced, t_replaced, rtol=1e-12)
    np.testing.assert_allclose(ours_after, t_after, rtol=1e-12)


def test_full_backward_pre_hook_replaces_grad_output_and_hooks_run_from_the_last_layer():
    out = {}
    for lib in (cr, torch):
        order = []
        net = lib.nn.Sequential(_linear(lib, [[1.0, 2.0], [-1.0, 0.5]], [0.0, 0.1]), lib.nn.Tanh(),
                                _linear(lib, [[0.3, -0.7]], [0.2]))
        for i, layer in enumerate(net):
            layer.register_full_backward_pre_hook(lambda mod, go, i=i: order.append(("pre", i)))
            layer.register_full_backward_hook(lambda mod, gi, go, i=i: order.append(("full", i)))
        net[2].register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        x = lib.tensor(np.array([[0.5, -1.5]]), requires_grad=True)
        net(x).sum().backward()
        out[lib] = (order, np_(x.grad), np_(net[0].weight.grad))
    assert out[cr][0] == out[torch][0]
    np.testing.assert_allclose(out[cr][1], out[torch][1], rtol=1e-12)
    np.testing.assert_allclose(out[cr][2], out[torch][2], rtol=1e-12)
    plain = cr.nn.Linear(2, 1)
    assert not plain._has_hooks  # modules without hooks keep the fast call path
    h = plain.register_full_backward_hook(lambda *a: None)
    assert plain._has_hooks
    h.remove()
    assert not plain._has_hooks


def test_module_backward_hook_errors_name_the_module_and_the_value():
    x = cr.ones(1, 2, requires_grad=True)
    m = cr.nn.Linear(2, 2)
    m.register_full_backward_hook(lambda mod, gi, go: (cr.ones(3),))
    with pytest.raises(RuntimeError, match=r"backward hook of Linear returned grad_input\[0\] of shape \(3,\); "
                                           r"expected \(1, 2\)"):
        m(x).sum().backward()
    m = cr.nn.Linear(2, 2)
    m.register_full_backward_pre_hook(lambda mod, go: 7)
    with pytest.raises(TypeError, match=r"backward hook of Linear returned int as grad_output\[0\]; expected a Tensor"):
        m(x).sum().backward()
