"""PyTorch's custom autograd.Function contract (issue 20): the same class body runs on both libraries."""

import numpy as np
import pytest
import torch

import chainrule as cr


def legendre(lib):
    """The official tutorial's example, written once for either library."""

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    return LegendrePolynomial3


def scaled_pair(lib, log):
    class ScaledPair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, k):
            log.append(tuple(ctx.needs_input_grad))
            ctx.save_for_backward(x, w)
            ctx.k = k
            return x * w * k, x + 1

        @staticmethod
        def backward(ctx, g1, g2):
            x, w = ctx.saved_tensors
            gx = g1 * w * ctx.k + g2 if ctx.needs_input_grad[0] else None
            gw = (g1 * x * ctx.k).sum(0) if ctx.needs_input_grad[1] else None
            return gx, gw, None

    return ScaledPair


def argmax_fn(lib):
    class MaxWithIndex(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            i = x.argmax()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(x, i)
            return x.max(), i

        @staticmethod
        def backward(ctx, g, gi):
            x, i = ctx.saved_tensors
            out = lib.zeros_like(x)
            out[i] = g
            return out

    return MaxWithIndex


def test_legendre_tutorial_trains_the_same():
    results = []
    for lib in (torch, cr):
        lib.manual_seed(0)
        x = lib.linspace(-np.pi, np.pi, 200, dtype=lib.float64)
        y = lib.sin(x)
        a, b, c, d = (lib.full((), v, dtype=lib.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        P3 = legendre(lib)
        for _ in range(50):
            loss = (a + b * P3.apply(c + d * x) - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        results.append([p.item() for p in (a, b, c, d)] + [loss.item()])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12)
    assert legendre(cr).apply(cr.ones(1, requires_grad=True)).grad_fn.name() == "LegendrePolynomial3Backward"


def test_several_outputs_non_tensor_args_and_needs_input_grad():
    rng = np.random.default_rng(0)
    xs, ws = rng.normal(size=(4, 3)), rng.normal(size=3)
    grads = []
    for lib in (torch, cr):
        log = []
        x, w = lib.tensor(xs, requires_grad=True), lib.tensor(ws)
        a, b = scaled_pair(lib, log).apply(x, w, 2.0)
        assert a.requires_grad and b.requires_grad
        (a.sum() * 3).backward()  # b gets no gradient: backward sees zeros for it
        grads.append((x.grad.numpy().copy(), log[0]))
        x2, w2 = lib.tensor(xs, requires_grad=True), lib.tensor(ws, requires_grad=True)
        a, b = scaled_pair(lib, log).apply(x2, w2, 2.0)
        (a.sum() + (b * b).sum()).backward()
        grads.append((x2.grad.numpy().copy(), w2.grad.numpy().copy(), log[1]))
    for ours, theirs in zip(grads[2:], grads[:2]):
        for c, t in zip(ours, theirs):
            if isinstance(t, np.ndarray):
                np.testing.assert_allclose(c, t, rtol=1e-12)
            else:
                assert c == t  # ctx.needs_input_grad


def test_mark_non_differentiable():
    for lib in (torch, cr):
        x = lib.tensor([1.0, 3.0, 2.0], requires_grad=True)
        m, i = argmax_fn(lib).apply(x)
        assert m.requires_grad and not i.requires_grad and int(i) == 1
        m.backward()
        assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_no_recording_without_grad_and_under_no_grad():
    P3 = legendre(cr)
    assert not P3.apply(cr.ones(2)).requires_grad
    with cr.no_grad():
        assert not P3.apply(cr.ones(2, requires_grad=True)).requires_grad


def test_input_returned_unchanged_keeps_its_own_history():
    class Identity(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = cr.ones(2, requires_grad=True)
    y = x * 1
    z = Identity.apply(y)
    assert z is not y and y.grad_fn.name() == "MulBackward"
    z.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_new_style_setup_context():
    class Cube(cr.autograd.Function):
        @staticmethod
        def forward(x):
            return x**3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    x = cr.tensor([2.0], requires_grad=True)
    Cube.apply(x).backward(cr.ones(1))
    assert x.grad.tolist() == [12.0]


@pytest.mark.parametrize("case", ["wrong_count", "instance_call", "second_backward"])
def test_errors_match_torch_types(case):
    def run(lib):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                assert ctx.saved_tensors
                return (g, g) if case == "wrong_count" else g

        x = lib.ones(2, requires_grad=True)
        if case == "instance_call":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return Bad()(x)
        y = Bad.apply(x).sum()
        y.backward()
        if case == "second_backward":
            y.backward()

    with pytest.raises(RuntimeError):
        run(torch)
    with pytest.raises(RuntimeError):
        run(cr)
