"""Test oracles: run the same code on chainrule and PyTorch, and check gradients by finite differences.

``check_op([(4, 5), (5,)], lambda a, b: a * b)`` makes random float64 inputs of those shapes, runs
the lambda on chainrule tensors and on torch tensors, and compares the forward value and every
input's gradient. The lambda receives the library module as ``lib`` when it asks for it, so code
that needs top-level functions works on both: ``lambda a, lib: lib.exp(a)`` (``functional(lib)`` is
``torch.nn.functional`` or chainrule's top level, for gelu, silu, ...). Forward dtypes must match
torch's too; ``check_float32`` runs the same comparison on float32 inputs.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule as cr

# the oracle: a test module that imports this one is skipped, not broken, where PyTorch is missing
torch = pytest.importorskip("torch", reason="PyTorch, the test oracle, is not installed (pip install -e '.[test]')")

RTOL = 1e-7
ATOL = 1e-9


def to_torch(x, requires_grad=None):
    """A torch copy of a chainrule tensor (or a pass-through for anything else)."""
    if isinstance(x, cr.Tensor):
        t = torch.from_numpy(np.array(x._data, copy=True))
        rg = x.requires_grad if requires_grad is None else requires_grad
        return t.requires_grad_(rg) if t.is_floating_point() else t
    return x


def to_numpy(x):
    if isinstance(x, cr.Tensor):
        return np.asarray(x._data)
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(actual, expected, rtol=RTOL, atol=ATOL, what="value"):
    """Compare a chainrule result with a torch result (tensors, tuples, namedtuples, numbers)."""
    if isinstance(expected, (tuple, list)):
        assert len(actual) == len(expected), f"{what}: {len(actual)} results vs torch's {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol, atol, f"{what}[{i}]")
        return
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} vs torch's {e.shape}"
    if e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=what)
    else:
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what, equal_nan=True)


def call(fn, args, lib):
    """``fn(*args)``, passing ``lib=`` (chainrule or torch) when ``fn`` takes it."""
    params = inspect.signature(fn).parameters
    return fn(*args, lib=lib) if "lib" in params else fn(*args)


_call = call


def random_inputs(shapes, rng=None, low=-2.0, high=2.0, positive=False, requires_grad=True, dtype=None):
    """Uniform random tensors of the given shapes (float64 unless ``dtype``), in [0.1, high) if ``positive``."""
    rng = rng or np.random.default_rng(0)
    out = []
    for s in shapes:
        arr = rng.uniform(0.1 if positive else low, high, size=s)
        out.append(cr.tensor(arr, dtype=dtype or cr.float64, requires_grad=requires_grad))
    return out


def functional(lib):
    """The namespace holding gelu, silu, one_hot ...: ``torch.nn.functional`` for torch, chainrule's top level."""
    return torch.nn.functional if lib is torch else lib


def dtype_name(x) -> str:
    """'float32', 'int64', 'bool' ... for a chainrule or torch tensor."""
    if isinstance(x, torch.Tensor):
        return str(x.dtype).removeprefix("torch.")
    return np.dtype(x.dtype).name


def assert_same_dtype(actual, expected, what="value"):
    """Check that chainrule produced the dtype torch produced (tensors, and tuples of them)."""
    if isinstance(expected, (tuple, list)):
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_dtype(a, e, f"{what}[{i}]")
        return
    if isinstance(actual, cr.Tensor) and isinstance(expected, torch.Tensor):
        a, e = dtype_name(actual), dtype_name(expected)
        assert a == e, f"{what}: dtype {a} vs torch's {e}"


def check_op(shapes_or_inputs, fn, rtol=RTOL, atol=ATOL, positive=False, grad=True, seed=0, dtype=None):
    """Run ``fn`` on chainrule and torch float64 inputs; compare outputs and input gradients.

    ``shapes_or_inputs`` is a list of shapes (random inputs of ``dtype``, float64 by default, are
    made) or of ready tensors. The forward values and dtypes must match torch's. Non-scalar outputs
    are reduced with a fixed random weighting so every element's gradient counts.
    Returns the chainrule output.
    """
    rng = np.random.default_rng(seed)
    if all(isinstance(s, tuple) for s in shapes_or_inputs):
        inputs = random_inputs(shapes_or_inputs, rng, positive=positive, dtype=dtype)
    else:
        inputs = list(shapes_or_inputs)
    t_inputs = [to_torch(x) for x in inputs]
    out = call(fn, inputs, cr)
    t_out = call(fn, t_inputs, torch)
    assert_close(out, t_out, rtol, atol, "forward")
    assert_same_dtype(out, t_out, "forward")
    if not grad:
        return out
    outs = out if isinstance(out, (tuple, list)) else [out]
    t_outs = t_out if isinstance(t_out, (tuple, list)) else [t_out]
    loss, t_loss = 0, 0
    for o, to in zip(outs, t_outs):
        if isinstance(o, cr.Tensor) and o.requires_grad:
            w = rng.uniform(0.5, 1.5, size=o.shape)
            loss = loss + (o * cr.tensor(w, dtype=o.dtype)).sum()
            t_loss = t_loss + (to * torch.from_numpy(w).to(to.dtype)).sum()
    if not isinstance(loss, cr.Tensor):
        return out
    loss.backward()
    t_loss.backward()
    for i, (x, tx) in enumerate(zip(inputs, t_inputs)):
        if isinstance(x, cr.Tensor) and x.requires_grad:
            expected = tx.grad if tx.grad is not None else torch.zeros_like(tx)
            actual = x.grad if x.grad is not None else cr.zeros_like(x)
            assert_close(actual, expected, rtol, atol, f"gradient of input {i}")
            assert x.grad is None or x.grad.dtype == x.dtype, f"gradient dtype {x.grad.dtype} != {x.dtype}"
    return out


def check_float32(shapes_or_inputs, fn, rtol=2e-5, atol=1e-6, positive=False, seed=0):
    """``check_op`` on float32 inputs: values and gradients agree with torch's float32 and stay float32."""
    if all(isinstance(s, tuple) for s in shapes_or_inputs):
        inputs = random_inputs(shapes_or_inputs, np.random.default_rng(seed), positive=positive, dtype=cr.float32)
    else:
        inputs = list(shapes_or_inputs)
    return check_op(inputs, fn, rtol=rtol, atol=atol, seed=seed)


def check_finite_differences(shapes_or_inputs, fn, eps=1e-6, atol=1e-5, rtol=1e-4, positive=False, seed=1):
    """Central-difference check of ``fn`` (chainrule only) through ``autograd.gradcheck``."""
    rng = np.random.default_rng(seed)
    if all(isinstance(s, tuple) for s in shapes_or_inputs):
        inputs = random_inputs(shapes_or_inputs, rng, positive=positive)
    else:
        inputs = list(shapes_or_inputs)

    def f(*xs):
        return call(fn, xs, cr)

    assert cr.autograd.gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol)
