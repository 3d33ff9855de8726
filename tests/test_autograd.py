"""Reverse-mode autodiff: backward, accumulation, grad modes, graph lifetime, gradient ownership,
and the functional API (``autograd.grad``, ``grad(f)``, ``value_and_grad(f)``)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import assert_close, to_torch

import chainrule as cr
from chainrule.autograd import Op


# -- backward ------------------------------------------------------------------------------------------
def test_backward_of_a_scalar_loss():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x**2).sum()
    assert loss.requires_grad and not loss.is_leaf and x.is_leaf
    loss.backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0] and x.grad.dtype == cr.float32
    assert not x.grad.requires_grad and x.grad.is_leaf


def test_backward_with_gradient_for_non_scalars():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=cr.float64, requires_grad=True)
    tx = to_torch(x)
    g = cr.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=cr.float64)
    (x * x).backward(g)
    (tx * tx).backward(to_torch(g))
    assert_close(x.grad, tx.grad)


def test_backward_of_non_scalar_without_gradient_is_refused():
    y = cr.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        y.backward(cr.ones(3))


def test_backward_of_a_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (cr.ones(2) * 2).sum().backward()


def test_backward_on_a_leaf():
    x = cr.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0
    g = cr.tensor([2.0, 5.0])
    y = cr.zeros(2, requires_grad=True)
    y.backward(g)
    g[0] = 100.0  # the gradient buffer is not the caller's tensor
    assert y.grad.tolist() == [2.0, 5.0]


def test_grad_accumulates_until_zeroed():
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        (x * 3).sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]
    x.grad.zero_()
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, -4.0]
    x.grad = None
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_gradient_of_a_leaf_used_many_times():
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    tx = to_torch(x)
    for lib, t in ((cr, x), (torch, tx)):
        y = t * t
        z = y * t + lib.exp(y) - y / t + t
        z.backward()
    assert_close(x.grad, tx.grad)


def test_unused_inputs_keep_grad_none():
    a, b = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    (a * 2).sum().backward()
    assert a.grad is not None and b.grad is None


def test_inputs_argument_limits_which_leaves_get_gradients():
    a, b = cr.tensor([1.0], requires_grad=True), cr.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0] and b.grad is None


def test_retain_grad_on_an_intermediate():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]


# -- leaves, requires_grad, grad_fn --------------------------------------------------------------------
def test_requires_grad_flag_and_is_leaf():
    x = cr.ones(3)
    assert not x.requires_grad and x.is_leaf
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    assert y.requires_grad and not y.is_leaf
    x.requires_grad_(False)
    assert not (x * 2).requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    y.detach_()
    assert y.is_leaf and not y.requires_grad


def test_ops_on_constants_are_not_recorded():
    x = cr.ones(2)
    y = cr.ones(2, requires_grad=True)
    assert (x * 2).grad_fn is None and not (x * 2).requires_grad
    assert (x * y).requires_grad


GRAD_FN_NAMES = [
    ("MulBackward", lambda x: x * 2),
    ("AddBackward", lambda x: x + x),
    ("SubBackward", lambda x: 1 - x),
    ("DivBackward", lambda x: x / 2),
    ("PowBackward", lambda x: x**2),
    ("NegBackward", lambda x: -x),
    ("ExpBackward", lambda x: x.exp()),
    ("SumBackward", lambda x: x.sum()),
    ("MeanBackward", lambda x: x.mean()),
    ("MatMulBackward", lambda x: x @ x),
    ("ReshapeBackward", lambda x: x.reshape(3, 1)),
    ("PermuteBackward", lambda x: x.unsqueeze(0).T),
    ("GetItemBackward", lambda x: x[1:]),
    ("ReluBackward", lambda x: x.relu()),
    ("SigmoidBackward", lambda x: x.sigmoid()),
    ("TanhBackward", lambda x: x.tanh()),
    ("SoftmaxBackward", lambda x: x.softmax(0)),
    ("LogSoftmaxBackward", lambda x: x.log_softmax(0)),
    ("CatBackward", lambda x: cr.cat([x, x])),
    ("StackBackward", lambda x: cr.stack([x, x])),
    ("WhereBackward", lambda x: cr.where(x > 0, x, 0.0)),
]


@pytest.mark.parametrize("name, fn", GRAD_FN_NAMES, ids=[n for n, _ in GRAD_FN_NAMES])
def test_grad_fn_is_named_after_its_op(name, fn):
    y = fn(cr.ones(3, requires_grad=True))
    assert y.grad_fn.name() == name
    assert name in repr(y)


def test_next_functions_walk_the_graph():
    x = cr.ones(2, requires_grad=True)
    y = (x * 2).exp()
    (prev, _), = y.grad_fn.next_functions
    assert prev.name() == "MulBackward"
    assert [f for f, _ in prev.next_functions] == [None, None]  # a leaf and a constant


# -- grad modes ----------------------------------------------------------------------------------------
def test_no_grad_context_manager():
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = cr.ones(2, requires_grad=True)

    @cr.no_grad()
    def f(t):
        return t * 2

    @cr.no_grad
    def g(t):
        return t * 3

    assert not f(x).requires_grad and not g(x).requires_grad
    assert f.__name__ == "f" and g.__name__ == "g"
    assert (x * 2).requires_grad and cr.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            y = x * 2
        z = x * 2

        @cr.enable_grad()
        def f(t):
            return t * 2

        w = f(x)
    assert y.requires_grad and not z.requires_grad and w.requires_grad


def test_set_grad_enabled():
    x = cr.ones(2, requires_grad=True)
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    cr.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError
    assert cr.is_grad_enabled()


def test_inplace_update_of_a_leaf_needs_no_grad():
    w = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with cr.no_grad():
        w -= 0.5
        w.mul_(2.0)
    assert w.tolist() == [1.0, 1.0] and w.requires_grad and w.is_leaf


# -- graph lifetime ------------------------------------------------------------------------------------
def test_second_backward_through_a_freed_graph_raises():
    x = cr.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_another_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [6.0, 12.0]


def test_a_graph_20000_ops_deep():
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
        y = y + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-9)
    del y  # freeing a long chain must not overflow the stack either


def test_a_deep_graph_with_branches():
    x = cr.tensor([0.5, -0.5], dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(5_000):
        y = (y + y.tanh() * 0.001) * 0.999
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy())) and x.grad.shape == (2,)


# -- integer tensors --------------------------------------------------------------------------------------
def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        cr.arange(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([True]).requires_grad = True


def test_functional_grad_of_an_integer_argument_is_refused():
    with pytest.raises(TypeError, match="floating point"):
        cr.grad(lambda x: (x * x).sum())(cr.tensor([1, 2]))


def test_integer_results_of_float_inputs_carry_no_gradient():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    for out in (x.argmax(), x > 0, x.long(), cr.one_hot(cr.tensor([0, 1]), 2)):
        assert not out.requires_grad


# -- gradient buffers are never shared --------------------------------------------------------------
SHARING = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("add_scalar_loss", lambda a, b: (a + b).sum()),
    ("expand", lambda a, b: a.expand(2, 3) + b),
    ("clone", lambda a, b: a.clone() + b.clone()),
    ("reshape", lambda a, b: a.reshape(3, 1).reshape(3) + b),
    ("cat", lambda a, b: cr.cat([a, b])),
    ("stack", lambda a, b: cr.stack([a, b])),
    ("same_twice", lambda a, b: a + a + b),
]


@pytest.mark.parametrize("name, fn", SHARING, ids=[n for n, _ in SHARING])
def test_gradient_buffers_are_not_shared_between_leaves(name, fn):
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = cr.tensor([4.0, 5.0, 6.0], requires_grad=True)
    out = fn(a, b)
    out.backward(cr.ones_like(out))
    b_before = b.grad.numpy().copy()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.clamp_(max=0.0)  # e.g. gradient clipping, in place
    a.grad.mul_(-7.0)
    np.testing.assert_array_equal(b.grad.numpy(), b_before)
    assert a.grad.numpy().flags.writeable and b.grad.numpy().flags.writeable


def test_accumulation_does_not_leak_into_other_gradients_in_the_same_backward():
    # y's gradient arrives through a pass-through (clone) that shares its buffer with the branch
    # going to x; x then accumulates another term in place. y.grad must stay 1.
    for backward in (lambda z, lib: z.backward(), lambda z, lib: z.backward(lib.ones_like(z))):
        for lib in (cr, torch):
            x, y = lib.tensor(1.0, requires_grad=True), lib.tensor(1.0, requires_grad=True)
            z = y.clone() + (x + x * 3)
            backward(z, lib)
            assert x.grad.item() == 4.0 and y.grad.item() == 1.0, lib.__name__


def test_grad_buffer_is_not_the_seed_or_a_saved_value():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seed = cr.tensor([1.0, 1.0])
    y = x + 0.0
    y.backward(seed)
    x.grad.mul_(5.0)
    assert seed.tolist() == [1.0, 1.0]


def _random_program(draw_ops, lib, leaves_data):
    """Apply a drawn sequence of ops to three leaves; return the leaves' gradients after two backwards
    with an in-place edit of the gradients in between (as gradient clipping does)."""
    leaves = [lib.tensor(d, requires_grad=True) for d in leaves_data]
    nodes = list(leaves)
    ops = {
        "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
        "clone": lambda x, y: x.clone(), "reshape": lambda x, y: x.reshape(-1).reshape(2, 3),
        "transpose": lambda x, y: x.T.T, "slice": lambda x, y: x[:], "scale": lambda x, y: x * 0.5,
        "expand": lambda x, y: x[:1].expand(2, 3), "tanh": lambda x, y: x.tanh(),
        "cast": lambda x, y: x.float().double(), "max": lambda x, y: lib.maximum(x, y),
    }
    for name, i, j in draw_ops:
        nodes.append(ops[name](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    loss = sum((o * (k + 1)).sum() for k, o in enumerate(nodes[-3:]))
    loss.backward(retain_graph=True)
    with lib.no_grad():
        for leaf in leaves:
            if leaf.grad is not None:
                if lib is torch:  # torch may alias two leaves' buffers (see the test below); unalias it
                    leaf.grad = leaf.grad.clone()
                leaf.grad.mul_(3.0)
    loss.backward()
    return [None if leaf.grad is None else np.array(leaf.grad.detach().numpy()) for leaf in leaves]


OP_NAMES = ["add", "sub", "mul", "clone", "reshape", "transpose", "slice", "scale", "expand", "tanh", "cast", "max"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(OP_NAMES), st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=10))
def test_random_programs_have_torch_gradients(program):
    # graphs with fan-out, pass-through ops and repeated leaves exercise the gradient-ownership rules
    data = [np.random.default_rng(i).standard_normal((2, 3)) for i in range(3)]
    ours, theirs = _random_program(program, cr, data), _random_program(program, torch, data)
    for g, tg in zip(ours, theirs):
        assert (g is None) == (tg is None)
        if g is not None:
            np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


def test_leaf_gradients_never_alias_even_where_torch_aliases_them():
    # NOTE: deliberate difference. torch hands one buffer to both leaves here (a clone and a view
    # of the same incoming gradient), so scaling a.grad in place also scales b.grad; chainrule copies.
    a, b = cr.ones(2, 3, requires_grad=True), cr.ones(2, 3, requires_grad=True)
    loss = ((a.clone() + b.reshape(-1).reshape(2, 3)) * 1).sum()
    loss.backward()
    with cr.no_grad():
        a.grad.mul_(3.0)
    assert b.grad.tolist() == [[1.0] * 3] * 2


# -- functional API ---------------------------------------------------------------------------------
def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    w = cr.tensor([3.0, -1.0], dtype=cr.float64, requires_grad=True)
    y = (x * w).sum() + (x**3).sum()
    gx, gw = cr.autograd.grad(y, [x, w])
    assert gx.tolist() == [3.0 + 3.0, -1.0 + 12.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    (gx_only,) = cr.autograd.grad((x * x).sum(), x)
    assert gx_only.tolist() == [2.0, 4.0]


def test_autograd_grad_with_grad_outputs_and_several_outputs():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    tx = to_torch(x)
    outs = [x * x, x.exp()]
    t_outs = [tx * tx, tx.exp()]
    seeds = [cr.tensor([1.0, 0.5], dtype=cr.float64), cr.tensor([2.0, -1.0], dtype=cr.float64)]
    (g,) = cr.autograd.grad(outs, [x], grad_outputs=seeds)
    (tg,) = torch.autograd.grad(t_outs, [tx], grad_outputs=[to_torch(s) for s in seeds])
    assert_close(g, tg)


def test_autograd_grad_unused_input():
    x, y = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        cr.autograd.grad((x * 2).sum(), [x, y], retain_graph=True)
    gx, gy = cr.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gy is None


def test_autograd_grad_of_an_intermediate():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (gh,) = cr.autograd.grad((h * h).sum(), h)
    assert gh.tolist() == [6.0, 12.0]


def test_autograd_grad_retain_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    cr.autograd.grad(y, x, retain_graph=True)
    (g,) = cr.autograd.grad(y, x)
    assert g.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="second time"):
        cr.autograd.grad(y, x)


def test_grad_of_a_function_differentiates_programs():
    def f(x):
        y = x
        for _ in range(3):  # Python control flow is fine: the graph records what ran
            y = y.sin() if y.sum().item() > 0 else y * y
        return y.sum()

    x0 = cr.tensor([0.3, 0.9], dtype=cr.float64)
    g = cr.grad(f)(x0)
    tx = to_torch(x0, requires_grad=True)
    (tg,) = torch.autograd.grad(_torch_f(tx), tx)
    assert_close(g, tg)
    assert not x0.requires_grad and x0.grad is None


def _torch_f(x):
    y = x
    for _ in range(3):
        y = y.sin() if y.sum().item() > 0 else y * y
    return y.sum()


def test_value_and_grad_and_argnums():
    x = cr.tensor([[1.0, 2.0]], dtype=cr.float64)
    w = cr.tensor([[0.5], [-1.0]], dtype=cr.float64)

    def loss(x, w):
        return ((x @ w) ** 2).mean()

    value, gw = cr.value_and_grad(loss, argnums=1)(x, w)
    assert value.item() == pytest.approx(2.25) and not value.requires_grad
    tw = to_torch(w, requires_grad=True)
    (tgw,) = torch.autograd.grad(((to_torch(x) @ tw) ** 2).mean(), tw)
    assert_close(gw, tgw)
    gx, gw2 = cr.grad(loss, argnums=(0, 1))(x, w)
    assert gx.shape == (1, 2) and gw2.shape == (2, 1)
    assert_close(gw2, tgw)


def test_grad_works_under_no_grad_and_for_constant_functions():
    with cr.no_grad():
        g = cr.grad(lambda x: (x * x).sum())(cr.tensor([3.0]))
    assert g.tolist() == [6.0]
    assert cr.grad(lambda x: cr.tensor(1.0))(cr.tensor([3.0, 4.0])).tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="scalar"):
        cr.grad(lambda x: x * 2)(cr.tensor([3.0, 4.0]))


# -- custom Functions ---------------------------------------------------------------------------------
class Cube(Op):
    def forward(ctx, a):
        ctx.a = a
        return a**3

    def backward(ctx, grad):
        return grad * 3 * ctx.a**2


class ScaleAdd(Op):
    def forward(ctx, a, b, alpha=1.0):
        ctx.alpha = alpha
        return a + alpha * b

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (grad * ctx.alpha if need_b else None)


def test_custom_function():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_custom_function_needs_input_grad_and_broadcasting():
    a = cr.ones(2, 3, requires_grad=True)
    b = cr.ones(3)  # a constant: its gradient is never computed
    ScaleAdd.apply(a, b, alpha=2.0).sum().backward()
    assert a.grad.tolist() == [[1.0] * 3] * 2 and b.grad is None
    c = cr.ones(3, requires_grad=True)
    ScaleAdd.apply(cr.ones(2, 3), c, alpha=2.0).sum().backward()
    assert c.grad.tolist() == [4.0, 4.0, 4.0]  # summed back to (3,) by the engine


def test_custom_function_with_a_wrong_gradient_shape_is_reported():
    class Bad(Op):
        def forward(ctx, a):
            return a * 2

        def backward(ctx, grad):
            return grad[:1]

    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="BadBackward"):
        Bad.apply(x).sum().backward()


def test_custom_function_with_too_few_gradient_dims_is_reported_by_name():
    class Flat(Op):
        def forward(ctx, a):
            return a * 2

        def backward(ctx, grad):
            return grad.sum()  # 0-d for a (1, 1) input: once an IndexError from inside the engine

    x = cr.ones(1, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"FlatBackward returned a gradient of shape \(\) for an input of shape"):
        Flat.apply(x).sum().backward()


def test_augmented_assignment_in_place_outside_the_graph_and_rebinding_inside_it():
    w = cr.ones(3, requires_grad=True)
    h = w * 2
    h_before = h
    h += 1  # a non-leaf in a recorded graph: the out-of-place result, so the gradient stays right
    assert h is not h_before
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
    data = w._data
    with cr.no_grad():
        w -= 0.5 * w.grad  # the lecture's manual SGD step: in place on the same storage
    assert w._data is data
    np.testing.assert_array_equal(w.detach().numpy(), [0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        w += 1
